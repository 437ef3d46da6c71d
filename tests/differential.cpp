// Differential testing of the two executors: random shipments derived from an agreement are priced
// by the reference interpreter and by the JIT, and every part of the two assessments is compared.
//
//   lode_differential AGREEMENT.lode [--count N] [--seed S]
//
// Shipments are built field by field from the agreement itself (tests/shipment_gen.h, shared with the
// engines fuzz target): values seen in its inline examples, values near them, any declared country or
// enumeration value, dates on and around every date the agreement mentions, and absent optional fields.
// The run uses the examples' market observations and registry rows. A mismatch prints the shipment
// and both assessments and exits 1.
#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "compiler/driver.h"
#include "compiler/report/report.h"
#include "compiler/testing/example_runner.h"
#include "tests/shipment_gen.h"

using namespace lode;
using testgen::describe;
using testgen::fingerprint;

int main(int argc, char** argv) {
  std::string file;
  uint64_t count = 100000, seed = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--count" && i + 1 < argc) count = std::stoull(argv[++i]);
    else if (a == "--seed" && i + 1 < argc) seed = std::stoull(argv[++i]);
    else file = a;
  }
  if (file.empty()) { std::cerr << "usage: lode_differential AGREEMENT.lode [--count N] [--seed S]\n"; return 2; }
  auto c = compileFile(file, {});
  if (!c->program) {
    for (const auto& d : c->diags.all()) std::cerr << formatDiagnostic(c->sm, d);
    return 2;
  }
  const ir::Program& p = *c->program;

  // Inputs: every example's observations and registry rows (rows that clash with an earlier one are dropped).
  testing::InputSet in(p);
  for (const ir::Example& ex : p.examples) testing::addExampleInputs(p, ex, in);
  in.market().finalize();  // duplicate observations across examples keep the first

  testing::Executor interp = testing::interpreterExecutor(p);
  testing::Executor jit = testing::jitExecutor(p);
  testgen::RngSource rng(seed);
  testgen::Generator<testgen::RngSource> gen(p, rng);
  rt::Assessment a, b;
  uint64_t priced = 0, withErrors = 0, withLines = 0;
  for (uint64_t i = 0; i < count; ++i) {
    rt::Record rec = gen.next();
    testing::applyFieldDefaults(p, rec);
    interp(rec, in.inputs(), a);
    jit(rec, in.inputs(), b);
    std::string fa = fingerprint(a), fb = fingerprint(b);
    if (fa != fb) {
      std::cerr << fmt::format("{}: shipment {} (seed {}) priced differently:\n  shipment: {}\n  interp: {}\n  jit:    {}\n",
                               file, i + 1, seed, describe(p, rec), fa, fb);
      std::cerr << "  interp JSON: " << report::assessmentJson(p, c->sm, a, i + 1, "") << "\n";
      std::cerr << "  jit JSON:    " << report::assessmentJson(p, c->sm, b, i + 1, "") << "\n";
      return 1;
    }
    ++priced;
    if (!a.ok()) ++withErrors;
    if (!a.lines.empty() || !a.outcomes.empty()) ++withLines;
  }
  std::cout << fmt::format("{}: {} random shipments, both executors agree ({} with duty lines or outcomes, {} with evaluation errors)\n",
                           file, priced, withLines, withErrors);
  return 0;
}
