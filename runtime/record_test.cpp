#include <doctest/doctest.h>
#include <cstring>
#include <string>

#include "runtime/decimal.h"
#include "runtime/date.h"
#include "runtime/record.h"

using namespace lode::rt;

namespace {
FieldSpec decimalField(const char* unit) {
  FieldSpec f;
  f.name = "quantity";
  f.kind = FieldKind::Decimal;
  f.unit = unit ? *unitParse(unit) : unitNone();
  return f;
}
struct Parsed {
  bool ok;
  FieldValue v;
  RowError err;
};
Parsed parse(const FieldSpec& f, std::string_view text, const std::vector<std::string>* countries = nullptr) {
  Parsed p;
  p.ok = parseCell(f, text, p.v, p.err, countries);
  return p;
}
}  // namespace

TEST_CASE("schema add/find") {
  Schema s;
  CHECK(s.add({"a", FieldKind::Text, {}, {}, false}) == 0);
  CHECK(s.add({"b", FieldKind::Bool, {}, {}, true}) == 1);
  CHECK(s.find("b") == 1);
  CHECK(s.find("zz") == -1);
}

TEST_CASE("country codes pack and print") {
  CHECK(countryText(countryCode('C', 'N')) == "CN");
}

TEST_CASE("decimal cells: units, conversion, bare numbers") {
  auto t = decimalField("t");
  auto p = parse(t, "20 t");
  REQUIRE(p.ok);
  CHECK(p.v.present);
  CHECK(p.v.i == decFromInt(20));
  p = parse(t, "1500kg");
  REQUIRE(p.ok);
  CHECK(p.v.i == 1'500'000);  // 1.5 t
  p = parse(t, "0.5 kg");
  REQUIRE(p.ok);
  CHECK(p.v.i == 500);  // 0.0005 t
  p = parse(t, "100000 lb");
  REQUIRE(p.ok);
  CHECK(p.v.i == 45'359'237);  // 45.359237 t, exact
  // 1000 lb is 0.45359237 t: never rounded (0.453592 t would fall below a `1000 lb` threshold).
  p = parse(t, "1000 lb");
  CHECK_FALSE(p.ok);
  CHECK(p.err.code == ErrCode::InvalidValue);
  CHECK(p.err.message == "'1000 lb' is not exact in t (6 decimal places); write it in t");
  CHECK_FALSE(parse(t, "0.0001 kg").ok);  // 0.0000001 t

  p = parse(t, "20");
  CHECK_FALSE(p.ok);
  CHECK(p.err.code == ErrCode::InvalidValue);
  CHECK(p.err.message == "missing unit (expected t)");

  p = parse(t, "20 USD");
  CHECK_FALSE(p.ok);
  CHECK(p.err.code == ErrCode::BadUnit);
  CHECK(p.err.message == "expected a mass unit like t or kg, got USD");

  p = parse(t, "20 furlongs");
  CHECK_FALSE(p.ok);
  CHECK(p.err.code == ErrCode::BadUnit);
  CHECK(p.err.message == "unknown unit 'furlongs'");
  // An exponent is a malformed number (E0009), not the unknown unit "e3 kg".
  for (const char* cell : {"1e3 kg", "1E3 kg", "2.5e-3 t", "1e+2 t"}) {
    p = parse(t, cell);
    CHECK_FALSE(p.ok);
    CHECK(p.err.code == ErrCode::InvalidValue);
    CHECK(p.err.message == "malformed number '" + std::string(cell) + "': write it without an exponent (1000 kg, not 1e3 kg)");
  }

  auto plain = decimalField(nullptr);
  p = parse(plain, "-3.25");
  REQUIRE(p.ok);
  CHECK(p.v.i == -3'250'000);

  auto price = decimalField("USD/t");
  p = parse(price, "2800 USD/t");
  REQUIRE(p.ok);
  CHECK(p.v.i == decFromInt(2800));
  p = parse(price, "2.8 USD/kg");
  REQUIRE(p.ok);
  CHECK(p.v.i == decFromInt(2800));
}

TEST_CASE("decimal cells: precision and range") {
  auto plain = decimalField(nullptr);
  auto p = parse(plain, "0.1234567");
  CHECK_FALSE(p.ok);
  CHECK(p.err.code == ErrCode::InvalidValue);
  CHECK(p.err.message.find("6 decimal places") != std::string::npos);
  p = parse(plain, "99999999999999999999");
  CHECK_FALSE(p.ok);
  CHECK(p.err.code == ErrCode::OutOfRange);
  p = parse(plain, "abc");
  CHECK_FALSE(p.ok);
  CHECK(p.err.code == ErrCode::InvalidValue);
  p = parse(decimalField("t"), "1,000 t");
  CHECK_FALSE(p.ok);
  CHECK(p.err.code == ErrCode::InvalidValue);
}

TEST_CASE("empty cell is absent, not an error") {
  auto p = parse(decimalField("t"), "   ");
  CHECK(p.ok);
  CHECK_FALSE(p.v.present);
}

TEST_CASE("bool, date, text, enum, hs") {
  FieldSpec b{"flag", FieldKind::Bool, {}, {}, false};
  CHECK(parse(b, "yes").v.i == 1);
  CHECK(parse(b, "0").v.i == 0);
  CHECK(parse(b, "FALSE").ok);
  CHECK_FALSE(parse(b, "maybe").ok);

  FieldSpec d{"entry_date", FieldKind::Date, {}, {}, false};
  auto p = parse(d, "2025-03-01");
  REQUIRE(p.ok);
  CHECK(p.v.i == daysFromCivil(2025, 3, 1));
  CHECK_FALSE(parse(d, "2025-02-30").ok);
  CHECK_FALSE(parse(d, "01/03/2025").ok);

  FieldSpec t{"exporter", FieldKind::Text, {}, {}, false};
  CHECK(parse(t, "  ACME Ltd ").v.s == "ACME Ltd");

  FieldSpec e{"route", FieldKind::Enum, {}, {"sea", "air"}, false};
  CHECK(parse(e, "air").v.i == 1);
  p = parse(e, "rail");
  CHECK_FALSE(p.ok);
  CHECK(p.err.message.find("sea, air") != std::string::npos);

  FieldSpec h{"hs", FieldKind::Hs, {}, {}, false};
  CHECK(parse(h, "8507.60.00").v.s == "85076000");
  CHECK(parse(h, "2604").v.s == "2604");
  CHECK_FALSE(parse(h, "260").ok);
  CHECK_FALSE(parse(h, "12345678901").ok);
  CHECK_FALSE(parse(h, "85x7").ok);
}

TEST_CASE("country cells") {
  FieldSpec c{"origin", FieldKind::Country, {}, {}, false};
  std::vector<std::string> known{"CN", "US", "AU"};
  auto p = parse(c, "CN", &known);
  REQUIRE(p.ok);
  CHECK(p.v.i == countryCode('C', 'N'));
  p = parse(c, "XX", &known);
  CHECK_FALSE(p.ok);
  CHECK(p.err.message == "unknown country 'XX'");
  CHECK(parse(c, "XX").ok);  // no list: any two letters
  CHECK_FALSE(parse(c, "cn").ok);
  CHECK_FALSE(parse(c, "CHN").ok);
}

TEST_CASE("utf-8: validation and sanitizing") {
  CHECK(utf8Invalid("plain") == std::string_view::npos);
  CHECK(utf8Invalid("Soci\xC3\xA9t\xC3\xA9 \xE5\x85\xB3\xE7\xA8\x8E \xF0\x9F\x98\x80") == std::string_view::npos);
  CHECK(utf8Invalid("caf\xE9") == 3);             // Latin-1
  CHECK(utf8Invalid("a\xC0\xAF") == 1);           // overlong '/'
  CHECK(utf8Invalid("\xED\xA0\x80") == 0);        // a surrogate
  CHECK(utf8Invalid("\xF4\x90\x80\x80") == 0);    // past U+10FFFF
  CHECK(utf8Invalid("ok\xC3") == 2);              // truncated
  CHECK(utf8Sanitize("caf\xE9!") == "caf\\xE9!");
  CHECK(utf8Sanitize("ok") == "ok");
}

TEST_CASE("cells that are not UTF-8 are rejected whatever their kind") {
  FieldValue v;
  RowError err;
  CHECK_FALSE(parseCell({"exporter", FieldKind::Text}, "EXP-\xE9", v, err));
  CHECK(err.message.find("not valid UTF-8: byte 0xE9 at position 5") != std::string::npos);
  CHECK(err.message.find('\xE9') == std::string::npos);  // the message itself is UTF-8
  CHECK_FALSE(parseCell({"origin", FieldKind::Country}, "C\xFF", v, err));
  CHECK(err.code == ErrCode::InvalidValue);
}

TEST_CASE("decimal cells: sign constraints apply after conversion") {
  FieldSpec qty{"quantity", FieldKind::Decimal, *unitParse("t")};
  qty.sign = Sign::Positive;
  FieldSpec val{"value", FieldKind::Decimal, *unitParse("USD")};
  val.sign = Sign::NonNegative;
  FieldValue v;
  RowError err;
  CHECK(parseCell(qty, "1500 kg", v, err));
  CHECK_FALSE(parseCell(qty, "0 t", v, err));
  CHECK(err.message.find("more than zero") != std::string::npos);
  CHECK_FALSE(parseCell(qty, "-2 t", v, err));
  CHECK_FALSE(parseCell(qty, "0.000001 kg", v, err));  // 1e-9 t is 0 at six places
  CHECK(parseCell(val, "0 USD", v, err));
  CHECK_FALSE(parseCell(val, "-0.01 USD", v, err));
  CHECK(err.message.find("must not be negative") != std::string::npos);
  FieldSpec any{"change", FieldKind::Decimal, unitNone()};
  CHECK(parseCell(any, "-5", v, err));
}

TEST_CASE("hs cells: unknown chapters and headings") {
  FieldSpec hs{"hs", FieldKind::Hs};
  FieldValue v;
  RowError err;
  CHECK(parseCell(hs, "8105.20.00.00", v, err));
  CHECK_FALSE(parseCell(hs, "7701.10", v, err));
  CHECK(err.message.find("no chapter 77") != std::string::npos);
  CHECK_FALSE(parseCell(hs, "0012.34", v, err));
  CHECK_FALSE(parseCell(hs, "8100.00", v, err));
  CHECK(err.message.find("no heading 8100") != std::string::npos);
}

TEST_CASE("hs cells: the key read in the same pass as the digits is hsKey of the digits") {
  FieldSpec hs{"hs", FieldKind::Hs};
  uint64_t seed = 88172645463325252u;
  auto next = [&] { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; return seed; };
  for (int i = 0; i < 5000; ++i) {
    std::string digits, text;
    const size_t n = 4 + next() % 7;
    for (size_t k = 0; k < n; ++k) {
      digits += char('0' + next() % 10);
      text += digits.back();
      if (next() % 4 == 0) text += '.';
    }
    FieldValue v;
    RowError err;
    const bool known = digits.compare(0, 2, "00") != 0 && digits.compare(0, 2, "77") != 0 && digits.compare(2, 2, "00") != 0;
    CAPTURE(text);
    REQUIRE(parseCell(hs, text, v, err) == known);
    if (!known) continue;
    CHECK(v.s == digits);
    CHECK(v.i == hsKey(digits));
  }
}

TEST_CASE("hs keys: a prefix test is a range test, exactly like comparing the digits") {
  FieldSpec hs{"hs", FieldKind::Hs};
  FieldValue v;
  RowError err;
  REQUIRE(parseCell(hs, "2504.10.10.00", v, err));
  CHECK(v.i == hsKey("2504101000"));
  CHECK(hsKey("") == 0);
  CHECK(hsKey("12345678901") == 0);         // more than 10 digits: no key
  CHECK(hsPrefixRange("12345678901").lo == hsPrefixRange("12345678901").hi);
  const char* codes[] = {"2504", "250410", "2504101000", "2504100000", "250400", "2505", "2503999999", "9999999999",
                         "0101", "2504109", "25041", "250499"};
  const char* prefixes[] = {"25", "2504", "250410", "2504100", "2504101000", "250400", "2505", "9", "99999999999"};
  for (const char* c : codes)
    for (const char* p : prefixes) {
      HsRange r = hsPrefixRange(p);
      int64_t k = hsKey(c);
      bool byRange = r.lo <= k && k < r.hi;
      bool byText = std::string(c).compare(0, std::strlen(p), p) == 0;
      CAPTURE(c);
      CAPTURE(p);
      CHECK(byRange == byText);
    }
}
