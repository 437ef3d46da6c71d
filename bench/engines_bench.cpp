// E1 (graphite anode chain) priced round-robin over its sample shipments by every engine, in one run
// so the ratios hold on a noisy machine: the hand-written C++ baseline (bench/e1_native.cpp), the JIT,
// the interpreter, the C ABI one at a time and in batches; and compile times (parse + check, parse +
// check + JIT, a generated agreement of N measures). Run: build/bench/lode_bench (docs/performance.md).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fmt/format.h>

#include "bench/e1_native.h"
#include "lode.h"

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
      natives.push_back(lode::bench::toE1Shipment(p, rec));
    }
    std::string error;
    compiled = lode::jit::CompiledProgram::compile(p, lode::interp::jitCallback(), &error);
    if (!compiled) throw std::runtime_error("E1 does not JIT: " + error);
    lode::jit::CompileOptions quickOpts;
    quickOpts.level = lode::jit::OptLevel::Quick;
    quick = lode::jit::CompiledProgram::compile(p, lode::interp::jitCallback(), &error, quickOpts);
    if (!quick) throw std::runtime_error("E1 does not JIT: " + error);
    native = std::make_unique<lode::bench::E1Native>(in->market(), in->market().handle("BMI.USPG10"), in->ownership());
    verifyNative();
  }

  std::unique_ptr<lode::jit::CompiledProgram> compiled, quick;
  std::vector<lode::bench::E1Shipment> natives;
  std::unique_ptr<lode::bench::E1Native> native;

  // The baseline must price exactly like the agreement, or the comparison means nothing.
  void verifyNative() {
    lode::interp::Interpreter interp(*c->program);
    lode::rt::Assessment a;
    for (size_t i = 0; i < shipments.size(); ++i) {
      interp.evaluate(shipments[i], in->inputs(), a);
      lode::bench::E1Result n = native->price(natives[i]);
      if (a.ok() != n.ok || (a.ok() && (a.total != n.total || a.lines.size() != size_t(n.lines)))) {
        std::fprintf(stderr, "the hand-written E1 disagrees with the agreement on sample shipment %zu\n", i + 1);
        std::abort();
      }
    }
  }
};

// Prices the sample shipments round-robin with an engine (the interpreter, with or without compiled code).
void runEngine(benchmark::State& state, const E1& e1, const lode::interp::Interpreter& engine) {
  const auto& inputs = e1.in->inputs();
  lode::rt::Assessment out;
  size_t i = 0;
  for (auto _ : state) {
    engine.evaluate(e1.shipments[i], inputs, out);
    benchmark::DoNotOptimize(out.total);
    if (++i == e1.shipments.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_InterpE1PerShipment(benchmark::State& state) {
  static E1 e1;
  runEngine(state, e1, lode::interp::Interpreter(*e1.c->program));
}
BENCHMARK(BM_InterpE1PerShipment);

void BM_NativeE1PerShipment(benchmark::State& state) {
  static E1 e1;
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(e1.native->price(e1.natives[i]));
    if (++i == e1.natives.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NativeE1PerShipment);

void BM_JitE1PerShipment(benchmark::State& state) {
  static E1 e1;
  runEngine(state, e1, lode::interp::Interpreter(*e1.c->program, e1.compiled.get()));
}
BENCHMARK(BM_JitE1PerShipment);

void BM_JitQuickE1PerShipment(benchmark::State& state) {
  static E1 e1;
  runEngine(state, e1, lode::interp::Interpreter(*e1.c->program, e1.quick.get()));
}
BENCHMARK(BM_JitQuickE1PerShipment);

// The C ABI, as an embedder calls it: cells set as text on a reused shipment, then priced.
struct CApi {
  lode_agreement* a = nullptr;
  lode_inputs* in = nullptr;
  std::vector<std::vector<std::pair<int32_t, std::string>>> rows;  // per shipment: (field, cell)
  std::vector<std::string> header;
  CApi() {
    if (lode_agreement_compile((kE1 + ".lode").c_str(), nullptr, &a, nullptr, 0) != LODE_OK) std::abort();
    if (lode_agreement_jit(a, nullptr, nullptr, 0) != LODE_OK) std::abort();  // as a service runs it
    // The steady state: the O2 code the tiered compile installs in the background (under valgrind the
    // whole run would otherwise price with the quick code).
    if (lode_agreement_jit_wait(a, nullptr, 0) != LODE_OK) std::abort();
    lode_inputs_new(a, &in);
    lode_inputs_load_market(in, (kE1 + "/market.csv").c_str(), nullptr, 0);
    lode_inputs_load_registry(in, "facilities", (kE1 + "/facilities.csv").c_str(), nullptr, 0);
    std::FILE* f = std::fopen((kE1 + "/shipments.csv").c_str(), "r");
    char line[4096];
    std::vector<int32_t> fields;
    bool first = true;
    while (f && std::fgets(line, sizeof line, f)) {
      std::string l(line);
      while (!l.empty() && (l.back() == '\n' || l.back() == '\r')) l.pop_back();
      std::vector<std::string> cells;
      size_t start = 0;
      for (size_t p = 0; p <= l.size(); ++p)
        if (p == l.size() || l[p] == ',') { cells.push_back(l.substr(start, p - start)); start = p + 1; }
      if (first) { for (auto& c : cells) fields.push_back(lode_field(a, c.c_str())); first = false; continue; }
      std::vector<std::pair<int32_t, std::string>> row;
      for (size_t c = 0; c < cells.size() && c < fields.size(); ++c)
        if (fields[c] >= 0 && !cells[c].empty()) row.push_back({fields[c], cells[c]});
      rows.push_back(row);
    }
    if (f) std::fclose(f);
  }
};

// One shipment per call through the C ABI, round-robin over `rows`: fill(s, i) sets row i's cells on
// the reused shipment, then it is priced.
template <typename Fill>
void priceOneAtATime(benchmark::State& state, const CApi& api, size_t rows, Fill fill) {
  lode_shipment* s = nullptr;
  lode_result* r = nullptr;
  lode_shipment_new(api.a, &s);
  lode_result_new(&r);
  size_t i = 0;
  for (auto _ : state) {
    lode_shipment_clear(s);
    fill(s, i);
    lode_price(api.a, api.in, s, r);
    benchmark::DoNotOptimize(lode_result_ok(r));
    if (++i == rows) i = 0;
  }
  lode_result_free(r);
  lode_shipment_free(s);
  state.SetItemsProcessed(state.iterations());
}

void BM_CApiE1PerShipment(benchmark::State& state) {
  static CApi api;
  priceOneAtATime(state, api, api.rows.size(), [&](lode_shipment* s, size_t i) {
    for (const auto& [field, cell] : api.rows[i]) lode_shipment_set(s, field, cell.c_str(), nullptr, 0);
  });
}
BENCHMARK(BM_CApiE1PerShipment);

void BM_CApiE1Batch(benchmark::State& state) {
  static CApi api;
  const size_t n = size_t(state.range(0));
  lode_batch* b = nullptr;
  lode_batch_new(api.a, n, &b);
  // Columns: the sample rows repeated to n.
  std::vector<std::vector<std::string>> cols(size_t(lode_field_count(api.a)), std::vector<std::string>(n));
  for (size_t i = 0; i < n; ++i)
    for (const auto& [field, cell] : api.rows[i % api.rows.size()]) cols[size_t(field)][i] = cell;
  for (size_t f = 0; f < cols.size(); ++f) {
    std::vector<const char*> ptrs(n);
    for (size_t i = 0; i < n; ++i) ptrs[i] = cols[f][i].c_str();
    lode_batch_set_column(b, int32_t(f), ptrs.data(), n);
  }
  for (auto _ : state) {
    size_t priced = 0;
    lode_batch_price(b, api.in, &priced);
    benchmark::DoNotOptimize(priced);
  }
  lode_batch_free(b);
  state.SetItemsProcessed(state.iterations() * int64_t(n));
}
BENCHMARK(BM_CApiE1Batch)->Arg(1000);

// Typed columns, as a customs system that holds its declarations in typed fields fills them: decimals
// as micros, dates as days, countries packed, enums as indices; hs and the text ids stay text. The
// columns are set inside the timed loop (an embedder sets them for every chunk). Rows: the sample
// shipments that read without error, repeated to n. Arg threads: 1 the calling thread only, 0 every
// CPU the process may run on (under `taskset -c 1` that is one).
struct CApiTyped {
  struct Col {
    int32_t field;
    int kind;
    std::vector<int64_t> micros;
    std::vector<int32_t> codes;
    std::vector<uint8_t> present;
    std::vector<std::string> text;
    std::vector<const char*> ptrs;
  };
  std::vector<Col> cols;
  CApiTyped(const CApi& api, const E1& e1, size_t n) {
    const auto& fields = e1.c->program->shipment.fields;
    for (size_t f = 0; f < fields.size(); ++f) {
      Col c;
      c.field = lode_field(api.a, fields[f].name.c_str());
      c.kind = lode_field_kind(api.a, c.field);
      bool any = false;
      for (size_t i = 0; i < n; ++i) {
        const lode::rt::FieldValue& v = e1.shipments[i % e1.shipments.size()].values[f];
        any = any || v.present;
        c.present.push_back(v.present ? 1 : 0);
        if (c.kind == LODE_KIND_DECIMAL) c.micros.push_back(v.present ? v.i : 0);
        else if (c.kind == LODE_KIND_TEXT || c.kind == LODE_KIND_HS) c.text.push_back(v.present ? v.s : "");
        else c.codes.push_back(v.present ? int32_t(v.i) : 0);
      }
      if (!any) continue;
      for (const auto& t : c.text) c.ptrs.push_back(t.c_str());
      cols.push_back(std::move(c));
    }
  }
  void set(lode_batch* b, size_t n) const {
    for (const Col& c : cols) {
      lode_status st = LODE_OK;
      switch (c.kind) {
        case LODE_KIND_DECIMAL: st = lode_batch_set_decimal_column(b, c.field, c.micros.data(), c.present.data(), n); break;
        case LODE_KIND_TEXT:
        case LODE_KIND_HS: st = lode_batch_set_column(b, c.field, c.ptrs.data(), n); break;
        case LODE_KIND_DATE: st = lode_batch_set_code_column(b, c.field, LODE_CODE_DAYS, c.codes.data(), c.present.data(), n); break;
        case LODE_KIND_COUNTRY: st = lode_batch_set_code_column(b, c.field, LODE_CODE_COUNTRY, c.codes.data(), c.present.data(), n); break;
        case LODE_KIND_ENUM: st = lode_batch_set_code_column(b, c.field, LODE_CODE_INDEX, c.codes.data(), c.present.data(), n); break;
        case LODE_KIND_BOOL: st = lode_batch_set_code_column(b, c.field, LODE_CODE_BOOL, c.codes.data(), c.present.data(), n); break;
        default: std::abort();
      }
      if (st != LODE_OK) std::abort();
    }
  }
};

void BM_CApiE1TypedBatch(benchmark::State& state) {
  static CApi api;
  static E1 e1;
  const size_t n = size_t(state.range(0));
  CApiTyped typed(api, e1, n);
  lode_batch* b = nullptr;
  lode_batch_new(api.a, n, &b);
  lode_batch_set_threads(b, unsigned(state.range(1)));
  // The typed rows must price exactly like the engine underneath.
  typed.set(b, n);
  size_t priced = 0;
  lode_batch_price(b, api.in, &priced);
  lode::interp::Interpreter engine(*e1.c->program, e1.compiled.get());
  lode::rt::Assessment want;
  for (size_t i = 0; i < n; ++i) {
    engine.evaluate(e1.shipments[i % e1.shipments.size()], e1.in->inputs(), want);
    int64_t total = 0;
    if (lode_result_total_micros(lode_batch_result(b, i), &total) != (want.ok() ? LODE_OK : LODE_ERR_ARGUMENT) ||
        (want.ok() && total != want.total)) {
      std::fprintf(stderr, "typed batch row %zu disagrees with the engine\n", i + 1);
      std::abort();
    }
  }
  for (auto _ : state) {
    typed.set(b, n);
    lode_batch_price(b, api.in, &priced);
    benchmark::DoNotOptimize(priced);
  }
  lode_batch_free(b);
  state.SetItemsProcessed(state.iterations() * int64_t(n));
}
// Real time: with worker threads the calling thread's CPU time undercounts the work.
BENCHMARK(BM_CApiE1TypedBatch)->ArgNames({"n", "threads"})->Args({1000, 1})->Args({1000, 0})->Args({10000, 1})->Args({10000, 0})->UseRealTime();

// The single-shipment path with typed setters: no text formatted or parsed except hs and the ids.
void BM_CApiE1TypedPerShipment(benchmark::State& state) {
  static CApi api;
  static E1 e1;
  const size_t rows = e1.shipments.size();
  CApiTyped typed(api, e1, rows);
  priceOneAtATime(state, api, rows, [&](lode_shipment* s, size_t i) {
    for (const auto& c : typed.cols) {
      if (!c.present[i]) continue;
      switch (c.kind) {
        case LODE_KIND_DECIMAL: lode_shipment_set_decimal(s, c.field, c.micros[i], nullptr, 0); break;
        case LODE_KIND_TEXT:
        case LODE_KIND_HS: lode_shipment_set(s, c.field, c.ptrs[i], nullptr, 0); break;
        case LODE_KIND_DATE: lode_shipment_set_code(s, c.field, LODE_CODE_DAYS, c.codes[i], nullptr, 0); break;
        case LODE_KIND_COUNTRY: lode_shipment_set_code(s, c.field, LODE_CODE_COUNTRY, c.codes[i], nullptr, 0); break;
        case LODE_KIND_ENUM: lode_shipment_set_code(s, c.field, LODE_CODE_INDEX, c.codes[i], nullptr, 0); break;
        case LODE_KIND_BOOL: lode_shipment_set_code(s, c.field, LODE_CODE_BOOL, c.codes[i], nullptr, 0); break;
        default: break;
      }
    }
  });
}
BENCHMARK(BM_CApiE1TypedPerShipment);

void BM_CompileE1(benchmark::State& state) {
  for (auto _ : state) {
    auto c = lode::compileFile(kE1 + ".lode");
    benchmark::DoNotOptimize(c->program.get());
  }
}
BENCHMARK(BM_CompileE1)->Unit(benchmark::kMillisecond);

// Arg: 0 O2, 1 quick, 2 O2 loaded from the object cache (a restarted service), 3 tiered (the time
// until it prices with quick code; installed_ms: until the O2 code is installed, not in the time).
lode::jit::CompileOptions jitOptions(int64_t arg) {
  lode::jit::CompileOptions o;
  o.level = arg == 1 ? lode::jit::OptLevel::Quick : arg == 3 ? lode::jit::OptLevel::Tiered : lode::jit::OptLevel::O2;
  if (arg == 2) o.cacheDir = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + "/lode-bench-cache";
  return o;
}

// With a cache directory, the entry exists before timing: what a restarted service sees.
void primeCache(const std::unique_ptr<lode::Compilation>& c, const lode::jit::CompileOptions& opts) {
  if (opts.cacheDir.empty() || !c->program) return;
  std::string error;
  lode::jit::CompiledProgram::compile(*c->program, lode::interp::jitCallback(), &error, opts);
}

// A tiered compile's background O2 compile runs outside the timed part: it is waited for (and the
// time until its code is installed reported) with the clock stopped.
void awaitTier(benchmark::State& state, std::unique_ptr<lode::jit::CompiledProgram>& jit,
               std::chrono::steady_clock::time_point start) {
  state.PauseTiming();
  if (!jit->waitOptimised()) state.SkipWithError(jit->backgroundError().c_str());
  state.counters["installed_ms"] =
      benchmark::Counter(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  jit.reset();
  state.ResumeTiming();
}

// Where the last compile's time went (summed over the partitions, which run in parallel).
void phaseCounters(benchmark::State& state, const lode::jit::CompiledProgram& jit) {
  const auto& ph = jit.phases();
  state.counters["generate_ms"] = ph.generate;
  state.counters["optimise_ms"] = ph.optimise;
  state.counters["emit_ms"] = ph.emit;
  state.counters["link_ms"] = ph.link;
  state.counters["partitions"] = jit.partitions();
}

void BM_CompileJitE1(benchmark::State& state) {
  lode::jit::CompileOptions opts = jitOptions(state.range(0));
  primeCache(lode::compileFile(kE1 + ".lode"), opts);
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    auto c = lode::compileFile(kE1 + ".lode");
    std::string error;
    auto jit = lode::jit::CompiledProgram::compile(*c->program, lode::interp::jitCallback(), &error, opts);
    if (!jit) { state.SkipWithError(error.c_str()); return; }
    benchmark::DoNotOptimize(jit.get());
    phaseCounters(state, *jit);
    if (opts.level == lode::jit::OptLevel::Tiered) awaitTier(state, jit, start);
  }
}
BENCHMARK(BM_CompileJitE1)->ArgName("level")->Arg(0)->Arg(1)->Arg(2)->Arg(3)->Unit(benchmark::kMillisecond);

// A generated agreement with N measures (ad valorem, floors with tolerance, conditions on origin and
// ownership), compiled and JIT-compiled: compile time must grow linearly.
std::string generatedAgreement(int measures) {
  std::string s = "agreement \"generated\" { currency USD\n rounding half_even to 0.01 USD per line\n in force from 2027-01-01 }\n"
                  "use std.countries\nuse std.groups\nuse std.minerals\nregistry facilities: ownership\n"
                  "scope g = graphite at processed where hs in [2504.10, 3801.90]\n"
                  "schedule phase: % = step { 2027-01-01: 70 %, 2028-01-01: 85 %, 2029-01-01: 100 % }\n";
  for (int i = 0; i < measures; ++i)
    s += fmt::format("measure m{0} \"Art. {0}\" on g when origin not in USMCA and (owned_share(facility, FEOC) otherwise 0 %) < {1} % {{\n"
                     "  let floor_price = phase * {2} USD/t\n"
                     "  duty when unit_price < floor_price * (100 % - 5 %): (floor_price - unit_price) * quantity\n"
                     "  duty: {3} % of value\n}}\n",
                     i, 1 + i % 99, 1000 + i, i % 50);
  return s;
}

void BM_CompileJitMeasures(benchmark::State& state) {
  std::string text = generatedAgreement(int(state.range(0)));
  lode::jit::CompileOptions opts = jitOptions(state.range(1));
  primeCache(lode::compileText(kE1 + "_generated.lode", text, {}), opts);
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    auto c = lode::compileText(kE1 + "_generated.lode", text, {});
    if (!c->program) { state.SkipWithError("generated agreement does not compile"); return; }
    std::string error;
    auto jit = lode::jit::CompiledProgram::compile(*c->program, lode::interp::jitCallback(), &error, opts);
    if (!jit) { state.SkipWithError(error.c_str()); return; }
    benchmark::DoNotOptimize(jit.get());
    phaseCounters(state, *jit);
    if (opts.level == lode::jit::OptLevel::Tiered) awaitTier(state, jit, start);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_CompileJitMeasures)->ArgNames({"measures", "level"})
    ->Args({100, 0})->Args({1000, 0})->Args({100, 1})->Args({1000, 1})->Args({1000, 2})->Args({1000, 3})->Unit(benchmark::kMillisecond);

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
