// The hand-written lexer: the lexer rules of grammar/Lode.g4 with ANTLR's semantics (the longest
// match wins; between rules matching the same length, the one declared first).
#include "compiler/syntax/lexer.h"

namespace lode::syntax {

RawToken HandLexer::next() {
  RawToken tok;
  tok.start = uint32_t(p_);
  tok.line = line_;
  tok.col = col_;
  if (p_ >= s_.size()) {
    tok.type = t_.eof;
    tok.stop = uint32_t(p_) - 1;  // ANTLR's EOF ends before it starts
    return tok;
  }
  const char32_t c = s_[p_];
  size_t end = p_ + 1;
  uint32_t type = t_.unknown;
  uint32_t channel = 0;
  if (digit(c)) {
    // DATE : DIGIT{4} '-' DIGIT{2} '-' DIGIT{2}, declared first; neither HSCODE nor NUMBER can reach
    // past the '-' it needs after four digits, so when it matches it is the longest.
    if (digit(at(p_ + 1)) && digit(at(p_ + 2)) && digit(at(p_ + 3)) && at(p_ + 4) == '-' && digit(at(p_ + 5)) &&
        digit(at(p_ + 6)) && at(p_ + 7) == '-' && digit(at(p_ + 8)) && digit(at(p_ + 9))) {
      type = t_.date;
      end = p_ + 10;
    } else {
      // HSCODE : DIGIT+ ('.' DIGIT+){2,}   NUMBER : DIGIT+ ('.' DIGIT+)?
      size_t q = digits(p_);
      int groups = 0;
      while (at(q) == '.' && digit(at(q + 1))) {
        q = digits(q + 1);
        ++groups;
        if (groups == 1) end = q;
      }
      if (groups >= 2) {
        type = t_.hscode;
        end = q;
      } else {
        type = t_.number;
        if (groups == 0) end = q;
      }
    }
  } else if (identStart(c)) {
    size_t q = p_ + 1;
    while (identPart(at(q))) ++q;
    end = q;
    word_.clear();
    for (size_t i = p_; i < q; ++i) word_ += char(s_[i]);
    auto it = t_.keywords.find(word_);
    type = it != t_.keywords.end() ? it->second : t_.ident;
  } else if (c == '"') {
    // STRING : '"' (~["\\\r\n] | '\\' .)* '"' ; without its closing quote, the quote alone is UNKNOWN.
    size_t q = p_ + 1;
    for (;;) {
      if (q >= s_.size()) break;
      char32_t ch = s_[q];
      if (ch == '"') {
        type = t_.string;
        end = q + 1;
        break;
      }
      if (ch == '\\') {
        if (q + 1 >= s_.size()) break;
        q += 2;
        continue;
      }
      if (ch == '\r' || ch == '\n') break;
      ++q;
    }
  } else if (c == '#') {
    size_t q = p_ + 1;
    while (q < s_.size() && s_[q] != '\r' && s_[q] != '\n') ++q;
    end = q;
    type = t_.comment;
    channel = t_.hidden;
  } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0x0C) {
    size_t q = p_ + 1;
    for (char32_t w = at(q); w == ' ' || w == '\t' || w == '\r' || w == '\n' || w == 0x0C; w = at(++q)) {}
    end = q;
    type = t_.ws;
    channel = t_.hidden;
  } else if (c == 0xFEFF) {
    type = t_.bom;
    channel = t_.hidden;
  } else if (c < 128) {
    char32_t d = at(p_ + 1);
    auto it = d < 128 ? t_.symbol2.find(uint32_t(c) << 8 | uint32_t(d)) : t_.symbol2.end();
    if (it != t_.symbol2.end()) {
      type = it->second;
      end = p_ + 2;
    } else if (t_.symbol1[c]) {
      type = t_.symbol1[c];
    }
  }
  for (size_t i = p_; i < end; ++i) {
    if (s_[i] == '\n') {
      ++line_;
      col_ = 0;
    } else {
      ++col_;
    }
  }
  tok.type = type;
  tok.channel = channel;
  tok.stop = uint32_t(end - 1);
  p_ = end;
  return tok;
}

}  // namespace lode::syntax
