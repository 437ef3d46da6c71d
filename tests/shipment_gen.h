// Shipments derived from an agreement, for testing the two executors against each other: shared by
// tests/differential.cpp (random choices from a seeded generator) and the engines fuzz target
// tests/fuzz/engines.cpp (choices read from the fuzzer's bytes, so afl's mutations become changes of
// field values).
//
// Shipments are built field by field from the agreement itself: values seen in its inline examples
// (so scopes, registries and market windows are hit), values near them (one micro-unit off, halved,
// doubled: thresholds), any declared country or enumeration value, dates on and around every date the
// agreement mentions (schedules, memberships, examples, entry into force), and absent optional fields.
// A source may also ask for "wild" values: any decimal, any date on the calendar, any text a reader
// could produce.
#pragma once
#include <fmt/format.h>

#include <climits>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "compiler/ir/ir.h"
#include "runtime/assessment.h"
#include "runtime/date.h"
#include "runtime/decimal.h"
#include "runtime/record.h"
#include "runtime/units.h"

namespace lode::testgen {

struct Pools {
  std::vector<std::vector<rt::FieldValue>> seen;  // per field: values from the examples
  std::vector<int32_t> dates;                     // dates the agreement mentions, and their neighbours
};

inline Pools pools(const ir::Program& p) {
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

// Choices from a seeded Mersenne twister (tests/differential.cpp); never wild.
class RngSource {
 public:
  explicit RngSource(uint64_t seed) : rng_(seed) {}
  bool chance(int percent) { return std::uniform_int_distribution<int>(0, 99)(rng_) < percent; }
  size_t pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  bool wild() { return false; }
  uint64_t bits() { return rng_(); }

 private:
  std::mt19937_64 rng_;
};

// Choices read from a byte string (fuzzing): each choice takes the next one to eight bytes; past the
// end every choice is 0 (the first option), so a short input still gives a well-formed shipment.
class ByteSource {
 public:
  ByteSource(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  bool chance(int percent) { return int(byte() % 100) < percent; }
  size_t pick(size_t n) {
    if (n <= 1) return 0;
    uint64_t v = n <= 256 ? byte() : n <= 65536 ? (uint64_t(byte()) << 8 | byte()) : bits();
    return size_t(v % n);
  }
  bool wild() { return byte() >= 224; }  // about one choice in eight
  uint64_t bits() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = v << 8 | byte();
    return v;
  }
  bool exhausted() const { return p_ >= end_; }

 private:
  uint8_t byte() { return p_ < end_ ? *p_++ : 0; }
  const uint8_t* p_;
  const uint8_t* end_;
};

template <class Source>
class Generator {
 public:
  Generator(const ir::Program& p, Source& src) : p_(p), pools_(pools(p)), src_(src) {}

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
  bool chance(int percent) { return src_.chance(percent); }
  size_t pick(size_t n) { return src_.pick(n); }

  rt::FieldValue value(size_t f, const rt::FieldSpec& spec) {
    rt::FieldValue v;
    v.present = true;
    if (src_.wild()) return wildValue(spec);
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
        v.i = rt::hsKey(code);
        break;
      }
      default: v.s = seen.empty() ? fmt::format("X-{}", pick(5)) : seen[pick(seen.size())].s; break;
    }
    return v;
  }

  // Anything a reader could hand an executor for this field (see rt::parseCell).
  rt::FieldValue wildValue(const rt::FieldSpec& spec) {
    rt::FieldValue v;
    v.present = true;
    switch (spec.kind) {
      case rt::FieldKind::Decimal: v.i = int64_t(src_.bits()); break;
      case rt::FieldKind::Bool: v.i = chance(50); break;
      case rt::FieldKind::Date: v.i = rt::kMinDate + int64_t(pick(size_t(rt::kMaxDate - rt::kMinDate) + 1)); break;
      case rt::FieldKind::Country: v.i = rt::countryCode(char('A' + pick(26)), char('A' + pick(26))); break;
      case rt::FieldKind::Enum: v.i = spec.enumValues.empty() ? 0 : int64_t(pick(spec.enumValues.size())); break;
      case rt::FieldKind::Hs: {
        size_t n = 4 + pick(7);
        while (v.s.size() < n) v.s += char('0' + pick(10));
        if (chance(50)) v.i = rt::hsKey(v.s);  // else no key: the executors compare the digits
        break;
      }
      default: {
        size_t n = pick(12);
        while (v.s.size() < n) v.s += char(' ' + pick(95));
        break;
      }
    }
    return v;
  }

  // Thresholds: one micro-unit either side, halved, doubled, or as is.
  int64_t nudge(int64_t x) {
    switch (pick(6)) {
      case 0: return x < INT64_MAX ? x + 1 : x;
      case 1: return x > 1 ? x - 1 : x;
      case 2: return x / 2 > 0 ? x / 2 : x;
      case 3: return x < INT64_MAX / 4 && x > INT64_MIN / 4 ? x * 2 : x;
      default: return x;
    }
  }

  const ir::Program& p_;
  Pools pools_;
  Source& src_;
};

// A present field's value as a text cell (what a CSV reader or lode_shipment_set reads back to it).
inline std::string cellText(const rt::FieldSpec& spec, const rt::FieldValue& v) {
  switch (spec.kind) {
    case rt::FieldKind::Decimal: return rt::decFormat(v.i) + " " + rt::unitText(spec.unit);
    case rt::FieldKind::Date: return rt::dateFormat(int32_t(v.i));
    case rt::FieldKind::Country: return rt::countryText(v.i);
    case rt::FieldKind::Bool: return v.i ? "true" : "false";
    case rt::FieldKind::Enum: return size_t(v.i) < spec.enumValues.size() ? spec.enumValues[size_t(v.i)] : "?";
    default: return v.s;
  }
}

inline std::string describe(const ir::Program& p, const rt::Record& r) {
  std::string s = "{";
  for (size_t f = 0; f < r.values.size(); ++f) {
    if (!r.values[f].present) continue;
    const rt::FieldSpec& spec = p.shipment.fields[f];
    s += fmt::format("{}\"{}\":\"{}\"", s.size() > 1 ? "," : "", spec.name, cellText(spec, r.values[f]));
  }
  return s + "}";
}

// Everything an executor decides, in one comparable string.
inline std::string fingerprint(const rt::Assessment& a) {
  std::string s = fmt::format("origin={} rule={} class={} total={}|", a.origin, a.originRule, a.classification, a.total);
  for (const auto& l : a.lines) s += fmt::format("L{}.{}:{}:{}:{}:{}:{}|", l.measure, l.stmt, l.hasRate, l.rate, l.base, l.amount, l.rounded);
  for (const auto& o : a.outcomes) s += fmt::format("O{}.{}:{}|", o.measure, o.stmt, o.kind);
  for (const auto& q : a.quotas) s += fmt::format("Q{}:{}:{}:{}:{}:{}|", q.quota, q.period, q.key, q.volume, q.inQuota, q.overQuota);
  for (const auto& e : a.errors) s += fmt::format("E{}@{}|", int(e.code), e.pos);
  return s;
}

}  // namespace lode::testgen
