#include <doctest/doctest.h>

#include <algorithm>
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
// A fresh directory name for an object cache under $TMPDIR.
std::string tempCacheDir(const char* stem) {
  return std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + "/" + stem + std::to_string(std::random_device{}());
}
}  // namespace

TEST_CASE("jit: the expressions of an agreement become native functions") {
  auto c = compileFile(LODE_SOURCE_DIR "/examples/agreements/graphite_anode_na_indopacific.lode");
  REQUIRE(c->program);
  std::string error;
  auto compiled = jit::CompiledProgram::compile(*c->program, interp::jitCallback(), &error);
  REQUIRE_MESSAGE(compiled, error);
  // The clauses run as one native function; the expressions the executor may evaluate itself (here the
  // top-level value uspg_ref, in a traced run or for an executor's measure) have functions of their own.
  CHECK(bool(compiled->measures()));
  CHECK(compiled->functionCount() >= 1);
  const auto& defs = c->program->defs;
  auto uspg = std::find_if(defs.begin(), defs.end(), [](const ir::Def& d) { return d.name == "uspg_ref"; });
  REQUIRE(uspg != defs.end());
  CHECK(bool(compiled->fn(uspg->node)));
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

TEST_CASE("jit: the quick level and the object cache give the same functions, and the key follows the program") {
  auto c = compileFile(LODE_SOURCE_DIR "/examples/agreements/graphite_anode_na_indopacific.lode");
  REQUIRE(c->program);
  std::string cache = tempCacheDir("lode_jit_cache_");
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
  // A changed clause is another program: another key. So is a changed text constant: generated code
  // compares shipment text with it.
  auto keyOf = [&](const std::string& clause) {
    auto k = compileAgreement(R"(
agreement "k" { currency USD  in force from 2027-01-01 }
use std.countries
attribute exporter_id: text
)" + clause + "\n");
    REQUIRE(k->program);
    auto compiled = jit::CompiledProgram::compile(*k->program, interp::jitCallback(), &error, opts);
    REQUIRE(compiled);
    return compiled->cacheKey();
  };
  CHECK(keyOf(R"(measure m "Art. 1" { duty: 2 % of value })") != keyOf(R"(measure m "Art. 1" { duty: 3 % of value })"));
  CHECK(keyOf(R"(measure m "Art. 1" when exporter_id == "E-1" { duty: 2 % of value })") !=
        keyOf(R"(measure m "Art. 1" when exporter_id == "E-2" { duty: 2 % of value })"));
  std::error_code ec;
  std::filesystem::remove_all(cache, ec);
}

TEST_CASE("jit: a tiered compile prices with quick code at once, installs the O2 code, and caches the O2 code only") {
  auto c = compileFile(LODE_SOURCE_DIR "/examples/agreements/graphite_anode_na_indopacific.lode");
  REQUIRE(c->program);
  auto shipments = [&] {  // T2 on dates around the phase-in, origins in and out of the parties
    std::vector<rt::Record> out;
    for (int64_t origin : {rt::countryCode('M', 'Z'), rt::countryCode('C', 'A'), rt::countryCode('C', 'N')})
      for (int year : {2027, 2029, 2031}) {
        rt::Record rec;
        rec.values.resize(c->program->shipment.fields.size());
        auto set = [&](int f, int64_t v) { rec.values[size_t(f)].present = true; rec.values[size_t(f)].i = v; };
        set(ir::kFieldDate, rt::daysFromCivil(year, 3, 1));
        set(ir::kFieldOrigin, origin);
        rec.values[ir::kFieldHs].present = true;
        rec.values[ir::kFieldHs].s = "2504100000";
        rec.values[ir::kFieldHs].i = rt::hsKey("2504100000");
        const auto& minerals = c->program->shipment.fields[ir::kFieldMineral].enumValues;
        const auto& nodes = c->program->shipment.fields[ir::kFieldNode].enumValues;
        set(ir::kFieldMineral, std::find(minerals.begin(), minerals.end(), "graphite") - minerals.begin());
        set(ir::kFieldNode, std::find(nodes.begin(), nodes.end(), "processed") - nodes.begin());
        set(ir::kFieldQuantity, 20 * rt::kOne);
        set(ir::kFieldValue, 56000 * rt::kOne);
        out.push_back(std::move(rec));
      }
    return out;
  }();
  interp::Interpreter reference(*c->program);
  size_t charged = 0;
  for (const rt::Record& rec : shipments) {
    rt::Assessment a;
    reference.evaluate(rec, interp::Inputs{}, a);
    charged += a.ok() && a.total > 0;
  }
  CHECK(charged >= 3);  // the comparison below is about real duty lines
  auto agrees = [&](const jit::CompiledProgram& compiled) {
    interp::Interpreter native(*c->program, &compiled);
    interp::Inputs in;
    for (const rt::Record& rec : shipments) {
      rt::Assessment a, b;
      reference.evaluate(rec, in, a);
      native.evaluate(rec, in, b);
      if (a.total != b.total || a.lines.size() != b.lines.size() || a.errors.size() != b.errors.size()) return false;
    }
    return true;
  };
  std::string cache = tempCacheDir("lode_jit_tiered_");
  jit::CompileOptions opts;
  opts.level = jit::OptLevel::Tiered;
  opts.cacheDir = cache;
  std::string error;
  auto tiered = jit::CompiledProgram::compile(*c->program, interp::jitCallback(), &error, opts);
  REQUIRE_MESSAGE(tiered, error);
  CHECK_FALSE(tiered->fromCache());
  const jit::ExprFn* quick = tiered->table();
  CHECK(agrees(*tiered));  // whichever tier it runs by now
  REQUIRE(tiered->waitOptimised());
  CHECK(tiered->backgroundError().empty());
  CHECK(tiered->table() != quick);  // the O2 functions are installed
  CHECK(agrees(*tiered));
  // The cache holds the O2 code under the O2 key: an O2 compile and a second tiered one load it.
  opts.level = jit::OptLevel::O2;
  auto o2 = jit::CompiledProgram::compile(*c->program, interp::jitCallback(), &error, opts);
  REQUIRE_MESSAGE(o2, error);
  CHECK(o2->fromCache());
  CHECK(o2->cacheKey() == tiered->cacheKey());
  opts.level = jit::OptLevel::Tiered;
  auto again = jit::CompiledProgram::compile(*c->program, interp::jitCallback(), &error, opts);
  REQUIRE_MESSAGE(again, error);
  CHECK(again->fromCache());
  CHECK(again->waitOptimised());
  CHECK(agrees(*again));
  // Destroyed while its background compile runs: it waits for it, and nothing is left running.
  opts.cacheDir.clear();
  auto early = jit::CompiledProgram::compile(*c->program, interp::jitCallback(), &error, opts);
  REQUIRE_MESSAGE(early, error);
  early.reset();
  std::error_code ec;
  std::filesystem::remove_all(cache, ec);
}

TEST_CASE("jit: a large agreement is compiled as several modules in parallel, prices like the interpreter and caches every module") {
  // 200 measures on one scope: more than one partition (codegen.h partitionCount).
  std::string text = "agreement \"parts\" { currency USD\n rounding half_even to 0.01 USD per line\n in force from 2027-01-01 }\n"
                     "use std.countries\nuse std.groups\nuse std.minerals\nregistry facilities: ownership\n"
                     "scope g = graphite at processed where hs in [2504.10, 3801.90]\n"
                     "schedule phase: % = step { 2027-01-01: 70 %, 2029-01-01: 100 % }\n";
  for (int i = 0; i < 200; ++i)
    text += "measure m" + std::to_string(i) + " \"Art. " + std::to_string(i) + "\" on g when origin not in USMCA and " +
            "(owned_share(facility, FEOC) otherwise 0 %) < 25 % {\n  let floor_price = phase * " + std::to_string(1000 + i) +
            " USD/t\n  duty when unit_price < floor_price: (floor_price - unit_price) * quantity\n  duty: " +
            std::to_string(i % 50) + " % of value\n}\n";
  auto c = compileAgreement(text);
  REQUIRE(c->program);
  const ir::Program& p = *c->program;
  std::string cache = tempCacheDir("lode_jit_parts_");
  jit::CompileOptions opts;
  opts.level = jit::OptLevel::Quick;
  opts.cacheDir = cache;
  std::string error;
  auto built = jit::CompiledProgram::compile(p, interp::jitCallback(), &error, opts);
  REQUIRE_MESSAGE(built, error);
  CHECK(built->partitions() > 1);
  CHECK_FALSE(built->fromCache());

  auto enumIndex = [&](int field, const char* name) {
    const auto& values = p.shipment.fields[size_t(field)].enumValues;
    return int64_t(std::find(values.begin(), values.end(), name) - values.begin());
  };
  interp::Interpreter reference(p), native(p, built.get());
  interp::Inputs in;
  std::mt19937 rng(7);
  size_t lines = 0;
  for (int k = 0; k < 50; ++k) {
    rt::Record rec;
    rec.values.resize(p.shipment.fields.size());
    auto set = [&](int f, int64_t v) { rec.values[size_t(f)].present = true; rec.values[size_t(f)].i = v; };
    set(ir::kFieldDate, rt::daysFromCivil(2027 + int(rng() % 4), 3, 1));
    set(ir::kFieldOrigin, k % 3 == 0 ? rt::countryCode('U', 'S') : rt::countryCode('C', 'N'));
    const char* hs = k % 5 == 0 ? "8507600000" : "2504100000";
    rec.values[ir::kFieldHs].present = true;
    rec.values[ir::kFieldHs].s = hs;
    rec.values[ir::kFieldHs].i = rt::hsKey(hs);
    set(ir::kFieldMineral, enumIndex(ir::kFieldMineral, "graphite"));
    set(ir::kFieldNode, enumIndex(ir::kFieldNode, "processed"));
    set(ir::kFieldQuantity, int64_t(1 + rng() % 50) * rt::kOne);
    set(ir::kFieldValue, int64_t(rng() % 400000) * rt::kOne);
    rt::Assessment a, b;
    reference.evaluate(rec, in, a);
    native.evaluate(rec, in, b);
    CAPTURE(k);
    REQUIRE(a.errors.size() == b.errors.size());
    CHECK(a.total == b.total);
    REQUIRE(a.lines.size() == b.lines.size());
    lines += a.lines.size();
    for (size_t l = 0; l < a.lines.size(); ++l) {
      CHECK(a.lines[l].measure == b.lines[l].measure);
      CHECK(a.lines[l].rounded == b.lines[l].rounded);
    }
  }
  CHECK(lines > 1000);  // most shipments are in scope: every partition's measures ran

  auto loaded = jit::CompiledProgram::compile(p, interp::jitCallback(), &error, opts);
  REQUIRE_MESSAGE(loaded, error);
  CHECK(loaded->fromCache());
  CHECK(loaded->partitions() == built->partitions());
  // One missing module and the whole agreement is compiled again (and cached again).
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(cache, ec)) {
    std::filesystem::remove(entry.path(), ec);
    break;
  }
  auto rebuilt = jit::CompiledProgram::compile(p, interp::jitCallback(), &error, opts);
  REQUIRE_MESSAGE(rebuilt, error);
  CHECK_FALSE(rebuilt->fromCache());
  std::filesystem::remove_all(cache, ec);
}

TEST_CASE("jit: the O2 level's inline arithmetic rounds, overflows and fails like the runtime, in every rounding mode") {
  // Products, quotients (the unit price; a divisor that is negative or zero), percentages (a product,
  // then a scale by 1/100), negation, abs and per-line rounding on operands chosen to hit exact halves,
  // negative values and products past 64 bits (the runtime's wide path) and past the decimal range (an
  // overflow error at the clause position).
  for (const char* mode : {"half_even", "half_up", "down"}) {
    CAPTURE(mode);
    auto c = compileAgreement(std::string("agreement \"arith\" { currency USD  rounding ") + mode +
                              " to 0.01 USD per line  in force from 2027-01-01 }\nuse std.countries\n"
                              "measure product \"P\" { duty: unit_price * quantity }\n"
                              "measure rate \"R\" { duty: 37.5 % of value }\n"
                              "measure odd \"O\" { duty: 0.000003 % of value }\n"
                              "measure factor \"F\" { duty: value * 1.000005 }\n"
                              "measure rebate \"N\" { duty: -(12.5 % of value) }\n"
                              "measure deviation \"A\" { duty: 10 % of (abs(unit_price - 1000 USD/t) * quantity) }\n"
                              "measure quotient \"Q\" { duty: value / (value - 5000 USD) * 100 USD }\n");
    REQUIRE(c->program);
    const ir::Program& p = *c->program;
    std::string error;
    jit::CompileOptions opts;
    opts.level = jit::OptLevel::O2;
    auto compiled = jit::CompiledProgram::compile(p, interp::jitCallback(), &error, opts);
    REQUIRE_MESSAGE(compiled, error);
    interp::Interpreter reference(p), native(p, compiled.get());
    interp::Inputs in;
    std::mt19937_64 rng(11);
    // Raw decimals: small and large magnitudes, exact halves of a cent and of a millionth, the range's ends.
    const int64_t edges[] = {1, 5, 5000, 12345, 5000 * rt::kOne, 125000, 1'000'000, 3'037'000'499, 3'037'000'500, 9'223'372'036'854,
                             INT64_MAX / 1000, INT64_MAX / 2, INT64_MAX - 1, INT64_MAX};
    auto operand = [&](bool sign) {
      int64_t v = int64_t(rng() >> (1 + rng() % 63));
      if (rng() % 3 == 0) {  // an edge, or one either side of it (never past INT64_MAX)
        int64_t edge = edges[rng() % std::size(edges)], step = int64_t(rng() % 3) - 1;
        v = step > 0 && edge == INT64_MAX ? edge : edge + step;
      }
      if (v <= 0) v = 1;
      return sign && rng() % 2 ? -v : v;
    };
    size_t lines = 0, errors = 0;
    for (int k = 0; k < 20000; ++k) {
      rt::Record rec;
      rec.values.resize(p.shipment.fields.size());
      auto set = [&](int f, int64_t v) { rec.values[size_t(f)].present = true; rec.values[size_t(f)].i = v; };
      set(ir::kFieldDate, rt::daysFromCivil(2027, 6, 1));
      set(ir::kFieldOrigin, rt::countryCode('C', 'N'));
      rec.values[ir::kFieldHs].present = true;
      rec.values[ir::kFieldHs].s = "2504100000";
      rec.values[ir::kFieldHs].i = rt::hsKey("2504100000");
      set(ir::kFieldQuantity, operand(false));
      set(ir::kFieldValue, operand(true));
      rt::Assessment a, b;
      reference.evaluate(rec, in, a);
      native.evaluate(rec, in, b);
      CAPTURE(rec.values[ir::kFieldQuantity].i);
      CAPTURE(rec.values[ir::kFieldValue].i);
      REQUIRE(a.lines.size() == b.lines.size());
      for (size_t l = 0; l < a.lines.size(); ++l) {
        CHECK(a.lines[l].measure == b.lines[l].measure);
        CHECK(a.lines[l].amount == b.lines[l].amount);
        CHECK(a.lines[l].rounded == b.lines[l].rounded);
      }
      REQUIRE(a.errors.size() == b.errors.size());
      for (size_t e = 0; e < a.errors.size(); ++e) {
        CHECK(a.errors[e].code == b.errors[e].code);
        CHECK(a.errors[e].pos == b.errors[e].pos);
      }
      CHECK(a.total == b.total);
      lines += a.lines.size();
      errors += a.errors.size();
    }
    CHECK(lines > 20000);   // most measures price most shipments...
    CHECK(errors > 1000);   // ... and the overflows are exercised too
  }
}
