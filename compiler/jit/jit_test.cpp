#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <random>

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
  // The measures run as one native function; the expressions the executor itself evaluates (origin
  // rules, top-level references, arguments of data lookups) have functions of their own.
  CHECK(bool(compiled->measures()));
  CHECK(compiled->functionCount() >= 5);
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

TEST_CASE("jit: the quick level and the object cache give the same functions; the key follows the program") {
  auto c = compileFile(LODE_SOURCE_DIR "/examples/agreements/graphite_anode_na_indopacific.lode");
  REQUIRE(c->program);
  std::string cache = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + "/lode_jit_cache_" +
                      std::to_string(std::random_device{}());
  jit::CompileOptions opts;
  opts.level = jit::OptLevel::Quick;
  opts.cacheDir = cache;
  std::string error;
  auto built = jit::CompiledProgram::compile(*c->program, interp::jitCallback(), &error, opts);
  REQUIRE_MESSAGE(built, error);
  CHECK_FALSE(built->fromCache());
  auto loaded = jit::CompiledProgram::compile(*c->program, interp::jitCallback(), &error, opts);
  REQUIRE_MESSAGE(loaded, error);
  CHECK(loaded->fromCache());
  CHECK(loaded->cacheKey() == built->cacheKey());
  CHECK(loaded->functionCount() == built->functionCount());
  // Another level is other machine code: another key.
  opts.level = jit::OptLevel::O2;
  auto o2 = jit::CompiledProgram::compile(*c->program, interp::jitCallback(), &error, opts);
  REQUIRE_MESSAGE(o2, error);
  CHECK_FALSE(o2->fromCache());
  CHECK(o2->cacheKey() != built->cacheKey());
  // A changed clause is another program: another key.
  auto other = compileAgreement(R"(
agreement "k" { currency USD  in force from 2027-01-01 }
use std.countries
measure m "Art. 1" { duty: 2 % of value }
)");
  auto changed = compileAgreement(R"(
agreement "k" { currency USD  in force from 2027-01-01 }
use std.countries
measure m "Art. 1" { duty: 3 % of value }
)");
  REQUIRE(other->program);
  REQUIRE(changed->program);
  auto a = jit::CompiledProgram::compile(*other->program, interp::jitCallback(), &error, opts);
  auto b = jit::CompiledProgram::compile(*changed->program, interp::jitCallback(), &error, opts);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->cacheKey() != b->cacheKey());
  std::error_code ec;
  std::filesystem::remove_all(cache, ec);
}
