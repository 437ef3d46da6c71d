#include <doctest/doctest.h>

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
