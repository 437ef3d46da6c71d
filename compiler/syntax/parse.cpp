// Runs ANTLR over one file and reports syntax errors in lode's words.
#include "compiler/syntax/parse.h"

#include <fmt/format.h>

#include "LodeLexer.h"
#include "LodeParser.h"
#include "antlr4-runtime.h"
#include "compiler/diag/codes.h"
#include "compiler/syntax/ast_builder.h"

namespace lode::syntax {
namespace {

// Checks UTF-8 and builds the code point -> byte offset map ANTLR positions need.
// Returns the byte offset of the first invalid sequence, or -1.
long utf8Map(const std::string& s, std::vector<uint32_t>& cpToByte) {
  bool ascii = true;
  for (unsigned char c : s) if (c >= 0x80) { ascii = false; break; }
  if (ascii) return -1;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = s[i];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return long(i);
    for (size_t k = 1; k < n; ++k) if ((uint8_t(s[i + k]) & 0xC0) != 0x80) return long(i);
    cpToByte.push_back(uint32_t(i));
    i += n;
  }
  cpToByte.push_back(uint32_t(s.size()));
  return -1;
}

std::string describe(antlr4::Token* t) {
  if (!t || t->getType() == antlr4::Token::EOF) return "end of file";
  return fmt::format("'{}'", t->getText());
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
    if (msg.rfind("missing", 0) == 0) text = fmt::format("missing {} before {}", msg.substr(8, msg.find(" at ") - 8), describe(tok));
    if (!expected.empty() && expected.size() < 160) text += fmt::format("; expected {}", expected);
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

}  // namespace

ast::Module parseFile(SourceManager& sm, uint32_t file, Diagnostics& diags) {
  const std::string& text = sm.text(file);
  std::vector<uint32_t> cpToByte;
  long bad = utf8Map(text, cpToByte);
  if (bad >= 0) {
    diags.error(code::kBadChar, {file, uint32_t(bad), uint32_t(bad + 1)}, "file is not valid UTF-8 (save it as UTF-8)");
    ast::Module m;
    m.file = file;
    m.broken = true;
    return m;
  }
  antlr4::ANTLRInputStream input(text);
  lode_gen::LodeLexer lexer(&input);
  lexer.removeErrorListeners();
  antlr4::CommonTokenStream tokens(&lexer);
  lode_gen::LodeParser parser(&tokens);
  ErrorListener listener(file, cpToByte, diags);
  lexer.addErrorListener(&listener);
  parser.removeErrorListeners();
  parser.addErrorListener(&listener);
  size_t before = diags.errorCount();
  auto* tree = parser.file();
  // After a syntax error ANTLR's recovery leaves holes in the tree; the errors are reported (all of
  // them, recovery goes on), but no AST is built from a broken file.
  if (diags.errorCount() != before) {
    ast::Module m;
    m.file = file;
    m.broken = true;
    return m;
  }
  AstBuilder builder(file, cpToByte, diags);
  return builder.build(tree);
}

}  // namespace lode::syntax
