// The market window queries on a daily series, as a reference price over a window reads them: a
// 90-day average (about 63 trading days) and a 365-day one, over ten years of observations.
#include <benchmark/benchmark.h>

#include "runtime/date.h"
#include "runtime/decimal.h"
#include "runtime/market.h"

namespace {

struct Daily {
  lode::rt::MarketData m;
  int h = -1;
  int32_t first = lode::rt::daysFromCivil(2020, 1, 1), last = lode::rt::daysFromCivil(2029, 12, 31);
  Daily() {
    for (int32_t d = first; d <= last; ++d)
      if ((d + 3) % 7 < 5) m.add("LME", d, (12000 + (d * 37) % 900) * lode::rt::kOne);  // weekdays
    m.finalize();
    h = m.handle("LME");
  }
};

// Arg: the window in days; the entry dates walk through the last eight years.
void BM_MarketAvgDaily(benchmark::State& state) {
  static Daily s;
  const int32_t window = int32_t(state.range(0));
  int32_t date = s.first + 730;
  int64_t v = 0;
  for (auto _ : state) {
    if (s.m.avg(s.h, date - window + 1, date, &v) != lode::rt::ErrCode::Ok) state.SkipWithError("no observation");
    benchmark::DoNotOptimize(v);
    if (++date > s.last) date = s.first + 730;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MarketAvgDaily)->ArgName("days")->Arg(90)->Arg(365);

}  // namespace
