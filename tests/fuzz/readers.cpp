// Fuzz target "readers": the bytes as every input file a `lode price` run reads, for every example
// agreement: shipments as CSV and as JSON Lines (rt::RecordReader against the agreement's shipment
// schema), market observations (rt::MarketData::loadCsv with the agreement's series units), each
// declared registry (rt::RegistryTable / rt::OwnershipGraph::loadCsv) and the quota state
// (rt::QuotaLedger::loadCsv). The shipments read without errors are then priced by the reference
// interpreter against the reference data read from the same bytes, as `lode price` would.
#include <memory>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "compiler/testing/example_runner.h"
#include "runtime/shipment_reader.h"
#include "tests/fuzz/agreements.h"
#include "tests/fuzz/fuzz.h"

using namespace lode;

namespace {

struct Target {
  std::unique_ptr<Compilation> c;
  std::unordered_map<std::string, rt::Unit> units;  // market series -> declared unit
  testing::Executor interp;
};

std::vector<Target>& targets() {
  static std::vector<Target> t;
  return t;
}

std::istringstream stream(const std::string& bytes) { return std::istringstream(bytes, std::ios::binary); }

}  // namespace

void fuzzInit() {
  for (auto& c : fuzz::compileExampleAgreements()) {
    Target t;
    for (const ir::Series& s : c->program->series) t.units.emplace(s.key, s.unit);
    t.interp = testing::interpreterExecutor(*c->program);
    t.c = std::move(c);
    targets().push_back(std::move(t));
  }
}

int fuzzOne(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  for (Target& t : targets()) {
    const ir::Program& p = *t.c->program;
    const std::vector<std::string>* countries = p.countries.empty() ? nullptr : &p.countries;

    testing::InputSet in(p);
    {
      auto s = stream(bytes);
      in.market().loadCsv(s, "market.csv", t.units);
    }
    for (size_t r = 0; r < p.registries.size(); ++r) {
      auto s = stream(bytes);
      if (p.registries[r].ownership) in.ownership().loadCsv(s, "registry.csv", countries);
      else if (rt::RegistryTable* table = in.table(r)) table->loadCsv(s, "registry.csv", countries);
    }
    {
      auto s = stream(bytes);
      in.quotas().loadCsv(s, "quota_state.csv");
      std::ostringstream back;
      in.quotas().writeCsv(back);
    }

    rt::ReaderOptions ropts;
    ropts.countries = countries;
    for (rt::RecordFormat fmt : {rt::RecordFormat::Csv, rt::RecordFormat::Jsonl}) {
      auto s = stream(bytes);
      rt::RecordReader reader(p.shipment, ropts);
      reader.attach(s, fmt, fmt == rt::RecordFormat::Csv ? "shipments.csv" : "shipments.jsonl");
      rt::Record rec;
      std::vector<rt::RowError> errs;
      rt::Assessment a;
      for (int rows = 0; rows < 64 && reader.next(rec, errs); ++rows) {
        if (!errs.empty()) continue;
        testing::applyFieldDefaults(p, rec);
        t.interp(rec, in.inputs(), a);
      }
    }
  }
  return 0;
}
