// Fuzz target "frontend": any bytes as an agreement's text through the whole front end (ANTLR parse,
// AST, names/types/units/dates checks, coverage analysis, lowering to IR), every diagnostic rendered;
// a text that compiles has its inline examples run by the reference interpreter.
// compileText never throws for bad input, so an exception here is a bug too.
#include <string>

#include "compiler/driver.h"
#include "compiler/testing/example_runner.h"
#include "tests/fuzz/fuzz.h"

void fuzzInit() {}

int fuzzOne(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto c = lode::compileText("fuzz.lode", std::move(text));
  std::string rendered;
  for (const auto& d : c->diags.all()) rendered += lode::formatDiagnostic(c->sm, d);
  if (c->program && !c->program->examples.empty())
    lode::testing::runExamples(*c->program, c->sm, lode::testing::interpreterExecutor(*c->program));
  return 0;
}
