// The front end's limits (compiler/diag/limits.h, docs/limits.md): every one is a coded diagnostic at
// the right place, never a crash, a hang or a stack overflow.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "compiler/diag/codes.h"
#include "compiler/diag/limits.h"
#include "compiler/driver.h"

using namespace lode;

namespace {

const std::string kHeader = R"(agreement "Limits" {
  currency USD
  rounding half_even to 0.01 USD per line
  in force from 2027-01-01
}
country CN "China"
country US "United States"
enumeration mineral { cobalt }
scope co = cobalt
)";  // 9 lines: what a test adds starts on line 10

std::string repeat(const std::string& s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

struct Found {
  std::string code;
  uint32_t line = 0, col = 0;
  size_t errors = 0;
};

// The first error, its position and the number of errors.
Found compile(const std::string& text, bool* compiled = nullptr) {
  auto c = compileText("limits.lode", text);
  Found f;
  for (const auto& d : c->diags.all()) {
    if (d.severity != Severity::Error) continue;
    if (f.errors++ == 0) {
      auto lc = c->sm.lineCol(d.range.file, d.range.begin);
      f.code = d.code;
      f.line = lc.line;
      f.col = lc.col;
    }
  }
  if (compiled) *compiled = c->program != nullptr;
  return f;
}

}  // namespace

TEST_CASE("limits: 10,000-deep nesting of every kind is one L0006, not a stack overflow") {
  const size_t n = 10000;
  struct Case { const char* what; std::string line; uint32_t col; };
  Case cases[] = {
      {"parentheses", "let r = " + repeat("(", n) + "1 %" + repeat(")", n), 9 + 256},
      {"lists", "let r = " + repeat("[", n) + "1 %" + repeat("]", n), 9 + 256},
      {"not", "let b = " + repeat("not ", n) + "true", 0},
      {"unary minus", "let r = " + repeat("- ", n) + "1 %", 0},
      {"if/else", "let r = " + repeat("if true then 1 % else ", n) + "2 %", 0},
      {"a sum", "let r = " + repeat("1 % + ", n) + "1 %", 9},
      {"indexing", "registry t by exporter { rate: % }\nlet r = t" + repeat("[exporter]", n), 0},
      {"group unions", "group g = " + repeat("[US] + ", n) + "[CN]", 11},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    bool compiled = true;
    Found f = compile(kHeader + c.line + "\n", &compiled);
    CHECK_FALSE(compiled);
    CHECK(f.code == code::kTooDeep);
    CHECK(f.errors == 1);
    if (c.col) CHECK(f.col == c.col);
  }
}

TEST_CASE("limits: nesting up to the limit compiles") {
  bool compiled = false;
  Found f = compile(kHeader + "let r: % = " + repeat("(", limits::kMaxNesting) + "1 %" + repeat(")", limits::kMaxNesting) +
                        "\nmeasure m \"A\" on co { duty: r of value }\n",
                    &compiled);
  CHECK(f.errors == 0);
  CHECK(compiled);
  // A let's use is a level too: 255 sums in a let, used on its own, make 256.
  f = compile(kHeader + "let r = " + repeat("1 USD + ", limits::kMaxNesting - 1) + "1 USD\nmeasure m \"A\" on co { duty: r }\n",
              &compiled);
  CHECK(f.errors == 0);
  CHECK(compiled);
  f = compile(kHeader + "let r = " + repeat("1 USD + ", limits::kMaxNesting) + "1 USD\nmeasure m \"A\" on co { duty: r }\n");
  CHECK(f.code == code::kTooDeep);
}

TEST_CASE("limits: lets count the depth of the lets they use") {
  std::string chain = "let a0: % = 1 %\n";
  for (int i = 1; i < 130; ++i) chain += "let a" + std::to_string(i) + ": % = a" + std::to_string(i - 1) + " + 1 %\n";
  Found f = compile(kHeader + chain + "measure m \"A\" on co { duty: a129 of value }\n");
  CHECK(f.code == code::kTooDeep);
  CHECK(f.errors == 1);
  CHECK(f.line == 10 + 128);  // a128: 128 sums and 128 uses deep, plus its own use: 257

  // Declared last first, the whole chain is met at once: one error, and the checker stops at the limit.
  std::string reversed;
  for (int i = 2999; i >= 1; --i) reversed += "let a" + std::to_string(i) + ": % = a" + std::to_string(i - 1) + "\n";
  f = compile(kHeader + reversed + "let a0: % = 1 %\nmeasure m \"A\" on co { duty: a2999 of value }\n");
  CHECK(f.code == code::kTooDeep);
  CHECK(f.errors == 1);
}

TEST_CASE("limits: groups doubling at every step stay linear (regression: 2^n)") {
  std::string groups = "group g0 = [US]\ngroup g1 = [CN from 2028-01-01]\n";
  for (int i = 2; i < 64; ++i)
    groups += "group g" + std::to_string(i) + " = g" + std::to_string(i - 1) + " + g" + std::to_string(i - 2) + "\n";
  auto t0 = std::chrono::steady_clock::now();
  bool compiled = false;
  Found f = compile(kHeader + groups + "measure m \"A\" on co when origin in g63 { duty: 1 % of value }\n", &compiled);
  CHECK(f.errors == 0);
  CHECK(compiled);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
}

TEST_CASE("limits: names, tokens, declarations, block size, file size") {
  Found f = compile(kHeader + "let " + std::string(limits::kMaxNameLength + 1, 'x') + " = 1 %\n");
  CHECK(f.code == code::kNameTooLong);
  CHECK(f.line == 10);
  CHECK(f.col == 5);
  bool compiled = false;
  compile(kHeader + "let " + std::string(limits::kMaxNameLength, 'x') + ": % = 1 %\nmeasure m \"A\" on co { duty: " +
              std::string(limits::kMaxNameLength, 'x') + " of value }\n",
          &compiled);
  CHECK(compiled);

  f = compile(kHeader + "group g = [" + repeat("US, ", limits::kMaxTokens / 2) + "CN]\n");
  CHECK(f.code == code::kTooLarge);
  CHECK(f.errors == 1);

  f = compile(kHeader + repeat("let x = 1 %\n", limits::kMaxDeclarations));
  CHECK(f.code == code::kTooMany);
  CHECK(f.line == 10 + limits::kMaxDeclarations - 5);  // the header, 2 countries, enumeration, scope: 5 before

  std::string block = "exclusive \"x\" {\n";
  for (size_t i = 0; i <= limits::kMaxBlockMeasures; ++i) block += "measure m" + std::to_string(i) + " \"A\" on co { duty: 1 % of value }\n";
  f = compile(kHeader + block + "}\n");
  CHECK(f.code == code::kTooMany);
  CHECK(f.line == 11 + limits::kMaxBlockMeasures);

  f = compile(kHeader + std::string(limits::kMaxFileBytes, '#'));
  CHECK(f.code == code::kTooLarge);
  CHECK(f.line == 1);
  CHECK(f.col == 1);
}

TEST_CASE("empty, blank and comment-only files have no header") {
  for (const char* text : {"", "\xEF\xBB\xBF", "\n \t\r\n", "# nothing\n"}) {
    Found f = compile(text);
    CHECK(f.code == code::kHeader);
    CHECK(f.line == 1);
    CHECK(f.col == 1);
  }
}

TEST_CASE("a byte order mark and CRLF line ends are accepted, and positions are what an editor shows") {
  std::string text = kHeader + "measure m \"Maßnahme\" on co { duty: 5 % of quantity }\n";
  std::string crlf;
  for (char c : text) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  for (const std::string& t : {text, "\xEF\xBB\xBF" + text, crlf, "\xEF\xBB\xBF" + crlf}) {
    Found f = compile(t);
    CHECK(f.code == code::kCurrency);
    CHECK(f.line == 10);
    CHECK(f.col == 36);  // ß counts once
  }
  Found f = compile("\xEF\xBB\xBF" "agreement \"x\" { currency EURO\n  in force from 2027-01-01\n}\n");
  CHECK(f.line == 1);
  CHECK(f.col == 26);  // the BOM is not a column
}

TEST_CASE("text that is not UTF-8 is one L0002 at the first bad byte") {
  Found f = compile(kHeader + "let s = \"caf\xE9\"\n");
  CHECK(f.code == code::kBadChar);
  CHECK(f.line == 10);
  CHECK(f.col == 13);
  f = compile(kHeader + "# \xC0\xAF overlong\n");
  CHECK(f.code == code::kBadChar);
}
