#include <doctest/doctest.h>

#include "compiler/driver.h"
#include "compiler/interp/interp.h"
#include "compiler/jit/jit.h"
#include "runtime/date.h"

using namespace lode;

namespace {
std::unique_ptr<Compilation> compileAgreement(const std::string& text) {
  return compileText(LODE_SOURCE_DIR "/tests/lang/good/jit_unit.lode", text);
}
}  // namespace

TEST_CASE("jit: the expressions of an agreement become native functions") {
  auto c = compileFile(LODE_SOURCE_DIR "/examples/agreements/graphite_anode_na_indopacific.lode");
  REQUIRE(c->program);
  std::string error;
  auto compiled = jit::CompiledProgram::compile(*c->program, interp::jitCallback(), &error);
  REQUIRE_MESSAGE(compiled, error);
  // Conditions, floors, rates: the JIT engine really runs native code, not the interpreter.
  CHECK(compiled->functionCount() >= 10);
  size_t withFn = 0;
  for (size_t i = 0; i < c->program->nodes.size(); ++i) withFn += compiled->fn(uint32_t(i)) != nullptr;
  CHECK(withFn == compiled->functionCount());
}

TEST_CASE("jit: an overflow in generated code is an error with the clause position, not a crash") {
  auto c = compileAgreement(R"(
agreement "overflow" { currency USD  in force from 2027-01-01 }
use std.countries
measure big "Art. 1" { duty: value * 1000000000 * 1000000000 }
)");
  REQUIRE(c->program);
  std::string error;
  auto compiled = jit::CompiledProgram::compile(*c->program, interp::jitCallback(), &error);
  REQUIRE(compiled);
  interp::Interpreter reference(*c->program), native(*c->program, compiled.get());
  rt::Record rec;
  rec.values.resize(c->program->shipment.fields.size());
  auto set = [&](int f, int64_t v) { rec.values[size_t(f)].present = true; rec.values[size_t(f)].i = v; };
  set(ir::kFieldDate, rt::daysFromCivil(2027, 3, 1));
  set(ir::kFieldOrigin, rt::countryCode('C', 'N'));
  rec.values[ir::kFieldHs].present = true;
  rec.values[ir::kFieldHs].s = "2504100000";
  set(ir::kFieldQuantity, rt::kOne);
  set(ir::kFieldValue, 1000 * rt::kOne);
  interp::Inputs in;
  rt::Assessment a, b;
  reference.evaluate(rec, in, a);
  native.evaluate(rec, in, b);
  REQUIRE(a.errors.size() == 1);
  REQUIRE(b.errors.size() == 1);
  CHECK(a.errors[0].code == rt::ErrCode::Overflow);
  CHECK(b.errors[0].code == rt::ErrCode::Overflow);
  CHECK(a.errors[0].pos == b.errors[0].pos);
  CHECK(b.errors[0].pos != 0);
}
