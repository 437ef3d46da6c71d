// Interpreter throughput on E1 (graphite anode chain): the agreement's sample shipments, market and
// ownership registry, priced round-robin. Also: `lode check`-equivalent compile time of the three
// bundled examples. Run: build/bench/lode_bench (see docs/performance.md).
#include <benchmark/benchmark.h>

#include "compiler/driver.h"
#include "compiler/interp/interp.h"
#include "compiler/testing/example_runner.h"
#include "runtime/shipment_reader.h"

#ifndef LODE_SOURCE_DIR
#define LODE_SOURCE_DIR "."
#endif

namespace {

const std::string kE1 = LODE_SOURCE_DIR "/examples/agreements/graphite_anode_na_indopacific";

struct E1 {
  std::unique_ptr<lode::Compilation> c;
  std::unique_ptr<lode::testing::InputSet> in;
  std::vector<lode::rt::Record> shipments;

  E1() {
    c = lode::compileFile(kE1 + ".lode");
    if (!c->program) throw std::runtime_error("E1 does not compile");
    const auto& p = *c->program;
    in = std::make_unique<lode::testing::InputSet>(p);
    std::unordered_map<std::string, lode::rt::Unit> units;
    for (const auto& s : p.series) units[s.key] = s.unit;
    in->market().loadCsvFile(kE1 + "/market.csv", units);
    in->ownership().loadCsvFile(kE1 + "/facilities.csv", &p.countries);
    lode::rt::ReaderOptions opts;
    opts.countries = &p.countries;
    lode::rt::RecordReader reader(p.shipment, opts);
    lode::rt::RowError err;
    if (!reader.open(kE1 + "/shipments.csv", lode::rt::RecordFormat::Csv, err)) throw std::runtime_error(err.message);
    lode::rt::Record rec;
    std::vector<lode::rt::RowError> errs;
    while (reader.next(rec, errs)) {
      if (!errs.empty()) continue;  // the sample file's deliberately malformed row
      lode::testing::applyFieldDefaults(p, rec);
      shipments.push_back(rec);
    }
  }
};

void BM_InterpE1PerShipment(benchmark::State& state) {
  static E1 e1;
  lode::interp::Interpreter interp(*e1.c->program);
  const auto& inputs = e1.in->inputs();
  lode::rt::Assessment out;
  size_t i = 0;
  for (auto _ : state) {
    interp.evaluate(e1.shipments[i], inputs, out);
    benchmark::DoNotOptimize(out.total);
    if (++i == e1.shipments.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InterpE1PerShipment);

void BM_CheckThreeExamples(benchmark::State& state) {
  const char* names[] = {"graphite_anode_na_indopacific", "nickel_class1_band", "manganese_battery_grade"};
  for (auto _ : state) {
    for (const char* n : names) {
      auto c = lode::compileFile(std::string(LODE_SOURCE_DIR "/examples/agreements/") + n + ".lode");
      benchmark::DoNotOptimize(c->program.get());
    }
  }
  state.SetItemsProcessed(state.iterations() * 3);
}
BENCHMARK(BM_CheckThreeExamples)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
