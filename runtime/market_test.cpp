#include <doctest/doctest.h>

#include <sstream>

#include "runtime/date.h"
#include "runtime/decimal.h"
#include "runtime/market.h"

using namespace lode::rt;

namespace {
int32_t day(int y, int m, int d) { return daysFromCivil(y, m, d); }
}  // namespace

TEST_CASE("market: load converts units, skips undeclared series, keeps good rows") {
  std::unordered_map<std::string, Unit> units{{"LME_NI", *unitParse("USD/t")}};
  std::istringstream in(
      "series,date,value\n"
      "LME_NI,2025-01-02,16000 USD/t\n"
      "LME_NI,2025-01-03,16.5 USD/kg\n"
      "OTHER,2025-01-03,1 USD/t\n"
      "LME_NI,2025-01-06,16100 USD\n"
      "LME_NI,2025-13-01,1 USD/t\n"
      "LME_NI,2025-01-02,17000 USD/t\n");
  MarketData m;
  auto errs = m.loadCsv(in, "m.csv", units);
  CHECK(m.skippedRows() == 1);
  REQUIRE(errs.size() == 3);
  CHECK(errs[0].row == 4);
  CHECK(errs[0].code == ErrCode::BadUnit);
  CHECK(errs[1].row == 5);
  CHECK(errs[1].field == "date");
  CHECK(errs[2].row == 6);  // the later duplicate
  int h = m.handle("LME_NI");
  REQUIRE(h >= 0);
  CHECK(m.count(h) == 2);
  int64_t v = 0;
  REQUIRE(m.latest(h, day(2025, 1, 2), day(2025, 1, 1), &v) == ErrCode::Ok);
  CHECK(v == decFromInt(16000));
  REQUIRE(m.latest(h, day(2025, 1, 31), day(2025, 1, 1), &v) == ErrCode::Ok);
  CHECK(v == decFromInt(16500));
}

TEST_CASE("market: windows, averages, min/max, missing observation") {
  MarketData m;
  // Out of order on purpose: finalize sorts.
  m.add("P", day(2025, 1, 10), decFromInt(3));
  m.add("P", day(2025, 1, 1), decFromInt(1));
  m.add("P", day(2025, 1, 5), decFromInt(1));
  m.add("P", day(2025, 2, 1), decFromInt(100));
  CHECK(m.finalize().empty());
  int h = m.handle("P");
  int64_t v = 0;
  REQUIRE(m.avg(h, day(2025, 1, 1), day(2025, 1, 31), &v) == ErrCode::Ok);
  CHECK(v == 1'666'667);  // 5/3 rounded half-even at scale 6
  REQUIRE(m.avg("P", day(2025, 1, 1), day(2025, 1, 5), &v) == ErrCode::Ok);  // inclusive ends
  CHECK(v == decFromInt(1));
  REQUIRE(m.min(h, day(2025, 1, 1), day(2025, 2, 1), &v) == ErrCode::Ok);
  CHECK(v == decFromInt(1));
  REQUIRE(m.max(h, day(2025, 1, 1), day(2025, 2, 1), &v) == ErrCode::Ok);
  CHECK(v == decFromInt(100));
  CHECK(m.avg(h, day(2025, 1, 11), day(2025, 1, 31), &v) == ErrCode::MissingObservation);
  CHECK(m.latest(h, day(2025, 1, 31), day(2025, 1, 11), &v) == ErrCode::MissingObservation);
  REQUIRE(m.latest(h, day(2025, 1, 9), day(2024, 1, 1), &v) == ErrCode::Ok);
  CHECK(v == decFromInt(1));
  CHECK(m.avg("NOPE", day(2025, 1, 1), day(2025, 12, 31), &v) == ErrCode::MissingObservation);
  CHECK(m.handle("NOPE") == -1);
}

TEST_CASE("market: half-even mean of raw values") {
  MarketData m;
  m.add("Q", 1, 1);
  m.add("Q", 2, 2);  // mean 1.5 raw -> 2 (even)
  m.finalize();
  int64_t v = 0;
  REQUIRE(m.avg("Q", 0, 10, &v) == ErrCode::Ok);
  CHECK(v == 2);
  m.add("R", 1, -1);
  m.add("R", 2, -2);  // -1.5 raw -> -2
  m.add("S", 1, 2);
  m.add("S", 2, 3);  // 2.5 raw -> 2
  m.finalize();
  REQUIRE(m.avg("R", 0, 10, &v) == ErrCode::Ok);
  CHECK(v == -2);
  REQUIRE(m.avg("S", 0, 10, &v) == ErrCode::Ok);
  CHECK(v == 2);
  // A sum past 64 bits takes the 128-bit path: the same half-even mean.
  m.add("W", 1, INT64_MAX - 10);
  m.add("W", 2, INT64_MAX - 21);  // mean INT64_MAX - 15.5 -> INT64_MAX - 15 (even: INT64_MAX is odd)
  m.add("V", 1, INT64_MIN + 1);
  m.add("V", 2, INT64_MIN + 4);  // mean INT64_MIN + 2.5 -> INT64_MIN + 2
  m.finalize();
  REQUIRE(m.avg("W", 0, 10, &v) == ErrCode::Ok);
  CHECK(v == INT64_MAX - 15);
  REQUIRE(m.avg("V", 0, 10, &v) == ErrCode::Ok);
  CHECK(v == INT64_MIN + 2);
}

TEST_CASE("market: declared handles are stable before loading") {
  MarketData m;
  int h = m.declare("X");
  int64_t v = 0;
  CHECK(m.avg(h, 0, 100, &v) == ErrCode::MissingObservation);
  std::istringstream in("date,value,series\n2025-01-01,5,X\n");
  auto errs = m.loadCsv(in, "x.csv", {{"X", unitNone()}});
  CHECK(errs.empty());
  CHECK(m.handle("X") == h);
  REQUIRE(m.latest(h, day(2025, 1, 1), day(2025, 1, 1), &v) == ErrCode::Ok);
  CHECK(v == decFromInt(5));
}
