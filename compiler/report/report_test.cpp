// Report writers: exact JSON/CSV lines for a real compiled agreement evaluated by the interpreter,
// and the phrases of the worded explanation.
#include <doctest/doctest.h>

#include <sstream>

#include "compiler/driver.h"
#include "compiler/interp/interp.h"
#include "compiler/report/ast_dump.h"
#include "compiler/report/report.h"
#include "compiler/testing/example_runner.h"
#include "runtime/date.h"
#include "runtime/shipment_reader.h"

using namespace lode;

namespace {

// Self-contained (no `use`): countries and enumerations are declared inline so the test does not
// depend on the stdlib directory.
const char* kAgreement = R"(agreement "Report test" {
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
origin rule feoc_facility "Art. 7.1" on uspg when (owned_share(facility, feoc) otherwise 0 %) >= 25 % becomes CN
first "precedence" {
  measure floor "Art. 5.2" on uspg when origin != CN {
    let gap = latest(bench) - unit_price
    duty "floor duty" when gap > 0 USD/t: gap * quantity
    flag "below \"floor\"" when gap > 0 USD/t
  }
  measure fallback "Art. 5.3" on uspg { duty "fallback": 1 % of value }
}
measure ad "Art. 6.1" on uspg when origin == CN { duty "anti-dumping": 90 % of value }
)";

struct Fixture {
  std::unique_ptr<Compilation> c;
  testing::InputSet* inputs = nullptr;
  std::unique_ptr<testing::InputSet> owned;

  Fixture() {
    c = compileText("a.lode", kAgreement);
    for (const auto& d : c->diags.all()) INFO(formatDiagnostic(c->sm, d));
    REQUIRE(c->program);
    owned = std::make_unique<testing::InputSet>(*c->program);
    inputs = owned.get();
  }
  const ir::Program& p() const { return *c->program; }

  rt::Record shipment(const std::string& json) {
    std::istringstream in(json);
    rt::RecordReader reader(p().shipment);
    reader.attach(in, rt::RecordFormat::Jsonl, "test");
    rt::Record rec;
    std::vector<rt::RowError> errs;
    REQUIRE(reader.next(rec, errs));
    REQUIRE(errs.empty());
    testing::applyFieldDefaults(p(), rec);
    return rec;
  }
  rt::Assessment evaluate(const rt::Record& rec, bool trace = false) {
    rt::Assessment a;
    interp::Interpreter(p()).evaluate(rec, inputs->inputs(), a, trace);
    return a;
  }
};

const char* kMz = R"({"id":"T2","date":"2029-03-01","hs":"2504.10","origin":"MZ","mineral":"graphite","node":"processed","quantity":"20 t","value":"56000 USD"})";
const char* kId = R"({"id":"T3","date":"2029-03-01","hs":"2504.10","origin":"ID","mineral":"graphite","node":"processed","quantity":"10 t","value":"40000 USD","facility":"F1"})";

}  // namespace

TEST_CASE("report: fractional digits of the rounding quantum") {
  CHECK(report::quantumDigits(10000) == 2);     // 0.01
  CHECK(report::quantumDigits(500000) == 1);    // 0.5
  CHECK(report::quantumDigits(1000000) == 0);   // 1
  CHECK(report::quantumDigits(5000000) == 0);   // 5
  CHECK(report::quantumDigits(1) == 6);         // 0.000001
  CHECK(report::quantumDigits(0) == 2);         // nonsense quantum: show cents
}

TEST_CASE("report: JSON and CSV lines of a priced shipment") {
  Fixture f;
  f.inputs->market().add("BENCH", rt::dateParse("2029-02-01").value(), rt::decFromInt(4550));
  f.inputs->market().finalize();
  rt::Assessment a = f.evaluate(f.shipment(kMz));
  REQUIRE(a.ok());
  CHECK(report::assessmentJson(f.p(), f.c->sm, a, 2, "T2") ==
        R"({"row":2,"id":"T2","origin":"MZ","declared_origin":"MZ","origin_rule":null,)"
        R"("lines":[{"measure":"floor","legal":"Art. 5.2","label":"floor duty","rate":"1750 USD/t","base":"20 t",)"
        R"("amount":"35000","rounded":"35000.00"}],)"
        R"("outcomes":[{"kind":"flag","measure":"floor","text":"below \"floor\""}],)"
        R"("total":"35000.00","currency":"USD","errors":[]})");
  CHECK(report::csvHeader() == "row,id,origin,total,currency,lines,outcomes,errors,quotas");
  CHECK(report::assessmentCsv(f.p(), f.c->sm, a, 2, "T,2") ==
        R"(2,"T,2",MZ,35000.00,USD,floor=35000.00,"flag:floor:below ""floor""",,)");
}

TEST_CASE("report: an evaluation error leaves no total and names the clause") {
  Fixture f;  // no market data: latest(bench) fails
  rt::Assessment a = f.evaluate(f.shipment(kMz));
  REQUIRE_FALSE(a.ok());
  std::string json = report::assessmentJson(f.p(), f.c->sm, a, 2, "T2");
  CHECK(json.find(R"("total":null)") != std::string::npos);
  CHECK(json.find(R"("code":"E0003","message":"no market observation)") != std::string::npos);
  CHECK(json.find(R"("at":"a.lode:18:)") != std::string::npos);  // the let that reads the series
  std::string csv = report::assessmentCsv(f.p(), f.c->sm, a, 2, "T2");
  CHECK(csv.rfind("2,T2,MZ,,USD,", 0) == 0);
  CHECK(csv.find("E0003@a.lode:18:") != std::string::npos);
}

TEST_CASE("report: unreadable rows keep their errors in the output") {
  Fixture f;
  std::vector<rt::RowError> errs{{"s.csv", 7, "quantity", rt::ErrCode::InvalidValue, "expected a number, got 'abc'"},
                                 {"s.csv", 7, "", rt::ErrCode::MissingField, "row, with \"quotes\""}};
  std::string json;
  report::appendInputErrorsJson(json, f.p(), 7, "", errs);
  CHECK(json ==
        R"({"row":7,"id":null,"origin":null,"declared_origin":null,"origin_rule":null,"lines":[],"outcomes":[],)"
        R"("total":null,"currency":"USD","errors":[)"
        R"({"code":"E0009","field":"quantity","message":"expected a number, got 'abc'","at":"s.csv:7"},)"
        R"({"code":"E0004","field":null,"message":"row, with \"quotes\"","at":"s.csv:7"}]})");
  std::string csv;
  report::appendInputErrorsCsv(csv, f.p(), 7, "X1", errs);
  CHECK(csv == R"(7,X1,,,USD,,,"E0009@quantity expected a number, got 'abc';E0004 row, with ""quotes""",)");
  CHECK(report::rowErrorText(errs[0]) == "s.csv:7: quantity: expected a number, got 'abc'");
}

TEST_CASE("report: explanation of an applied floor, a shadowed fallback and a false condition") {
  Fixture f;
  f.inputs->market().add("BENCH", rt::dateParse("2029-02-01").value(), rt::decFromInt(4550));
  f.inputs->market().finalize();
  rt::Record rec = f.shipment(kMz);
  std::string text = report::explainText(f.p(), f.c->sm, rec, f.evaluate(rec, true));
  INFO(text);
  CHECK(text.find("Shipment T2\n") == 0);
  CHECK(text.find("  hs: 2504.10\n") != std::string::npos);
  CHECK(text.find("rule feoc_facility (Art. 7.1) does not apply: its condition is false") != std::string::npos);
  CHECK(text.find("effective origin: MZ (as declared)") != std::string::npos);
  CHECK(text.find("  floor (Art. 5.2, line 17)\n    gap = 1750 USD/t\n") != std::string::npos);
  CHECK(text.find("duty \"floor duty\": 1750 USD/t x 20 t = 35000.00 USD") != std::string::npos);
  CHECK(text.find("flag: \"below \"floor\"\"") != std::string::npos);
  CHECK(text.find("fallback (Art. 5.3, line 22): the earlier measure floor of the `first` block \"precedence\" applies") !=
        std::string::npos);
  CHECK(text.find("ad (Art. 6.1, line 24): its condition is false") != std::string::npos);
  CHECK(text.find("Total duty: 35000.00 USD (each line rounded half_even to 0.01 USD)") != std::string::npos);
}

TEST_CASE("report: explanation of an origin rule that fires") {
  Fixture f;
  rt::RowError err;
  REQUIRE(f.inputs->ownership().addEdge("F1", "X", rt::decFromInt(100), rt::countryCode('C', 'N'), err));
  rt::Record rec = f.shipment(kId);
  rt::Assessment a = f.evaluate(rec, true);
  std::string text = report::explainText(f.p(), f.c->sm, rec, a);
  INFO(text);
  CHECK(text.find("rule feoc_facility (Art. 7.1) applies: origin becomes CN") != std::string::npos);
  CHECK(text.find("effective origin: CN (set by rule feoc_facility)") != std::string::npos);
  CHECK(text.find("floor (Art. 5.2, line 17): its condition is false") != std::string::npos);
  CHECK(text.find("duty \"anti-dumping\": 90 % x 40000 USD = 36000.00 USD") != std::string::npos);
  CHECK(report::assessmentJson(f.p(), f.c->sm, a, 1, "T3").find(R"("origin":"CN","declared_origin":"ID","origin_rule":"feoc_facility")") !=
        std::string::npos);
}

TEST_CASE("report: AST dump prints declarations in file order with S-expressions") {
  auto c = compileText("a.lode", kAgreement);
  REQUIRE_FALSE(c->modules.empty());
  std::string dump = report::dumpAst(c->modules.front(), c->sm);
  INFO(dump);
  CHECK(dump.find("15:1     origin rule feoc_facility \"Art. 7.1\" on uspg when "
                  "(>= (otherwise (owned_share facility feoc) 0[%]) 25[%]) becomes CN") != std::string::npos);
  CHECK(dump.find("  17:3     measure floor \"Art. 5.2\" on uspg when (!= origin CN)") != std::string::npos);
  CHECK(dump.find("    18:5     let gap = (- (latest bench) unit_price)") != std::string::npos);
  CHECK(dump.find("13:1     series bench = \"BENCH\" in USD/t") < dump.find("14:1     registry facilities: ownership"));
}

TEST_CASE("report: AST dump prints a quota's expectations") {
  auto c = compileText("q.lode", R"(agreement "Q" {
  currency USD
  in force from 2027-01-01
}
use std.countries
use std.minerals
quota trq "Art. 1" {
  order: "01"
  period: calendar_year
  volume: 100 t
  in quota { duty "in": 0 % of value }
  over quota { duty "over": 25 % of value }
}
example "split" {
  shipment { date: 2028-03-01, hs: 2504, origin: CD, quantity: 25 t, value: 100 USD }
  quota trq { used: 90 t }
  expect {
    in quota trq: 10 t
    over quota trq: 15 t
  }
}
)");
  REQUIRE_FALSE(c->modules.empty());
  std::string dump = report::dumpAst(c->modules.front(), c->sm);
  INFO(dump);
  CHECK(dump.find("expect in quota trq: 10[t]") != std::string::npos);
  CHECK(dump.find("expect over quota trq: 15[t]") != std::string::npos);
}
