// The lexer of grammar/Lode.g4 written by hand (internal to the syntax stage). ANTLR's generated
// lexer simulates its ATN per character behind a lock and was most of the parse time; this one gives
// the same tokens (kind, channel, code point range, line, column: lexer_test.cpp compares the two on
// the whole corpus and on random text) and parse.cpp hands them to the ANTLR parser.
// The token kinds come from the generated lexer's vocabulary (parse.cpp fills Tables), so nothing
// here depends on ANTLR.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace lode::syntax {

struct RawToken {
  uint32_t type = 0;
  uint32_t channel = 0;  // 0 default, 1 hidden
  uint32_t start = 0;    // code point index of the first character
  uint32_t stop = 0;     // code point index of the last character (start - 1 for EOF)
  uint32_t line = 1;     // 1-based
  uint32_t col = 0;      // 0-based, in code points (ANTLR's charPositionInLine)
};

struct LexerTables {
  // Literal tokens of the grammar: lowercase keywords, and one- and two-character symbols.
  std::unordered_map<std::string, uint32_t> keywords;
  uint32_t symbol1[128] = {};
  std::unordered_map<uint32_t, uint32_t> symbol2;  // (first << 8 | second) -> type
  // The rule-defined tokens.
  uint32_t eof = uint32_t(-1), date = 0, hscode = 0, number = 0, string = 0, ident = 0, comment = 0, ws = 0, bom = 0,
           unknown = 0;
  uint32_t hidden = 1;  // the hidden channel
  bool complete = false;  // every kind set: otherwise parse.cpp keeps ANTLR's lexer
};

class HandLexer {
 public:
  HandLexer(std::u32string_view text, const LexerTables& t) : s_(text), t_(t) {}
  // The next token; after the end, EOF (again and again).
  RawToken next();

 private:
  char32_t at(size_t i) const { return i < s_.size() ? s_[i] : char32_t(-1); }
  static bool digit(char32_t c) { return c >= '0' && c <= '9'; }
  static bool identStart(char32_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
  static bool identPart(char32_t c) { return identStart(c) || digit(c); }
  size_t digits(size_t i) const {  // end of a run of digits starting at i
    while (digit(at(i))) ++i;
    return i;
  }

  std::u32string_view s_;
  const LexerTables& t_;
  size_t p_ = 0;
  uint32_t line_ = 1, col_ = 0;
  std::string word_;
};

}  // namespace lode::syntax
