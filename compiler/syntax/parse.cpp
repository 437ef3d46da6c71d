// Runs ANTLR over one file and reports syntax errors in lode's words.
#include "compiler/syntax/parse.h"

#include <fmt/format.h>

#include <cctype>
#include <cstring>
#include <set>
#include <unordered_map>

#include "LodeLexer.h"
#include "LodeParser.h"
#include "antlr4-runtime.h"
#include "compiler/diag/codes.h"
#include "compiler/diag/limits.h"
#include "compiler/syntax/ast_builder.h"
#include "compiler/syntax/lexer.h"

namespace lode::syntax {
namespace {

// Checks UTF-8 and builds the code point -> byte offset map ANTLR positions need.
// Returns the byte offset of the first invalid sequence, or -1. ANTLR's input stream drops a leading
// UTF-8 byte order mark, so its code point 0 is the character after the BOM.
long utf8Map(const std::string& s, std::vector<uint32_t>& cpToByte) {
  bool ascii = true;
  for (unsigned char c : s) if (c >= 0x80) { ascii = false; break; }
  if (ascii) return -1;
  size_t start = s.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
  for (size_t i = start; i < s.size();) {
    unsigned char c = s[i];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return long(i);
    for (size_t k = 1; k < n; ++k) if ((uint8_t(s[i + k]) & 0xC0) != 0x80) return long(i);
    // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8 either.
    uint32_t cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
    for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (uint8_t(s[i + k]) & 0x3F);
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return long(i);
    cpToByte.push_back(uint32_t(i));
    i += n;
  }
  cpToByte.push_back(uint32_t(s.size()));
  return -1;
}

std::string describe(antlr4::Token* t) {
  if (!t || t->getType() == antlr4::Token::EOF) return "end of file";
  std::string text = t->getText();
  // Control characters (a NUL byte, a form feed) are named, not printed.
  if (text.size() == 1 && (uint8_t(text[0]) < 0x20 || text[0] == 0x7F)) return fmt::format("U+{:04X}", uint8_t(text[0]));
  return fmt::format("'{}'", text);
}

// Keywords are lowercase words the lexer does not hand out as IDENT.
bool isKeyword(antlr4::Token* t) {
  if (!t || t->getType() == lode_gen::LodeLexer::IDENT || t->getType() == antlr4::Token::EOF) return false;
  std::string text = t->getText();
  if (text.empty()) return false;
  for (char c : text) if (c < 'a' || c > 'z') return false;
  return true;
}

class ErrorListener : public antlr4::BaseErrorListener {
 public:
  ErrorListener(uint32_t file, const std::vector<uint32_t>& cpToByte, Diagnostics& d)
      : file_(file), cpToByte_(cpToByte), diags_(d) {}

  void syntaxError(antlr4::Recognizer* rec, antlr4::Token* tok, size_t, size_t, const std::string& msg,
                   std::exception_ptr) override {
    if (!tok) return;  // lexer errors cannot happen: UNKNOWN catches every character
    SourceRange r{file_, byteOf(tok->getStartIndex()), byteOf(tok->getStopIndex() + 1)};
    if (tok->getType() == antlr4::Token::EOF) r.end = r.begin;
    if (tok->getType() == lode_gen::LodeLexer::UNKNOWN) {
      if (tok->getText() == "\"")
        diags_.error(code::kBadChar, r, "unterminated string: a string must close with \" on the line it starts");
      else
        diags_.error(code::kBadChar, r, fmt::format("unexpected character {} (not part of any lode token)", describe(tok)));
      return;
    }
    // A word right after a number that is not a unit word: say so (the grammar only takes unit words).
    if (tok->getType() == lode_gen::LodeLexer::IDENT) {
      if (auto* parser = dynamic_cast<antlr4::Parser*>(rec)) {
        auto* ts = parser->getTokenStream();
        for (long i = long(tok->getTokenIndex()) - 1; i >= 0; --i) {
          antlr4::Token* prev = ts->get(size_t(i));
          if (prev->getChannel() != antlr4::Token::DEFAULT_CHANNEL) continue;
          if (prev->getType() == lode_gen::LodeLexer::NUMBER) {
            diags_.error(code::kUnknownUnit, r, fmt::format("unknown unit '{}' (units: t, kg, g, lb, mAh, kWh, l, tCO2, pcs, %, days, or a currency like USD)", tok->getText()));
            return;
          }
          break;
        }
      }
    }
    // ANTLR's own wording names internal token types; keep only the "expecting" set, translated.
    std::string expected;
    auto pos = msg.find("expecting ");
    if (pos != std::string::npos) expected = msg.substr(pos + 10);
    std::string text = fmt::format("unexpected {}", describe(tok));
    if (isKeyword(tok) && expected == "IDENT") {  // only a name fits here
      diags_.error(code::kSyntax, r, fmt::format("'{}' is a keyword and cannot be used as a name", tok->getText()));
      return;
    }
    if (msg.rfind("missing", 0) == 0) text = fmt::format("missing {} before {}", msg.substr(8, msg.find(" at ") - 8), describe(tok));
    // The token kinds in words: "expected a name", not "expected IDENT".
    static const std::pair<const char*, const char*> kWords[] = {
        {"IDENT", "a name"}, {"DATE", "a date (YYYY-MM-DD)"}, {"NUMBER", "a number"},
        {"STRING", "a string"}, {"HSCODE", "an HS code"}};
    for (const auto& [kind, words] : kWords) {
      for (size_t at = expected.find(kind); at != std::string::npos; at = expected.find(kind, at + 1)) {
        bool alone = (at == 0 || !std::isalnum(uint8_t(expected[at - 1]))) &&
                     (at + std::strlen(kind) >= expected.size() || !std::isalnum(uint8_t(expected[at + std::strlen(kind)])));
        if (alone) expected.replace(at, std::strlen(kind), words);
      }
    }
    if (!expected.empty() && expected.size() < 200) text += fmt::format("; expected {}", expected);
    diags_.error(code::kSyntax, r, text);
  }

 private:
  uint32_t byteOf(size_t cp) const {
    if (cpToByte_.empty()) return uint32_t(cp);
    return cp < cpToByte_.size() ? cpToByte_[cp] : cpToByte_.back();
  }
  uint32_t file_;
  const std::vector<uint32_t>& cpToByte_;
  Diagnostics& diags_;
};

// The parser is recursive descent: each nested construct is a C++ call. It tracks how deep rule
// invocations (and among them `expr`, the one rule every nesting construct goes through) are nested,
// and gives up (TooDeep) past the limits, long before the stack could overflow. ANTLR announces a
// rule's start (enterRule / enterRecursionRule) but not its end, so the depths of a context are
// computed from its parent's: contexts the generated code creates without announcing them (labelled
// alternatives, the new root of a left-recursive loop) are counted on the way up to the nearest
// announced ancestor.
class GuardedParser : public lode_gen::LodeParser {
 public:
  struct TooDeep {
    antlr4::Token* at;
  };
  using LodeParser::LodeParser;

  void enterRule(antlr4::ParserRuleContext* ctx, size_t state, size_t rule) override {
    track(ctx);
    LodeParser::enterRule(ctx, state, rule);
  }
  void enterRecursionRule(antlr4::ParserRuleContext* ctx, size_t state, size_t rule, int precedence) override {
    track(ctx);
    LodeParser::enterRecursionRule(ctx, state, rule, precedence);
  }

 private:
  struct Depth {
    uint32_t rules = 0, exprs = 0;
  };
  // Depth per announced context, by address: open addressing (no allocation per entry, unlike
  // std::unordered_map; this is looked up on every rule invocation). Contexts live as long as the
  // parser, so an address is never reused during a parse.
  class DepthTable {
   public:
    const Depth* find(const void* key) const {
      for (size_t i = slot(key);; i = (i + 1) & (slots_.size() - 1)) {
        if (slots_[i].key == key) return &slots_[i].depth;
        if (!slots_[i].key) return nullptr;
      }
    }
    void put(const void* key, Depth d) {
      if (2 * (used_ + 1) > slots_.size()) grow();
      size_t i = slot(key);
      while (slots_[i].key && slots_[i].key != key) i = (i + 1) & (slots_.size() - 1);
      if (!slots_[i].key) ++used_;
      slots_[i] = {key, d};
    }

   private:
    struct Slot {
      const void* key = nullptr;
      Depth depth;
    };
    size_t slot(const void* key) const {
      return size_t((uint64_t(uintptr_t(key)) * 0x9E3779B97F4A7C15ull) >> (64 - bits_));
    }
    void grow() {
      std::vector<Slot> old = std::move(slots_);
      ++bits_;
      slots_.assign(size_t(1) << bits_, Slot{});
      used_ = 0;
      for (const Slot& s : old)
        if (s.key) put(s.key, s.depth);
    }
    unsigned bits_ = 10;
    std::vector<Slot> slots_ = std::vector<Slot>(size_t(1) << 10);
    size_t used_ = 0;
  };
  // Every node above a rule context is a rule context (terminals are leaves): no dynamic_cast.
  static bool isExpr(const antlr4::tree::ParseTree* t) {
    return static_cast<const antlr4::RuleContext*>(t)->getRuleIndex() == RuleExpr;
  }
  void track(antlr4::ParserRuleContext* ctx) {
    Depth d{1, isExpr(ctx) ? 1u : 0u};
    for (antlr4::tree::ParseTree* p = ctx->parent; p; p = p->parent) {
      if (const Depth* known = depth_.find(p)) {
        d.rules += known->rules;
        d.exprs += known->exprs;
        break;
      }
      ++d.rules;
      if (isExpr(p)) ++d.exprs;
    }
    depth_.put(ctx, d);
    // An expression nested n levels deep is n + 1 nested `expr` invocations: the syntax stage's own
    // count (AstBuilder) reports exactly at kMaxNesting; this one only catches what never gets there.
    if (d.exprs > limits::kMaxNesting + 2 || d.rules > limits::kMaxRuleDepth) throw TooDeep{getCurrentToken()};
  }
  DepthTable depth_;
};

// ANTLR's input stream (the text as code points, without a leading byte order mark), letting the
// hand-written lexer read the code points it holds.
class Input : public antlr4::ANTLRInputStream {
 public:
  using ANTLRInputStream::ANTLRInputStream;
  std::u32string_view codePoints() const { return std::u32string_view(_data.data(), _data.size()); }
};

// The token kinds of the grammar, for the hand-written lexer, read once from the generated lexer's
// vocabulary. Incomplete (and ANTLR's own lexer used instead) if the grammar has a lexer rule the hand
// lexer does not know.
const LexerTables& lexerTables() {
  static const LexerTables tables = [] {
    LexerTables t;
    using L = lode_gen::LodeLexer;
    t.eof = uint32_t(antlr4::Token::EOF);
    t.hidden = uint32_t(antlr4::Token::HIDDEN_CHANNEL);
    t.date = L::DATE, t.hscode = L::HSCODE, t.number = L::NUMBER, t.string = L::STRING, t.ident = L::IDENT;
    t.comment = L::COMMENT, t.ws = L::WS, t.bom = L::BOM, t.unknown = L::UNKNOWN;
    const std::set<std::string> ruleTokens = {"DATE", "HSCODE", "NUMBER", "STRING", "IDENT", "COMMENT", "WS", "BOM", "UNKNOWN"};
    antlr4::ANTLRInputStream empty("");
    L lexer(&empty);
    const antlr4::dfa::Vocabulary& v = lexer.getVocabulary();
    for (size_t type = 1; type <= v.getMaxTokenType(); ++type) {
      std::string lit = v.getLiteralName(type);
      if (lit.empty()) {
        if (!ruleTokens.count(v.getSymbolicName(type))) return t;
        continue;
      }
      if (lit.size() < 3 || lit.front() != '\'' || lit.back() != '\'') return t;
      std::string w = lit.substr(1, lit.size() - 2);
      if (w == "\xEF\xBB\xBF" && type == L::BOM) continue;  // U+FEFF, the hand lexer's own case
      bool word = true;
      for (char c : w) word = word && c >= 'a' && c <= 'z';
      if (word) t.keywords.emplace(w, uint32_t(type));
      else if (w.size() == 1 && uint8_t(w[0]) < 128 && w[0] != '\\' && w[0] != '\'') t.symbol1[uint8_t(w[0])] = uint32_t(type);
      else if (w.size() == 2 && uint8_t(w[0]) < 128 && uint8_t(w[1]) < 128 && w[0] != '\\')
        t.symbol2.emplace(uint32_t(uint8_t(w[0])) << 8 | uint8_t(w[1]), uint32_t(type));
      else return t;
    }
    t.complete = true;
    return t;
  }();
  return tables;
}

// Hands the parser the tokens lexAll made; they name it as their source.
class TokenBuffer : public antlr4::TokenSource {
 public:
  explicit TokenBuffer(Input& input) : input_(input) {}
  std::vector<std::unique_ptr<antlr4::Token>> tokens;

  std::unique_ptr<antlr4::Token> nextToken() override {
    if (next_ < tokens.size()) return std::move(tokens[next_++]);
    return std::make_unique<antlr4::CommonToken>(antlr4::Token::EOF);  // the stream stops at the first EOF
  }
  size_t getLine() const override { return 0; }
  size_t getCharPositionInLine() override { return 0; }
  antlr4::CharStream* getInputStream() override { return &input_; }
  std::string getSourceName() override { return input_.getSourceName(); }
  antlr4::TokenFactory<antlr4::CommonToken>* getTokenFactory() override { return antlr4::CommonTokenFactory::DEFAULT.get(); }

 private:
  Input& input_;
  size_t next_ = 0;
};

// The tokens of the input, from the hand-written lexer, or from ANTLR's generated one (the reference,
// and the fallback if the grammar outgrows the hand lexer).
class TokenMaker {
 public:
  TokenMaker(Input& input, TokenBuffer& buffer, bool generated)
      : input_(input), buffer_(buffer), hand_(input.codePoints(), lexerTables()) {
    if (generated || !lexerTables().complete) {
      antlr_ = std::make_unique<lode_gen::LodeLexer>(&input_);
      antlr_->removeErrorListeners();  // lexer errors cannot happen: UNKNOWN catches every character
    }
  }
  std::unique_ptr<antlr4::Token> next() {
    if (antlr_) return antlr_->nextToken();
    RawToken r = hand_.next();
    size_t stop = r.type == uint32_t(antlr4::Token::EOF) ? size_t(r.start) - 1 : r.stop;
    auto t = std::make_unique<antlr4::CommonToken>(std::pair<antlr4::TokenSource*, antlr4::CharStream*>{&buffer_, &input_},
                                                   r.type == uint32_t(antlr4::Token::EOF) ? antlr4::Token::EOF : size_t(r.type),
                                                   r.channel, r.start, stop);
    t->setLine(r.line);
    t->setCharPositionInLine(r.col);
    return t;
  }

 private:
  Input& input_;
  TokenBuffer& buffer_;
  HandLexer hand_;
  std::unique_ptr<lode_gen::LodeLexer> antlr_;
};

// The lexer's one pass, before the parser runs: the tokens are kept for the parser (in `out`), and
// the pass bounds the parser's work (token count), the nesting of brackets (the parser and every
// later stage recurse on it) and the length of names. Returns false when the file must not be
// parsed; it stops at the first such limit, so it never keeps more tokens than a file that passes.
bool lexAll(TokenMaker& lexer, uint32_t file, const std::vector<uint32_t>& cpToByte, Diagnostics& diags,
            std::vector<std::unique_ptr<antlr4::Token>>& out) {
  auto byteOf = [&](size_t cp) -> uint32_t {
    if (cpToByte.empty()) return uint32_t(cp);
    return cp < cpToByte.size() ? cpToByte[cp] : cpToByte.back();
  };
  auto rangeOf = [&](const antlr4::Token& t) {
    return SourceRange{file, byteOf(t.getStartIndex()), byteOf(t.getStopIndex() + 1)};
  };
  size_t tokens = 0, depth = 0;
  for (;;) {
    std::unique_ptr<antlr4::Token> t = lexer.next();
    size_t type = t->getType();
    if (type == antlr4::Token::EOF) {
      out.push_back(std::move(t));
      return true;
    }
    if (t->getChannel() != antlr4::Token::DEFAULT_CHANNEL) {
      out.push_back(std::move(t));
      continue;
    }
    if (++tokens > limits::kMaxTokens) {
      diags.error(code::kTooLarge, rangeOf(*t),
                  fmt::format("more than {} tokens in one file (the limit): split the agreement into modules with `use`",
                              limits::kMaxTokens));
      return false;
    }
    if (type == lode_gen::LodeLexer::IDENT) {
      size_t bytes = byteOf(t->getStopIndex() + 1) - byteOf(t->getStartIndex());  // names are ASCII
      if (bytes > limits::kMaxNameLength)
        diags.error(code::kNameTooLong, rangeOf(*t),
                    fmt::format("name of {} characters: names have at most {}", bytes, limits::kMaxNameLength));
    } else if (type == lode_gen::LodeLexer::LPAREN || type == lode_gen::LodeLexer::LBRACK ||
               type == lode_gen::LodeLexer::LBRACE) {
      if (++depth > limits::kMaxNesting) {
        diags.error(code::kTooDeep, rangeOf(*t),
                    fmt::format("brackets nested more than {} levels deep (the limit)", limits::kMaxNesting));
        return false;
      }
    } else if (type == lode_gen::LodeLexer::RPAREN || type == lode_gen::LodeLexer::RBRACK ||
               type == lode_gen::LodeLexer::RBRACE) {
      if (depth > 0) --depth;  // unbalanced brackets are the parser's to report
    }
    out.push_back(std::move(t));
  }
}

}  // namespace

ast::Module parseFile(SourceManager& sm, uint32_t file, Diagnostics& diags, Prediction prediction) {
  const std::string& text = sm.text(file);
  std::vector<uint32_t> cpToByte;
  long bad = utf8Map(text, cpToByte);
  if (bad >= 0) {
    diags.error(code::kBadChar, {file, uint32_t(bad), uint32_t(bad + 1)},
                fmt::format("file is not valid UTF-8: byte 0x{:02X} (save it as UTF-8)", uint8_t(text[size_t(bad)])));
    ast::Module m;
    m.file = file;
    m.broken = true;
    return m;
  }
  auto brokenModule = [&] {
    ast::Module m;
    m.file = file;
    m.broken = true;
    return m;
  };
  if (text.size() > limits::kMaxFileBytes) {  // the driver checks first; this covers direct callers
    diags.error(code::kTooLarge, {file, 0, 0},
                fmt::format("file of {} bytes: the limit is {} bytes (1 MiB)", text.size(), limits::kMaxFileBytes));
    return brokenModule();
  }
  Input input(text);
  TokenBuffer source(input);
  TokenMaker lexer(input, source, false);
  if (!lexAll(lexer, file, cpToByte, diags, source.tokens)) return brokenModule();
  antlr4::CommonTokenStream tokens(&source);
  ErrorListener listener(file, cpToByte, diags);
  size_t before = diags.errorCount();
  lode_gen::LodeParser::FileContext* tree = nullptr;
  // Two stages, ANTLR's standard speed-up: SLL prediction (no full-context lookahead, every
  // decision cached in the shared DFA) with a strategy that gives up at the first syntax error
  // and reports nothing; only when it gives up, the full LL parse with the normal error strategy,
  // exactly as a single LL pass would run, so every message is the same. An SLL parse that succeeds
  // builds the tree the LL parse would build. A file nested too deep also goes to the second stage,
  // which reports it where the LL parse gets there.
  std::unique_ptr<GuardedParser> parser;
  if (prediction == Prediction::TwoStage) {
    parser = std::make_unique<GuardedParser>(&tokens);
    parser->removeErrorListeners();
    parser->setErrorHandler(std::make_shared<antlr4::BailErrorStrategy>());
    parser->getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(antlr4::atn::PredictionMode::SLL);
    try {
      tree = parser->file();
    } catch (const antlr4::ParseCancellationException&) {
      tree = nullptr;
    } catch (const GuardedParser::TooDeep&) {
      tree = nullptr;
    }
  }
  if (!tree) {
    tokens.seek(0);
    parser = std::make_unique<GuardedParser>(&tokens);
    parser->removeErrorListeners();
    parser->addErrorListener(&listener);
    try {
      tree = parser->file();
    } catch (const GuardedParser::TooDeep& deep) {
      SourceRange r{file, 0, 0};
      if (deep.at) {
        auto byteOf = [&](size_t cp) -> uint32_t {
          if (cpToByte.empty()) return uint32_t(cp);
          return cp < cpToByte.size() ? cpToByte[cp] : cpToByte.back();
        };
        r = {file, byteOf(deep.at->getStartIndex()), byteOf(deep.at->getStopIndex() + 1)};
        if (deep.at->getType() == antlr4::Token::EOF) r.end = r.begin;
      }
      diags.error(code::kTooDeep, r,
                  fmt::format("expression nested more than {} levels deep (the limit)", limits::kMaxNesting));
      return brokenModule();
    }
  }
  // After a syntax error ANTLR's recovery leaves holes in the tree; the errors are reported (all of
  // them, recovery goes on), but no AST is built from a broken file.
  if (diags.errorCount() != before) return brokenModule();
  AstBuilder builder(file, text, cpToByte, diags);
  return builder.build(tree);
}

std::string dumpTokens(const std::string& text, bool generatedLexer) {
  Input input(text);
  TokenBuffer source(input);
  TokenMaker lexer(input, source, generatedLexer);
  std::string out;
  for (;;) {
    std::unique_ptr<antlr4::Token> t = lexer.next();
    size_t start = t->getStartIndex(), stop = t->getStopIndex();
    out += fmt::format("{} {} {} {} {}:{} [{}]\n", t->getType() == antlr4::Token::EOF ? -1L : long(t->getType()),
                       t->getChannel(), long(start), long(stop), t->getLine(), t->getCharPositionInLine(), t->getText());
    if (t->getType() == antlr4::Token::EOF) return out;
  }
}

}  // namespace lode::syntax
