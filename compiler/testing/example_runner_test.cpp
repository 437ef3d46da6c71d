// The example runner: expectations met and missed, with the interpreter and with scripted executors
// (so each comparison rule is exercised without depending on the interpreter's behaviour).
#include <doctest/doctest.h>

#include <algorithm>
#include <stdexcept>

#include "compiler/driver.h"
#include "compiler/testing/example_runner.h"

using namespace lode;

namespace {

const char* kAgreement = R"(agreement "Runner test" {
  currency USD
  rounding half_even to 0.01 USD per line
  in force from 2027-01-01
}
country CN "China"
country MZ "Mozambique"
country ID "Indonesia"
enumeration mineral { graphite }
enumeration node { processed }
group feoc = [CN]
scope uspg = graphite at processed
series bench = "BENCH" in USD/t
registry facilities: ownership
registry undertakings by exporter { min_price: USD/t }
attribute certified: bool default false
origin rule feoc_facility "Art. 7.1" on uspg when (owned_share(facility, feoc) otherwise 0 %) >= 25 % becomes CN
measure floor "Art. 5.2" on uspg when origin != CN {
  let gap = latest(bench) - unit_price
  duty "floor duty" when gap > 0 USD/t: gap * quantity
  flag "below floor" when gap > 0 USD/t
}
measure ad "Art. 6.1" on uspg when origin == CN and not certified {
  duty "anti-dumping": 90 % of value
  duty "surcharge": 1 % of value
  refuse "no undertaking" when not has(undertakings, exporter otherwise "")
  refuse "sanctioned exporter" when (exporter otherwise "") == "S"
}
example "floor below the benchmark" {
  shipment { date: 2029-03-01, hs: 2504.10, origin: MZ, mineral: graphite, node: processed, quantity: 20 t, value: 56000 USD }
  market { bench 2029-02-01: 4550 USD/t }
  expect { floor: 35000.00 USD  flag: "below floor"  no ad  total: 35000.00 USD  origin: MZ }
}
example "reassigned to CN through the facility; two AD lines summed" {
  shipment { date: 2029-03-01, hs: 2504.10, origin: ID, mineral: graphite, node: processed, quantity: 10 t, value: 40000 USD, facility: "F1", exporter: "E1" }
  registry facilities { { entity: "F1", owner: "X", share: 100 %, country: CN } }
  registry undertakings { { exporter: "E1", min_price: 1000 USD/t } }
  expect { ad: 36400.00 USD  origin: CN  total: 36400.00 USD }
}
example "missing observation" {
  shipment { date: 2029-03-01, hs: 2504.10, origin: MZ, mineral: graphite, node: processed, quantity: 20 t, value: 56000 USD }
  expect { error: E0003  no floor }
}
example "all wrong" {
  shipment { date: 2029-03-01, hs: 2504.10, origin: CN, mineral: graphite, node: processed, quantity: 10 t, value: 40000 USD }
  expect { ad: 1.00 USD  origin: MZ  flag: "below floor"  total: 2.00 USD }
}
example "one refusal asked for, two given" {
  shipment { date: 2029-03-01, hs: 2504.10, origin: CN, mineral: graphite, node: processed, quantity: 10 t, value: 40000 USD, exporter: "S" }
  expect { ad: 36400.00 USD  outcome: refuse "sanctioned exporter"  total: 36400.00 USD }
}
)";

std::unique_ptr<Compilation> compiled() {
  auto c = compileText("r.lode", kAgreement);
  for (const auto& d : c->diags.all()) INFO(formatDiagnostic(c->sm, d));
  REQUIRE(c->program);
  return c;
}

bool contains(const std::vector<std::string>& v, const std::string& needle) {
  return std::any_of(v.begin(), v.end(), [&](const std::string& s) { return s.find(needle) != std::string::npos; });
}

}  // namespace

TEST_CASE("example runner: the interpreter against passing and failing examples") {
  auto c = compiled();
  auto results = testing::runExamples(*c->program, c->sm, testing::interpreterExecutor(*c->program));
  REQUIRE(results.size() == 5);
  for (size_t i = 0; i < 3; ++i) {
    INFO(results[i].title);
    for (const auto& f : results[i].failures) INFO(f);
    CHECK(results[i].passed);
    CHECK(results[i].failures.empty());
  }
  const auto& bad = results[3];
  CHECK_FALSE(bad.passed);
  for (const auto& f : bad.failures) INFO(f);
  CHECK(contains(bad.failures, "\"all wrong\": ad: expected 1.00 USD, got 36400.00 USD (sum of 2 lines) (r.lode:"));
  CHECK(contains(bad.failures, "origin: expected MZ, got CN"));
  CHECK(contains(bad.failures, "flag: expected \"below floor\", got no flag"));
  CHECK(contains(bad.failures, "total: expected 2.00 USD, got 36400.00 USD"));
  CHECK(contains(bad.failures, "unexpected outcome refuse \"no undertaking\" from ad"));
  CHECK(bad.failures.size() == 5);
  // An outcome of the kind asked for but with another reason is not what was asked for.
  const auto& reasons = results[4];
  for (const auto& f : reasons.failures) INFO(f);
  CHECK_FALSE(reasons.passed);
  CHECK(contains(reasons.failures, "unexpected outcome refuse \"no undertaking\" from ad"));
  CHECK(reasons.failures.size() == 1);
}

TEST_CASE("example runner: scripted executors exercise each rule") {
  auto c = compiled();
  const ir::Program& p = *c->program;
  uint32_t floor = 0, ad = 1;
  REQUIRE(p.measures[floor].name == "floor");
  REQUIRE(p.measures[ad].name == "ad");

  SUBCASE("an unexpected line, an unexpected error, a missing expected error") {
    auto results = testing::runExamples(p, c->sm, [&](const rt::Record&, const interp::Inputs&, rt::Assessment& a) {
      a.origin = rt::countryCode('M', 'Z');
      a.lines.push_back({floor, 0, false, 0, 0, rt::decFromInt(35000), rt::decFromInt(35000)});
      a.lines.push_back({ad, 0, false, 0, 0, rt::decFromInt(5), rt::decFromInt(5)});
      a.outcomes.push_back({uint8_t(ir::OutcomeKind::Flag), floor, 2});
      a.errors.push_back({rt::ErrCode::DivisionByZero, 0, "x"});
      a.total = rt::decFromInt(35005);
    });
    const auto& first = results[0];
    for (const auto& f : first.failures) INFO(f);
    CHECK(contains(first.failures, "no ad: expected no line, got 5.00 USD"));
    CHECK(contains(first.failures, "total: expected 35000.00 USD, got no total (the evaluation had errors)"));
    CHECK(contains(first.failures, "unexpected error E0002 division by zero: x"));
    CHECK(first.failures.size() == 3);
    const auto& missing = results[2];
    CHECK(contains(missing.failures, "error: expected E0003, got E0002"));
    CHECK(contains(missing.failures, "no floor: expected no line, got 35000.00 USD"));
    // Example 2 expects only `ad`: the floor line is unexpected.
    CHECK(contains(results[1].failures, "unexpected line floor: 35000.00 USD"));
  }

  SUBCASE("an executor that throws fails the example instead of the run") {
    auto results = testing::runExamples(p, c->sm, [](const rt::Record&, const interp::Inputs&, rt::Assessment&) {
      throw std::runtime_error("boom");
    });
    REQUIRE(results.size() == 5);
    for (const auto& r : results) {
      CHECK_FALSE(r.passed);
      CHECK(contains(r.failures, "the executor threw: boom"));
    }
  }

  SUBCASE("inputs: series handles follow the program, registries are never null, defaults applied") {
    testing::runExamples(p, c->sm, [&](const rt::Record& rec, const interp::Inputs& in, rt::Assessment&) {
      REQUIRE(in.market);
      CHECK(in.market->handle("BENCH") == 0);
      REQUIRE(in.tables.size() == p.registries.size());
      for (size_t r = 0; r < p.registries.size(); ++r) CHECK((in.tables[r] != nullptr) == !p.registries[r].ownership);
      CHECK(in.ownership != nullptr);
      int certified = p.shipment.find("certified");
      REQUIRE(certified >= 0);
      CHECK(rec.values[size_t(certified)].present);
    });
  }
}
