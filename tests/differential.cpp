// Differential testing of the two executors: random shipments derived from an agreement are priced
// by the reference interpreter and by the JIT, and every part of the two assessments is compared.
//
//   lode_differential AGREEMENT.lode [--count N] [--seed S]
//
// Shipments are built field by field from the agreement itself: values seen in its inline examples
// (so scopes, registries and market windows are hit), values near them (one micro-unit off, halved,
// doubled: thresholds), any declared country or enumeration value, dates on and around every date the
// agreement mentions (schedules, memberships, examples, entry into force), and absent optional fields.
// The run uses the examples' market observations and registry rows. A mismatch prints the shipment
// and both assessments and exits 1.
#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <random>
#include <set>
#include <string>

#include "compiler/driver.h"
#include "compiler/report/report.h"
#include "compiler/testing/example_runner.h"
#include "runtime/date.h"

using namespace lode;

namespace {

struct Pools {
  std::vector<std::vector<rt::FieldValue>> seen;  // per field: values from the examples
  std::vector<int32_t> dates;                     // dates the agreement mentions, and their neighbours
};

Pools pools(const ir::Program& p) {
  Pools out;
  out.seen.resize(p.shipment.fields.size());
  std::set<int32_t> dates;
  for (const ir::Example& ex : p.examples)
    for (size_t f = 0; f < ex.shipment.values.size() && f < out.seen.size(); ++f)
      if (ex.shipment.values[f].present) out.seen[f].push_back(ex.shipment.values[f]);
  for (const auto& v : out.seen[ir::kFieldDate]) dates.insert(int32_t(v.i));
  for (const ir::Schedule& s : p.schedules) for (const auto& pt : s.points) dates.insert(pt.date);
  for (const ir::Group& g : p.groups)
    for (const auto& m : g.members) {
      if (m.from != INT32_MIN) dates.insert(m.from);
      if (m.until != INT32_MAX) dates.insert(m.until);
    }
  if (p.inForce != INT32_MIN) dates.insert(p.inForce);
  if (p.expiry != INT32_MAX) dates.insert(p.expiry);
  if (dates.empty()) dates.insert(rt::daysFromCivil(2028, 1, 1));
  for (int32_t d : dates)
    for (int32_t delta : {-1, 0, 1, 45})
      if (rt::dateInRange(d + delta)) out.dates.push_back(d + delta);
  return out;
}

class Generator {
 public:
  Generator(const ir::Program& p, uint64_t seed) : p_(p), pools_(pools(p)), rng_(seed) {}

  rt::Record next() {
    rt::Record r;
    r.values.resize(p_.shipment.fields.size());
    for (size_t f = 0; f < r.values.size(); ++f) {
      const rt::FieldSpec& spec = p_.shipment.fields[f];
      bool required = spec.required;
      if (!required && chance(25)) continue;  // absent
      r.values[f] = value(f, spec);
    }
    return r;
  }

 private:
  bool chance(int percent) { return std::uniform_int_distribution<int>(0, 99)(rng_) < percent; }
  size_t pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

  rt::FieldValue value(size_t f, const rt::FieldSpec& spec) {
    rt::FieldValue v;
    v.present = true;
    const auto& seen = pools_.seen[f];
    if (f == size_t(ir::kFieldDate)) {
      v.i = pools_.dates[pick(pools_.dates.size())];
      return v;
    }
    if (!seen.empty() && chance(70)) {
      v = seen[pick(seen.size())];
      if (spec.kind == rt::FieldKind::Decimal && chance(40)) v.i = nudge(v.i);
      return v;
    }
    switch (spec.kind) {
      case rt::FieldKind::Decimal: v.i = nudge(int64_t(pick(100000) + 1) * rt::kOne / int64_t(1 + pick(100))); break;
      case rt::FieldKind::Bool: v.i = chance(50); break;
      case rt::FieldKind::Date: v.i = pools_.dates[pick(pools_.dates.size())]; break;
      case rt::FieldKind::Country: {
        const std::string& c = p_.countries.empty() ? std::string("CN") : p_.countries[pick(p_.countries.size())];
        v.i = rt::countryCode(c[0], c[1]);
        break;
      }
      case rt::FieldKind::Enum: v.i = spec.enumValues.empty() ? 0 : int64_t(pick(spec.enumValues.size())); break;
      case rt::FieldKind::Hs: {
        std::string code = seen.empty() ? std::string("2504") : seen[pick(seen.size())].s.substr(0, 4);
        while (code.size() < 10) code += char('0' + pick(10));
        v.s = code;
        break;
      }
      default: v.s = seen.empty() ? fmt::format("X-{}", pick(5)) : seen[pick(seen.size())].s; break;
    }
    return v;
  }

  // Thresholds: one micro-unit either side, halved, doubled, or as is.
  int64_t nudge(int64_t x) {
    switch (pick(6)) {
      case 0: return x + 1;
      case 1: return x > 1 ? x - 1 : x;
      case 2: return x / 2 > 0 ? x / 2 : x;
      case 3: return x < INT64_MAX / 4 ? x * 2 : x;
      default: return x;
    }
  }

  const ir::Program& p_;
  Pools pools_;
  std::mt19937_64 rng_;
};

std::string describe(const ir::Program& p, const rt::Record& r) {
  std::string s = "{";
  for (size_t f = 0; f < r.values.size(); ++f) {
    if (!r.values[f].present) continue;
    const rt::FieldSpec& spec = p.shipment.fields[f];
    std::string v;
    switch (spec.kind) {
      case rt::FieldKind::Decimal: v = rt::decFormat(r.values[f].i) + " " + rt::unitText(spec.unit); break;
      case rt::FieldKind::Date: v = rt::dateFormat(int32_t(r.values[f].i)); break;
      case rt::FieldKind::Country: v = rt::countryText(r.values[f].i); break;
      case rt::FieldKind::Bool: v = r.values[f].i ? "true" : "false"; break;
      case rt::FieldKind::Enum: v = size_t(r.values[f].i) < spec.enumValues.size() ? spec.enumValues[size_t(r.values[f].i)] : "?"; break;
      default: v = r.values[f].s;
    }
    s += fmt::format("{}\"{}\":\"{}\"", s.size() > 1 ? "," : "", spec.name, v);
  }
  return s + "}";
}

// Everything an executor decides, in one comparable string.
std::string fingerprint(const rt::Assessment& a) {
  std::string s = fmt::format("origin={} rule={} class={} total={}|", a.origin, a.originRule, a.classification, a.total);
  for (const auto& l : a.lines) s += fmt::format("L{}.{}:{}:{}:{}:{}:{}|", l.measure, l.stmt, l.hasRate, l.rate, l.base, l.amount, l.rounded);
  for (const auto& o : a.outcomes) s += fmt::format("O{}.{}:{}|", o.measure, o.stmt, o.kind);
  for (const auto& q : a.quotas) s += fmt::format("Q{}:{}:{}:{}:{}:{}|", q.quota, q.period, q.key, q.volume, q.inQuota, q.overQuota);
  for (const auto& e : a.errors) s += fmt::format("E{}@{}|", int(e.code), e.pos);
  return s;
}

}  // namespace

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
  Generator gen(p, seed);
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
