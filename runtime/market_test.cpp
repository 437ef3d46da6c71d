#include <doctest/doctest.h>

#include <algorithm>
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
      "LME_NI,2025-01-02,17000 USD/t\n"
      "LME_NI,2025-01-07,1 USD\n");
  MarketData m;
  auto errs = m.loadCsv(in, "m.csv", units);
  CHECK(m.skippedRows() == 1);
  REQUIRE(errs.size() == 4);
  CHECK(errs[0].row == 4);
  CHECK(errs[0].code == ErrCode::BadUnit);
  CHECK(errs[1].row == 5);
  CHECK(errs[1].field == "date");
  CHECK(errs[2].row == 6);  // the later duplicate, found after every row is read, in row order
  CHECK(errs[2].message == "duplicate observation for 'LME_NI' on 2025-01-02");
  CHECK(errs[3].row == 7);
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

// The half-even mean of raw values, computed the slow way: the window's observations summed one by one.
int64_t referenceMean(const std::vector<std::pair<int32_t, int64_t>>& obs, int32_t from, int32_t to, bool* any) {
  __int128 sum = 0, n = 0;
  for (const auto& [d, v] : obs)
    if (d >= from && d <= to) sum += v, ++n;
  *any = n > 0;
  if (n == 0) return 0;
  __int128 q = sum / n, r = sum % n;
  if (r < 0) q -= 1, r += n;
  if (2 * r > n || (2 * r == n && (q & 1) != 0)) q += 1;
  return static_cast<int64_t>(q);
}

TEST_CASE("market: windows by day index and prefix sums match the window read one by one") {
  uint64_t seed = 0x9e3779b97f4a7c15u;
  auto next = [&] { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; return seed; };
  for (int round = 0; round < 24; ++round) {
    MarketData m;
    std::vector<std::pair<int32_t, int64_t>> obs;  // distinct dates, loaded out of order
    const bool huge = round % 4 == 3;            // values near the int64 limits: 128-bit sums
    for (int32_t d = 0; d < 400; ++d) {
      if (next() % 3 == 0) continue;
      int64_t v = huge ? INT64_MAX - int64_t(next() % 1000) : int64_t(next() % 20000000000) - 10000000000;
      if (huge && next() % 2) v = -v;
      obs.push_back({d, v});
    }
    if (round % 3 == 2) obs.push_back({90000, 5});  // sparse: the binary search, not the day index
    for (size_t i = obs.size(); i > 1; --i) std::swap(obs[i - 1], obs[next() % i]);
    for (const auto& [d, v] : obs) m.add("S", d, v);
    CHECK(m.finalize().empty());
    if (round % 2) {  // an observation added after finalize(): read without the index until the next one
      obs.push_back({95000, 7});
      m.add("S", 95000, 7);
    }
    int h = m.handle("S");
    for (int q = 0; q < 300; ++q) {
      int32_t a = int32_t(next() % 520) - 10, b = int32_t(next() % 520) - 10;
      if (q % 10 == 0) b = q % 20 ? 96000 : INT32_MAX;  // past the last observation
      if (a > b) std::swap(a, b);
      bool any = false;
      int64_t want = referenceMean(obs, a, b, &any), got = 0;
      REQUIRE(m.avg(h, a, b, &got) == (any ? ErrCode::Ok : ErrCode::MissingObservation));
      if (!any) continue;
      REQUIRE(got == want);
      int64_t lo = INT64_MAX, hi = INT64_MIN, last = 0;
      int32_t lastDay = INT32_MIN;
      for (const auto& [d, v] : obs)
        if (d >= a && d <= b) {
          lo = std::min(lo, v), hi = std::max(hi, v);
          if (d > lastDay) lastDay = d, last = v;
        }
      REQUIRE(m.min(h, a, b, &got) == ErrCode::Ok);
      CHECK(got == lo);
      REQUIRE(m.max(h, a, b, &got) == ErrCode::Ok);
      CHECK(got == hi);
      REQUIRE(m.latest(h, b, a, &got) == ErrCode::Ok);
      CHECK(got == last);
    }
  }
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

TEST_CASE("market: an exchange rate of zero or less is a row error, a price of zero or less is data") {
  std::unordered_map<std::string, Unit> units{{"ECB-EURUSD", *unitParse("USD/EUR")}, {"POWER", *unitParse("USD/t")}};
  std::istringstream in(
      "series,date,value\n"
      "ECB-EURUSD,2025-01-02,1.08 USD/EUR\n"
      "ECB-EURUSD,2025-01-03,0 USD/EUR\n"
      "ECB-EURUSD,2025-01-06,-1 USD/EUR\n"
      "POWER,2025-01-02,0 USD/t\n"
      "POWER,2025-01-03,-5 USD/t\n");
  MarketData m;
  auto errs = m.loadCsv(in, "fx.csv", units);
  REQUIRE(errs.size() == 2);
  CHECK(errs[0].row == 2);
  CHECK(errs[0].field == "value");
  CHECK(errs[0].code == ErrCode::InvalidValue);
  CHECK(errs[0].message == "an exchange rate must be more than zero, got 0 USD/EUR");
  CHECK(errs[1].row == 3);
  CHECK(m.count(m.handle("ECB-EURUSD")) == 1);  // the good row is kept
  CHECK(m.count(m.handle("POWER")) == 2);
}
