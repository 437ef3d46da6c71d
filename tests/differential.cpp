// Differential testing of the two executors: random shipments derived from an agreement are priced
// by the reference interpreter and by the JIT, and every part of the two assessments is compared.
//
//   lode_differential AGREEMENT.lode [--count N] [--seed S] [--jit-opt O2|quick]
//   lode_differential --random-agreements K [--count N] [--seed S] [--print] [--jit-opt O2|quick]
//
// --jit-opt picks the machine code compared with the interpreter: O2 (default) or the quick level,
// which is also the first tier of a tiered compile (the C ABI's default).
//
// Shipments are built field by field from the agreement itself (tests/shipment_gen.h, shared with the
// engines fuzz target): values seen in its inline examples, values near them, any declared country or
// enumeration value, dates on and around every date the agreement mentions, and absent optional fields.
// The run uses the examples' market observations and registry rows. A mismatch prints the shipment
// and both assessments and exits 1.
//
// The same shipments also go through the C ABI (tests/c_api_pricer.h): set on a reused shipment as
// typed or text cells, and in batches, and compared with the interpreter (docs/hardening.md).
//
// With --random-agreements, the agreements themselves are random (tests/agreement_gen.h): agreement k
// is generated from seed S + k and priced with N shipments from the same seed, so a failure names the
// one seed that reproduces it (`--random-agreements 1 --seed S+k`; `--print` shows its text). An
// agreement the checker rejects is a bug of the generator: its text and diagnostics are printed, exit 1.
#include <fmt/format.h>

#include <cstdio>
#include <exception>
#include <iostream>
#include <string>

#include "compiler/driver.h"
#include "compiler/report/report.h"
#include "compiler/testing/example_runner.h"
#include "tests/agreement_gen.h"
#include "tests/c_api_pricer.h"
#include "tests/shipment_gen.h"

using namespace lode;
using testgen::describe;
using testgen::fingerprint;

namespace {

struct Tally {
  uint64_t priced = 0, withErrors = 0, withLines = 0;
  uint64_t throughCApi = 0;  // of those, priced through the C ABI too (cells can say them)
};

constexpr size_t kBatchRows = 97;  // shipments per C ABI batch (a prime: batches split unevenly)
// One shipment in kCApiEvery goes through the C ABI: cells as text and batches of them cost more than
// the two executors together (a test of 50,000 shipments: 1.0 s with every one, 0.36 s with one in
// four), and the suite runs under the sanitizers too.
constexpr uint64_t kCApiEvery = 4;

// What the C ABI priced differently from the interpreter, or "" (the shipment and both fingerprints).
std::string cApiMismatch(const ir::Program& p, const std::string& how, const rt::Record& rec, const std::string& want,
                         const rt::Assessment& got) {
  std::string g = fingerprint(got);
  if (g == want) return "";
  return fmt::format("the C ABI ({}) priced differently:\n  shipment: {}\n  interp: {}\n  C ABI:  {}\n", how,
                     describe(p, rec), want, g);
}

// Prices `count` random shipments through both executors. On a mismatch prints the shipment, both
// assessments and (for a generated agreement) its text, and returns false.
// With `capi`, the shipments cells can say are also priced through the C ABI, one at a time and in
// batches of kBatchRows, and compared with the interpreter (with quotas, a batch takes balances row
// after row: the interpreter's answers are then computed the same way).
bool compareExecutors(const Compilation& c, const std::string& name, const std::string* text, uint64_t count,
                      uint64_t seed, const jit::CompileOptions& level, testgen::CApiPricer* capi, Tally& t) {
  const ir::Program& p = *c.program;
  // Inputs: every example's observations and registry rows (rows that clash with an earlier one are dropped).
  testing::InputSet in(p);
  for (const ir::Example& ex : p.examples) testing::addExampleInputs(p, ex, in);
  in.market().finalize();  // duplicate observations across examples keep the first

  testing::Executor interp = testing::interpreterExecutor(p);
  testing::Executor jit = testing::jitExecutor(p, level);
  testgen::RngSource rng(seed);
  testgen::Generator<testgen::RngSource> gen(p, rng);
  rt::Assessment a, b;
  auto fail = [&](const std::string& what) {
    if (text) std::cerr << "---- agreement text ----\n" << *text << "---- end of agreement text ----\n";
    std::cerr << name << " (seed " << seed << "): " << what;
    return false;
  };
  std::vector<rt::Record> held;  // for the next C ABI batch
  std::vector<std::string> heldWant;
  uint64_t batches = 0;
  auto priceHeld = [&]() -> std::string {
    if (held.empty()) return "";
    if (!p.quotas.empty()) {  // the batch takes balances row after row: so does the interpreter here
      rt::QuotaLedger saved = in.quotas();
      rt::Assessment q;  // not `a`: the shipment being compared still needs it
      for (size_t k = 0; k < held.size(); ++k) {
        rt::Record rec = held[k];
        testing::applyFieldDefaults(p, rec);
        interp(rec, in.inputs(), q);
        testing::commitQuotas(p, q, in.quotas());
        heldWant[k] = fingerprint(q);
      }
      in.quotas() = saved;
    }
    // Batch after batch: typed columns on one thread, text on two, typed on two, text on one.
    ++batches;
    const auto form = batches % 2 ? testgen::CApiPricer::Cells::Typed : testgen::CApiPricer::Cells::Text;
    const unsigned threads = batches % 4 == 1 || batches % 4 == 0 ? 1 : 2;
    std::vector<const rt::Assessment*> got = capi->priceBatch(held, form, threads);
    const char* kind = form == testgen::CApiPricer::Cells::Typed ? "typed" : "text";
    for (size_t k = 0; k < held.size(); ++k) {
      std::string how = fmt::format("{} batch on {} thread(s), row {} of {}", kind, threads, k + 1, held.size());
      if (std::string m = cApiMismatch(p, how, held[k], heldWant[k], *got[k]); !m.empty()) return m;
    }
    held.clear();
    heldWant.clear();
    return "";
  };
  for (uint64_t i = 0; i < count; ++i) {
    const rt::Record raw = gen.next();  // the C ABI gets absent fields as absent: it applies defaults itself
    rt::Record rec = raw;
    testing::applyFieldDefaults(p, rec);
    interp(rec, in.inputs(), a);
    jit(rec, in.inputs(), b);
    std::string fa = fingerprint(a), fb = fingerprint(b);
    if (capi && i % kCApiEvery == 0 && capi->expressible(raw)) {
      const rt::Assessment* one = nullptr;
      const bool asText = t.throughCApi % 2;
      const auto form = asText ? testgen::CApiPricer::Cells::Text : testgen::CApiPricer::Cells::Typed;
      if (capi->priceOne(raw, form, &one)) {  // else a setter refused a value, as a reader would
        if (std::string m = cApiMismatch(p, asText ? "one shipment, text cells" : "one shipment, typed cells", raw, fa, *one); !m.empty())
          return fail(m);
        ++t.throughCApi;
        held.push_back(raw);
        heldWant.push_back(fa);
        if (held.size() == kBatchRows)
          if (std::string m = priceHeld(); !m.empty()) return fail(m);
      }
    }
    if (fa != fb) {
      if (text) std::cerr << "---- agreement text ----\n" << *text << "---- end of agreement text ----\n";
      std::cerr << fmt::format("{}: shipment {} (seed {}) priced differently:\n  shipment: {}\n  interp: {}\n  jit:    {}\n",
                               name, i + 1, seed, describe(p, rec), fa, fb);
      std::cerr << "  interp JSON: " << report::assessmentJson(p, c.sm, a, i + 1, "") << "\n";
      std::cerr << "  jit JSON:    " << report::assessmentJson(p, c.sm, b, i + 1, "") << "\n";
      return false;
    }
    ++t.priced;
    if (!a.ok()) ++t.withErrors;
    if (!a.lines.empty() || !a.outcomes.empty()) ++t.withLines;
  }
  if (capi)
    if (std::string m = priceHeld(); !m.empty()) return fail(m);
  return true;
}

int randomAgreements(uint64_t k, uint64_t count, uint64_t seed, bool print, const jit::CompileOptions& level) {
  Tally t;
  for (uint64_t i = 0; i < k; ++i) {
    uint64_t s = seed + i;
    std::string text = testgen::randomAgreement(s);
    if (print) { std::cout << text; continue; }
    std::string name = fmt::format("random-agreement-{}.lode", s);
    auto c = compileText(name, text, {});
    if (!c->program) {
      std::cerr << "---- agreement text ----\n" << text << "---- end of agreement text ----\n";
      for (const auto& d : c->diags.all()) std::cerr << formatDiagnostic(c->sm, d);
      std::cerr << fmt::format("{}: the checker rejects a generated agreement (a bug of tests/agreement_gen.cpp)\n", name);
      return 1;
    }
    try {
      testgen::CApiPricer capi(compileText(name, text, {}));
      if (!compareExecutors(*c, name, &text, count, s, level, &capi, t)) return 1;
    } catch (const std::exception& e) {
      std::cerr << "---- agreement text ----\n" << text << "---- end of agreement text ----\n";
      std::cerr << fmt::format("{}: an executor threw: {}\n", name, e.what());
      return 1;
    }
  }
  if (!print)
    std::cout << fmt::format("{} random agreements (seeds {}..{}), {} random shipments, both executors agree "
                             "({} with duty lines or outcomes, {} with evaluation errors; {} also priced alike "
                             "through the C ABI, one at a time and in batches)\n",
                             k, seed, seed + k - 1, t.priced, t.withLines, t.withErrors, t.throughCApi);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string file;
  uint64_t count = 100000, seed = 1, agreements = 0;
  bool print = false;
  jit::CompileOptions level;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--jit-opt" && i + 1 < argc) {
      std::string l = argv[++i];
      if (l != "O2" && l != "quick") {
        std::cerr << "--jit-opt: O2 or quick\n";
        return 2;
      }
      level.level = l == "quick" ? jit::OptLevel::Quick : jit::OptLevel::O2;
      continue;
    }
    if (a == "--count" && i + 1 < argc) count = std::stoull(argv[++i]);
    else if (a == "--seed" && i + 1 < argc) seed = std::stoull(argv[++i]);
    else if (a == "--random-agreements" && i + 1 < argc) agreements = std::stoull(argv[++i]);
    else if (a == "--print") print = true;
    else file = a;
  }
  if (agreements > 0) return randomAgreements(agreements, count, seed, print, level);
  if (file.empty()) {
    std::cerr << "usage: lode_differential AGREEMENT.lode [--count N] [--seed S] [--jit-opt O2|quick]\n"
                 "       lode_differential --random-agreements K [--count N] [--seed S] [--print] [--jit-opt O2|quick]\n";
    return 2;
  }
  auto c = compileFile(file, {});
  if (!c->program) {
    for (const auto& d : c->diags.all()) std::cerr << formatDiagnostic(c->sm, d);
    return 2;
  }
  Tally t;
  testgen::CApiPricer capi(compileFile(file, {}));
  if (!compareExecutors(*c, file, nullptr, count, seed, level, &capi, t)) return 1;
  std::cout << fmt::format("{}: {} random shipments, both executors agree ({} with duty lines or outcomes, {} with "
                           "evaluation errors; {} also priced alike through the C ABI, one at a time and in batches)\n",
                           file, t.priced, t.withLines, t.withErrors, t.throughCApi);
  return 0;
}
