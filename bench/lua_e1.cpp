#include "bench/lua_e1.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <unordered_map>

#include "compiler/driver.h"
#include "compiler/testing/example_runner.h"
#include "runtime/shipment_reader.h"

#ifndef LODE_SOURCE_DIR
#define LODE_SOURCE_DIR "."
#endif

namespace lode::bench {

namespace {

const std::string kE1 = LODE_SOURCE_DIR "/examples/agreements/graphite_anode_na_indopacific";
const char* const kBmi = "BMI.USPG10";

// The BMI.USPG10 rows of market.csv read as MarketData::loadCsv reads them (values converted to the
// series' unit, bad rows skipped), then ordered as its finalize() orders them (by date, the first
// row of a date kept).
std::vector<E1Data::Observation> readBmi(const rt::Unit& unit) {
  rt::Schema schema;
  int fSeries = schema.add({"series", rt::FieldKind::Text, {}, {}, true});
  int fDate = schema.add({"date", rt::FieldKind::Date, {}, {}, true});
  int fValue = schema.add({"value", rt::FieldKind::Text, {}, {}, true});
  rt::RecordReader reader(schema);
  rt::RowError err;
  if (!reader.open(kE1 + "/market.csv", rt::RecordFormat::Csv, err)) throw std::runtime_error(err.message);
  std::vector<E1Data::Observation> out;
  rt::Record rec;
  std::vector<rt::RowError> errs;
  const rt::FieldSpec spec{"value", rt::FieldKind::Decimal, unit, {}, true};
  while (reader.next(rec, errs)) {
    rt::FieldValue v;
    if (errs.empty() && rec.values[size_t(fSeries)].s == kBmi && rt::parseCell(spec, rec.values[size_t(fValue)].s, v, err))
      out.push_back({int32_t(rec.values[size_t(fDate)].i), v.i});
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.date < b.date; });
  out.erase(std::unique(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.date == b.date; }), out.end());
  return out;
}

// The rows of facilities.csv that OwnershipGraph::loadCsv accepts: read with its schema, then kept
// only if addEdge takes them on a scratch graph (share range, totals per entity).
std::vector<E1Data::OwnerRow> readOwners(const std::vector<std::string>& countries) {
  rt::Schema schema;
  int fEntity = schema.add({"entity", rt::FieldKind::Text, {}, {}, true});
  int fOwner = schema.add({"owner", rt::FieldKind::Text, {}, {}, true});
  int fShare = schema.add({"share", rt::FieldKind::Decimal, rt::unitParse("%").value_or(rt::unitNone()), {}, true});
  int fCountry = schema.add({"country", rt::FieldKind::Country, {}, {}, true});
  std::ifstream in(kE1 + "/facilities.csv", std::ios::binary);
  if (!in) throw std::runtime_error("cannot open facilities.csv");
  rt::OwnershipGraph scratch;
  std::vector<E1Data::OwnerRow> out;
  rt::readTableCsv(in, kE1 + "/facilities.csv", schema, rt::ReaderOptions{&countries, -1}, "",
                   [&](rt::Record& rec, std::vector<rt::RowError>&) {
                     auto v = [&](int f) -> const rt::FieldValue& { return rec.values[size_t(f)]; };
                     rt::RowError err;
                     if (scratch.addEdge(v(fEntity).s, v(fOwner).s, v(fShare).i, v(fCountry).i, err))
                       out.push_back({v(fEntity).s, v(fOwner).s, v(fShare).i, v(fCountry).i});
                   });
  return out;
}

}  // namespace

E1Data::E1Data() {
  auto c = compileFile(kE1 + ".lode");
  if (!c->program) throw std::runtime_error("E1 does not compile");
  const auto& p = *c->program;
  std::unordered_map<std::string, rt::Unit> units;
  for (const auto& s : p.series) units[s.key] = s.unit;
  market.loadCsvFile(kE1 + "/market.csv", units);
  ownership.loadCsvFile(kE1 + "/facilities.csv", &p.countries);
  rt::ReaderOptions opts;
  opts.countries = &p.countries;
  rt::RecordReader reader(p.shipment, opts);
  rt::RowError err;
  if (!reader.open(kE1 + "/shipments.csv", rt::RecordFormat::Csv, err)) throw std::runtime_error(err.message);
  rt::Record rec;
  std::vector<rt::RowError> errs;
  while (reader.next(rec, errs)) {
    if (!errs.empty()) continue;  // the sample file's deliberately malformed row
    testing::applyFieldDefaults(p, rec);
    shipments.push_back(toE1Shipment(p, rec));
  }
  const int bmiHandle = market.handle(kBmi);
  native = std::make_unique<E1Native>(market, bmiHandle, ownership);

  bmi = readBmi(units.at(kBmi));
  if (bmi.size() != market.count(bmiHandle)) throw std::runtime_error("BMI.USPG10 rows read differently from MarketData");
  owners = readOwners(p.countries);
}

const E1Data& E1Data::get() {
  static const E1Data data;
  return data;
}

LuaE1::LuaE1(const std::string& shim, const std::string& dir, const std::string& script, const E1Data& data) {
  // RTLD_LOCAL is what keeps the two Lua runtimes apart: neither shim's liblua joins the global
  // scope, so each shim binds lua_* to its own. RTLD_DEEPBIND makes sure of it should the executable
  // ever export lua_* itself; AddressSanitizer refuses it, so sanitized builds do without.
  int flags = RTLD_NOW | RTLD_LOCAL;
#if !defined(__SANITIZE_ADDRESS__)
  flags |= RTLD_DEEPBIND;
#endif
  lib_ = dlopen(shim.c_str(), flags);
  if (!lib_) throw std::runtime_error("cannot load " + shim + ": " + dlerror());
  api_ = static_cast<const lode_lua_api*>(dlsym(lib_, LODE_LUA_ENTRY));
  if (!api_) throw std::runtime_error(shim + " has no " LODE_LUA_ENTRY);
  char err[512] = "";
  vm_ = api_->open(dir.c_str(), script.c_str(), err, sizeof err);
  if (!vm_) throw std::runtime_error(std::string(api_->engine) + ": " + err);
  for (const auto& o : data.bmi)
    if (api_->observe(vm_, o.date, o.raw) != 0) throw std::runtime_error(std::string(api_->engine) + ": " + api_->error(vm_));
  for (const auto& o : data.owners)
    if (api_->own(vm_, o.entity.c_str(), o.owner.c_str(), o.share, o.country) != 0)
      throw std::runtime_error(std::string(api_->engine) + ": " + api_->error(vm_));
}

LuaE1::~LuaE1() {
  if (vm_) api_->close(vm_);
  // The shim stays loaded until exit: unloading would buy a benchmark nothing.
}

E1Result LuaE1::price(const E1Shipment& s) {
  lode_lua_shipment in{};
  in.quantity = s.quantity;
  in.value = s.value;
  in.energy_density = s.energyDensity;
  in.content_value = s.contentValue;
  in.hs = s.hs.data();
  in.hs_len = int32_t(s.hs.size());
  in.facility = s.facility.data();
  in.facility_len = int32_t(s.facility.size());
  in.date = s.date;
  in.origin = int32_t(s.origin);
  in.mineral = s.mineral;
  in.node = s.node;
  in.has_facility = s.hasFacility;
  in.has_energy_density = s.hasEnergyDensity;
  in.has_content_value = s.hasContentValue;
  in.coated = s.coated;
  in.feoc_controlled = s.feocControlled;
  lode_lua_result out{};
  if (api_->price(vm_, &in, &out) != 0) {
    std::fprintf(stderr, "%s: %s\n", api_->engine, api_->error(vm_));
    std::abort();
  }
  return {out.ok != 0, out.total, out.lines, out.origin};
}

}  // namespace lode::bench
