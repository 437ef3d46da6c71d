#include <doctest/doctest.h>

#include <sstream>

#include "runtime/date.h"
#include "runtime/decimal.h"
#include "runtime/registry.h"

using namespace lode::rt;

namespace {
int32_t day(int y, int m, int d) { return daysFromCivil(y, m, d); }

RegistryTable rateTable() {
  Schema s;
  int key = s.add({"country", FieldKind::Country, {}, {}, true});
  s.add({"rate", FieldKind::Decimal, *unitParse("%"), {}, true});
  s.add({"from", FieldKind::Date, {}, {}, false});
  s.add({"until", FieldKind::Date, {}, {}, false});
  return RegistryTable("rates", s, key);
}
}  // namespace

TEST_CASE("registry: effective-dated rows and the * fallback") {
  RegistryTable t = rateTable();
  std::istringstream in(
      "country,rate,from,until\n"
      "CN,25 %,2024-01-01,2024-12-31\n"
      "CN,30,2025-01-01,\n"
      "*,10 %,,\n"
      "AU,0,2024-01-01,2024-06-30\n"
      "CN,35,2025-06-01,\n"
      "AU,bad,2025-01-01,\n");
  auto errs = t.loadCsv(in, "rates.csv");
  REQUIRE(errs.size() == 2);
  CHECK(errs[0].row == 5);  // overlaps row 2, named on the later row
  CHECK(errs[1].row == 6);
  CHECK(errs[1].field == "rate");
  CHECK(t.size() == 4);

  const Record* r = t.find("CN", day(2024, 6, 1));
  REQUIRE(r);
  CHECK(r->values[1].i == decFromInt(25));
  r = t.find("CN", day(2024, 12, 31));  // until is inclusive
  REQUIRE(r);
  CHECK(r->values[1].i == decFromInt(25));
  r = t.find("CN", day(2030, 1, 1));
  REQUIRE(r);
  CHECK(r->values[1].i == decFromInt(30));
  r = t.find("AU", day(2024, 3, 1));
  REQUIRE(r);
  CHECK(r->values[1].i == 0);
  r = t.find("AU", day(2024, 7, 1));  // AU row expired: all-others row
  REQUIRE(r);
  CHECK(r->values[1].i == decFromInt(10));
  r = t.find("US", day(2024, 7, 1));
  REQUIRE(r);
  CHECK(r->values[0].s == "*");
  r = t.find("CN", day(2023, 1, 1));  // before CN's first row
  REQUIRE(r);
  CHECK(r->values[1].i == decFromInt(10));
}

TEST_CASE("registry: no fallback row gives nullptr, and a missing column rejects the file") {
  RegistryTable t = rateTable();
  std::istringstream in("country,rate\nCN,5\n");
  CHECK(t.loadCsv(in, "r.csv").empty());
  CHECK(t.find("CN", day(2025, 1, 1)) != nullptr);
  CHECK(t.find("AU", day(2025, 1, 1)) == nullptr);

  RegistryTable u = rateTable();
  std::istringstream bad("country,from\nCN,2025-01-01\n");
  auto errs = u.loadCsv(bad, "r2.csv");
  REQUIRE(errs.size() == 1);
  CHECK(errs[0].code == ErrCode::MissingField);
  CHECK(errs[0].field == "rate");
  CHECK(u.size() == 0);
}

TEST_CASE("registry: text keys added programmatically") {
  Schema s;
  int key = s.add({"facility", FieldKind::Text, {}, {}, true});
  s.add({"certified", FieldKind::Bool, {}, {}, false});
  RegistryTable t("facilities", s, key);
  Record rec;
  rec.values = {FieldValue{true, 0, "F-1"}, FieldValue{true, 1, ""}};
  RowError err;
  CHECK(t.addRow(rec, err));
  CHECK_FALSE(t.addRow(rec, err));  // same key, both open-ended: overlap
  REQUIRE(t.find("F-1", 0));
  CHECK(t.find("F-1", 0)->values[1].i == 1);
  CHECK(t.find("F-2", 0) == nullptr);
}

namespace {
const auto isCN = [](int64_t c) { return c == countryCode('C', 'N'); };
}

TEST_CASE("ownership: direct, indirect, two paths, unknown entity") {
  OwnershipGraph g;
  std::istringstream in(
      "entity,owner,share,country\n"
      "Mine,Alpha,25 %,CN\n"
      "Mine,Holdco,50,AU\n"
      "Holdco,Beta,60 %,CN\n"
      "Holdco,Gamma,40 %,AU\n"
      "Mine,Delta,10,US\n"
      "Plant,Holdco,50,AU\n"
      "Plant,Beta,20,CN\n");
  REQUIRE(g.loadCsv(in, "own.csv").empty());
  int64_t v = -1;
  REQUIRE(g.share("Mine", isCN, &v) == ErrCode::Ok);
  CHECK(v == decFromInt(55));  // 25 direct + 50% x 60% = 30
  REQUIRE(g.share("Holdco", isCN, &v) == ErrCode::Ok);
  CHECK(v == decFromInt(60));
  REQUIRE(g.share("Plant", isCN, &v) == ErrCode::Ok);
  CHECK(v == decFromInt(50));  // two paths to Beta: 30 + 20
  REQUIRE(g.share("Nobody", isCN, &v) == ErrCode::Ok);
  CHECK(v == 0);
  REQUIRE(g.share("Mine", [](int64_t) { return false; }, &v) == ErrCode::Ok);
  CHECK(v == 0);
}

TEST_CASE("ownership: exact fractional products") {
  OwnershipGraph g;
  RowError err;
  REQUIRE(g.addEdge("A", "B", 33'333'333, 0, err));  // 33.333333 %
  REQUIRE(g.addEdge("B", "C", 50'000'000, countryCode('C', 'N'), err));
  int64_t v = 0;
  REQUIRE(g.share("A", isCN, &v) == ErrCode::Ok);
  CHECK(v == 16'666'666);  // 16.6666665 -> half-even 16.666666
}

TEST_CASE("ownership: cycles and invalid shares") {
  OwnershipGraph g;
  std::istringstream in(
      "entity,owner,share,country\n"
      "A,B,50,AU\n"
      "B,C,50,AU\n"
      "C,A,50,AU\n"
      "D,E,60,CN\n"
      "D,F,50,CN\n"
      "D,G,0,CN\n"
      "D,H,101,CN\n");
  auto errs = g.loadCsv(in, "cyc.csv");
  REQUIRE(errs.size() == 3);
  CHECK(errs[0].row == 5);  // 60 + 50 > 100
  CHECK(errs[0].field == "share");
  CHECK(errs[1].row == 6);
  CHECK(errs[2].row == 7);
  int64_t v = 0;
  CHECK(g.share("A", isCN, &v) == ErrCode::OwnershipCycle);
  REQUIRE(g.share("D", isCN, &v) == ErrCode::Ok);
  CHECK(v == decFromInt(60));
}

TEST_CASE("ownership: a chain of 200,000 holdings is walked without deep recursion") {
  // Regression (bad-input catalogue): the walk was recursive and overflowed the stack.
  OwnershipGraph g;
  std::string csv = "entity,owner,share,country\n";
  const int kLinks = 200000;
  for (int i = 0; i < kLinks; ++i) csv += "E" + std::to_string(i) + ",E" + std::to_string(i + 1) + ",100,AU\n";
  csv += "E" + std::to_string(kLinks) + ",Top,100,CN\n";
  std::istringstream in(csv);
  REQUIRE(g.loadCsv(in, "chain.csv").empty());
  int64_t v = -1;
  REQUIRE(g.share("E0", isCN, &v) == ErrCode::Ok);
  CHECK(v == decFromInt(100));
  REQUIRE(g.share("E5", [](int64_t) { return false; }, &v) == ErrCode::Ok);
  CHECK(v == 0);
}
