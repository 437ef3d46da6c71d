// The syntax stage's fast paths give exactly what the reference paths give: the hand-written lexer
// the tokens of ANTLR's generated lexer, and the two-stage parse (SLL first) the AST and the
// diagnostics of a full LL parse. Compared on every .lode file of the repository and on random text.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/driver.h"
#include "compiler/report/ast_dump.h"
#include "compiler/syntax/parse.h"

using namespace lode;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> corpusFiles() {
  std::vector<std::string> out;
  for (const char* dir : {"examples", "tests", "stdlib", "docs"}) {
    fs::path root = fs::path(LODE_SOURCE_DIR) / dir;
    if (!fs::exists(root)) continue;
    for (const auto& e : fs::recursive_directory_iterator(root))
      if (e.is_regular_file() && e.path().extension() == ".lode") out.push_back(e.path().string());
  }
  fs::path countries = fs::path(defaultStdlibDir()) / "countries.lode";  // generated at build time
  if (fs::exists(countries)) out.push_back(countries.string());
  return out;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// What the parser lexes: text it has not rejected as malformed UTF-8 first (overlong forms too).
bool validUtf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = s[i];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
    for (size_t k = 1; k < n; ++k) {
      if ((uint8_t(s[i + k]) & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (uint8_t(s[i + k]) & 0x3F);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n;
  }
  return true;
}

// Random text made of the pieces the lexer rules care about.
std::string randomText(std::mt19937& rng, size_t pieces) {
  static const std::string kPieces[] = {
      "0", "7", "2027", "-", ".", "2027-01-01", "2027-1-01", "2504.10", "2504.10.50.00", "1.", "12.3.", "\"", "\"ab c\"",
      "\\", "\\\"", "\n", "\r\n", "\r", "\t", " ", "\x0C", "#", "# note", "a", "Z", "_", "x9", "agreement", "in", "into",
      "not", "USD", "<", "<=", "=", "==", "!", "!=", ">", ">=", "{", "}", "(", ")", "[", "]", ",", ":", "%", "&", "|",
      "*", "/", "+", "\xC3\xA9", "\xE2\x82\xAC", "\xEF\xBB\xBF", "\xF0\x9F\x98\x80", "\x01", std::string("\0", 1),
      "'", "@", "$", "~"};
  std::uniform_int_distribution<size_t> pick(0, std::size(kPieces) - 1);
  std::string s;
  for (size_t i = 0; i < pieces; ++i) s += kPieces[pick(rng)];
  return s;
}

struct Parsed {
  std::string ast;
  std::string diags;
};

Parsed parseWith(const std::string& text, syntax::Prediction prediction) {
  SourceManager sm;
  Diagnostics d;
  uint32_t f = sm.add("t.lode", text);
  ast::Module m = syntax::parseFile(sm, f, d, prediction);
  Parsed p;
  p.ast = m.broken ? "broken" : report::dumpAst(m, sm);
  for (const auto& x : d.all())
    p.diags += x.code + " " + std::to_string(x.range.begin) + "-" + std::to_string(x.range.end) + " " + x.message + "\n";
  return p;
}

}  // namespace

TEST_CASE("the hand-written lexer gives the generated lexer's tokens on every corpus file") {
  auto files = corpusFiles();
  REQUIRE(files.size() > 50);
  for (const auto& f : files) {
    std::string text = slurp(f);
    if (!validUtf8(text)) continue;  // the parser rejects it before lexing
    INFO(f);
    CHECK(syntax::dumpTokens(text, false) == syntax::dumpTokens(text, true));
  }
}

TEST_CASE("the hand-written lexer gives the generated lexer's tokens on random text") {
  std::mt19937 rng(20261122);
  for (int i = 0; i < 3000; ++i) {
    std::string text = randomText(rng, size_t(i % 40));
    INFO(text);
    REQUIRE(syntax::dumpTokens(text, false) == syntax::dumpTokens(text, true));
  }
}

TEST_CASE("the two-stage parse gives the full LL parse's AST and diagnostics") {
  for (const auto& f : corpusFiles()) {
    std::string text = slurp(f);
    INFO(f);
    Parsed fast = parseWith(text, syntax::Prediction::TwoStage), ll = parseWith(text, syntax::Prediction::LL);
    CHECK(fast.ast == ll.ast);
    CHECK(fast.diags == ll.diags);
  }
  // Syntax errors at random places in a real agreement: the second stage reports them as LL does.
  std::string e1 = slurp(std::string(LODE_SOURCE_DIR) + "/examples/agreements/graphite_anode_na_indopacific.lode");
  std::mt19937 rng(7);
  for (int i = 0; i < 40; ++i) {
    std::string text = e1;
    size_t at = std::uniform_int_distribution<size_t>(0, text.size() - 1)(rng);
    text.insert(at, randomText(rng, 1 + i % 3));
    if (!validUtf8(text)) continue;
    INFO(at);
    Parsed fast = parseWith(text, syntax::Prediction::TwoStage), ll = parseWith(text, syntax::Prediction::LL);
    CHECK(fast.ast == ll.ast);
    CHECK(fast.diags == ll.diags);
  }
}
