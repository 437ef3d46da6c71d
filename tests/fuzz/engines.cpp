// Fuzz target "engines": the bytes choose an example agreement (first byte) and then, choice by choice,
// up to 8 shipments (tests/shipment_gen.h, the generator of tests/differential.cpp reading its choices
// from the bytes). Each shipment is priced by the reference interpreter and by the JIT with the
// examples' market and registry inputs; any difference in the assessments aborts (afl: a crash).
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "compiler/testing/example_runner.h"
#include "tests/fuzz/agreements.h"
#include "tests/fuzz/fuzz.h"
#include "tests/shipment_gen.h"

using namespace lode;

namespace {

struct Target {
  std::unique_ptr<Compilation> c;
  std::unique_ptr<testing::InputSet> in;
  testing::Executor interp, jit;
};

std::vector<Target>& targets() {
  static std::vector<Target> t;
  return t;
}

}  // namespace

void fuzzInit() {
  for (auto& c : fuzz::compileExampleAgreements()) {
    Target t;
    const ir::Program& p = *c->program;
    t.in = std::make_unique<testing::InputSet>(p);
    for (const ir::Example& ex : p.examples) testing::addExampleInputs(p, ex, *t.in);
    t.in->market().finalize();
    t.interp = testing::interpreterExecutor(p);
    t.jit = testing::jitExecutor(p);
    t.c = std::move(c);
    targets().push_back(std::move(t));
  }
}

int fuzzOne(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  Target& t = targets()[data[0] % targets().size()];
  const ir::Program& p = *t.c->program;
  testgen::ByteSource src(data + 1, size - 1);
  testgen::Generator<testgen::ByteSource> gen(p, src);
  rt::Assessment a, b;
  for (int i = 0; i < 8 && (i == 0 || !src.exhausted()); ++i) {
    rt::Record rec = gen.next();
    testing::applyFieldDefaults(p, rec);
    t.interp(rec, t.in->inputs(), a);
    t.jit(rec, t.in->inputs(), b);
    std::string fa = testgen::fingerprint(a), fb = testgen::fingerprint(b);
    if (fa != fb) {
      std::fprintf(stderr, "%s", fmt::format("{}: shipment {} priced differently:\n  shipment: {}\n  interp: {}\n  jit:    {}\n",
                                             t.c->sm.path(0), i + 1, testgen::describe(p, rec), fa, fb).c_str());
      std::abort();
    }
  }
  return 0;
}
