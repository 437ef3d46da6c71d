// Random agreements: see agreement_gen.h. The text is built declaration by declaration from a seeded
// Mersenne twister; each generator below knows which names of which type exist so far, so every
// expression it writes is well typed by construction.
//
// The checker's coverage analysis (compiler/sema/analysis.cpp) must not find a measure that can never
// apply (L0401) nor two overlapping measures of an exclusive block (L0403). So:
//   - scope `where` predicates read only the HS code and "scope attributes"; measure and quota `when`
//     conditions read origin, unit_price, quantity, value, date and "condition attributes", each at
//     most once per condition: no conjunction the analyser can decompose contradicts itself;
//   - exclusive blocks are made disjoint in one of the ways the analyser proves: scopes of disjoint
//     mineral lists, a partition of unit_price by constant thresholds, or `origin in [..]` against
//     `origin not in [..]` of the same list.
// Statement-level conditions, origin rules, lets and duties are not analysed and use everything.
#include "tests/agreement_gen.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <random>
#include <set>
#include <vector>

#include "runtime/date.h"

namespace lode::testgen {
namespace {

enum class Ty { Money, Pct, Price, Mass };

// An HS code with the mineral and node it is usually declared as, and an element it contains.
struct Product {
  const char* mineral;
  const char* hs;
  const char* node;
  const char* element;
};
constexpr Product kProducts[] = {
    {"graphite", "2504.10.00.00", "processed", "C"},    {"graphite", "3801.90.00.00", "active_material", "C"},
    {"lithium", "2836.91.00.00", "chemical", "Li"},     {"lithium", "2530.90.00.00", "ore", "Li"},
    {"nickel", "7502.10.00.00", "refined", "Ni"},       {"nickel", "2604.00.00.00", "concentrate", "Ni"},
    {"cobalt", "8105.20.00.00", "refined", "Co"},       {"cobalt", "2833.29.00.00", "chemical", "Co"},
    {"manganese", "2602.00.00.00", "ore", "Mn"},        {"manganese", "2820.10.00.00", "chemical", "Mn"},
    {"gallium", "8112.92.00.00", "refined", "Ga"},      {"rare_earths", "2846.10.00.00", "concentrate", "Nd"},
    {"magnesium", "8104.11.00.00", "refined", "Mg"},    {"silicon", "2804.61.00.00", "refined", "Si"},
    {"tin", "8001.10.00.00", "refined", "Sn"},
};
constexpr const char* kCountries[] = {"CN", "RU", "AU", "CL", "CD", "ID", "JP", "KR", "US",
                                      "CA", "MZ", "NO", "ZA", "BR", "IN", "DE", "GB", "KP"};
constexpr const char* kCmp[] = {"<", "<=", ">", ">=", "==", "!="};

struct Attr {
  enum Kind { Dec, Bool, Text, Enum, Country, Date } kind;
  std::string name;
  std::string unit;                 // Dec: "%", "USD/t", "t" or "mAh/g"
  std::vector<std::string> values;  // Enum
  bool forScopes = false;           // read by scope `where`s only, never by measure conditions
};

struct Named {
  std::string name;
  Ty ty;
};

struct Registry {
  std::string name, key;  // key: the shipment field rows are looked up by
  bool effective = false, ownership = false;
  std::vector<std::pair<std::string, std::string>> cols;  // name, type ("%", "USD/t", "t", "text", "date")
};

struct Scope {
  std::string name;
  std::set<std::string> minerals;  // the minerals it lists (none when it lists a group of minerals)
};

struct Quota {
  std::string name, per;  // per: "" or the shipment field the balance is kept by
};

class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed), seed_(seed) {}
  std::string run();

 private:
  // ---- choices and literals ----
  size_t pick(size_t n) { return n <= 1 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  bool chance(int percent) { return int(pick(100)) < percent; }
  int64_t between(int64_t lo, int64_t hi) { return lo + int64_t(pick(size_t(hi - lo + 1))); }
  template <class T>
  const T& any(const std::vector<T>& v) { return v[pick(v.size())]; }
  std::string fresh(const char* stem) { return fmt::format("{}_{}", stem, ++names_); }
  static std::string fixed(int64_t v, int places) {  // v in units of 10^-places
    if (places == 0) return std::to_string(v);
    int64_t p = 1;
    for (int i = 0; i < places; ++i) p *= 10;
    return fmt::format("{}.{:0{}}", v / p, v % p, places);
  }
  std::string date(int32_t d) const { return rt::dateFormat(d); }
  int32_t dateIn() { return from_ + int32_t(pick(size_t(until_ - from_ + 1))); }
  std::string lit(const std::string& unit) {
    if (unit == "%") return chance(70) ? fmt::format("{} %", between(0, 40)) : fmt::format("{} %", fixed(between(0, 4000), 2));
    if (unit == "USD/t") return chance(85) ? fmt::format("{} USD/t", fixed(between(200, 30000) * (chance(30) ? 100 + between(0, 99) : 100), 2))
                                           : fmt::format("{} USD/kg", fixed(between(200, 30000), 3));
    if (unit == "t") return chance(80) ? fmt::format("{} t", fixed(between(1, 300000), 2)) : fmt::format("{} kg", between(100, 500000));
    if (unit == "USD") return fmt::format("{} USD", fixed(between(0, 20000000), 2));
    if (unit == "mAh/g") return fmt::format("{} mAh/g", between(250, 400));
    return "0";
  }
  static const char* unitOf(Ty t) { return t == Ty::Money ? "USD" : t == Ty::Pct ? "%" : t == Ty::Price ? "USD/t" : "t"; }
  std::string country() { return countries_[pick(countries_.size())]; }
  std::string countryList() {
    std::set<std::string> s;
    for (size_t n = 1 + pick(3); s.size() < n;) s.insert(country());
    std::string out;
    for (const auto& c : s) out += (out.empty() ? "" : ", ") + c;
    return "[" + out + "]";
  }
  std::string group() { return !countryGroups_.empty() && chance(70) ? any(countryGroups_) : countryList(); }
  // A group that surely has a member at some date, for `origin in G` in a measure condition: a
  // difference or intersection may be empty, and then the measure could never apply (L0401).
  std::string nonEmptyGroup() { return !nonEmptyGroups_.empty() && chance(70) ? any(nonEmptyGroups_) : countryList(); }
  std::string mineral() { return kProducts[any(products_)].mineral; }
  std::string hsPrefix(const char* hs) {
    std::string s = hs;
    switch (pick(3)) {
      case 0: return s.substr(0, 4);
      case 1: return s.substr(0, 7);
      default: return s;
    }
  }

  // ---- names of a type visible here: top-level lets, schedules and a measure's own lets ----
  std::optional<std::string> named(Ty t) {
    std::vector<std::string> v;
    for (const auto& n : values_) if (n.ty == t) v.push_back(n.name);
    for (const auto& n : locals_) if (n.ty == t) v.push_back(n.name);
    if (v.empty()) return std::nullopt;
    return any(v);
  }
  std::optional<std::string> attrOf(const std::string& unit, bool measureCond) {
    std::vector<std::string> v;
    for (const auto& a : attrs_)
      if (a.kind == Attr::Dec && a.unit == unit && !(measureCond && a.forScopes)) v.push_back(a.name);
    if (v.empty()) return std::nullopt;
    return any(v);
  }
  const Attr* attrKind(Attr::Kind k, bool measureCond = false) {
    std::vector<const Attr*> v;
    for (const auto& a : attrs_) if (a.kind == k && !(measureCond && a.forScopes)) v.push_back(&a);
    return v.empty() ? nullptr : v[pick(v.size())];
  }
  // A registry column of a type, looked up by the registry's key field: `rates_3[producer].rate`.
  std::optional<std::string> column(const std::string& type) {
    std::vector<std::string> v;
    for (const auto& r : regs_)
      for (const auto& [c, t] : r.cols)
        if (t == type) v.push_back(fmt::format("{}[{}].{}", r.name, r.key, c));
    if (v.empty()) return std::nullopt;
    std::string s = any(v);
    if ((type == "%" || type == "USD/t" || type == "t") && chance(40)) s = fmt::format("({} otherwise {})", s, lit(type));
    return s;
  }
  const Registry* keyed() {
    std::vector<const Registry*> v;
    for (const auto& r : regs_) if (!r.ownership) v.push_back(&r);
    return v.empty() ? nullptr : v[pick(v.size())];
  }
  bool hasOwnership() const {
    for (const auto& r : regs_) if (r.ownership) return true;
    return false;
  }

  // ---- expressions, fully parenthesised; depth bounds the nesting ----
  std::string pct(int d);
  std::string price(int d);
  std::string money(int d);
  std::string mass(int d);
  std::string num(int d);
  std::string expr(Ty t, int d) {
    switch (t) {
      case Ty::Money: return money(d);
      case Ty::Pct: return pct(d);
      case Ty::Price: return price(d);
      default: return mass(d);
    }
  }
  // `(a op b)` for an arithmetic operator. Both operands may fail: the executors must then report
  // the left one's error (the interpreter once evaluated them in GCC's argument order, right to left;
  // tests/lang/good/operand_order.lode).
  std::string bin(Ty a, const char* op, Ty b, int d) {
    bool safeLeft = chance(15), safeRight = !safeLeft && chance(15);
    return fmt::format("({} {} {})", safeLeft ? safe(a) : expr(a, d), op, safeRight ? safe(b) : expr(b, d));
  }
  // An expression of a type that never fails (quantity is never zero, so neither is unit_price).
  std::string safe(Ty t) {
    switch (t) {
      case Ty::Money: return chance(50) ? lit("USD") : fmt::format("({} of value)", lit("%"));
      case Ty::Pct: return lit("%");
      case Ty::Price: return chance(50) ? lit("USD/t") : "unit_price";
      default: return chance(50) ? lit("t") : "quantity";
    }
  }
  std::string seriesRead();
  std::string cond(int d);
  std::string measureCond(std::set<std::string>& used, int atoms);
  std::string condAtom(std::set<std::string>& used);
  std::string bands(const std::string& subject, const std::string& unit, Ty value, bool progressive);

  // ---- declarations ----
  void header();
  void attributes();
  void groups();
  void values();
  void registries();
  void scopes();
  void originRules();
  void measures();
  std::string measure(const std::string& onScopes, const std::string& when, const char* indent);
  std::string statements(const char* indent, int n);
  void examples();
  std::string shipment(int i, int32_t d);

  std::mt19937_64 rng_;
  uint64_t seed_;
  int names_ = 0, articles_ = 0;
  std::string out_;
  std::string deferred_;  // declarations made while writing another (band bounds), added at the end
  int32_t from_ = 0, until_ = 0;
  bool hasExpiry_ = false, stdGroups_ = false, stdHs_ = false;
  std::vector<size_t> products_;  // indices into kProducts
  std::vector<std::string> countries_, countryGroups_, nonEmptyGroups_, mineralGroups_, classified_;
  std::vector<Attr> attrs_;
  std::vector<Named> values_, locals_;
  std::vector<std::string> series_;
  std::vector<Registry> regs_;
  std::vector<Scope> scopes_;
  std::vector<Quota> quotas_;
  std::vector<int32_t> dates_;  // dates the agreement names: observations and rows cluster around them
  std::vector<std::string> producers_{"P1", "P2", "P3"}, exporters_{"E1", "E2"}, facilities_{"F1", "F2", "F3", "F4"};
};

std::string Gen::pct(int d) {
  switch (d <= 0 ? pick(4) : pick(10)) {
    case 1: if (auto n = named(Ty::Pct)) return *n; break;
    case 2: if (auto a = attrOf("%", false)) return chance(50) ? *a : fmt::format("({} otherwise {})", *a, lit("%")); break;
    case 3: if (auto c = column("%")) return *c; break;
    case 4: return fmt::format("{}({}, {})", chance(50) ? "max" : "min", pct(d - 1), pct(d - 1));
    case 5: return fmt::format("(if {} then {} else {})", cond(d - 1), pct(d - 1), pct(d - 1));
    case 6: if (hasOwnership()) return fmt::format("owned_share({}, {})", chance(70) ? "facility" : "producer", group()); break;
    case 7: return bin(Ty::Pct, chance(70) ? "+" : "-", Ty::Pct, d - 1);
    case 8: return fmt::format("({} otherwise {})", pct(d - 1), lit("%"));
    case 9: if (auto a = attrOf("%", false)) return bands(*a, "%", Ty::Pct, false); break;
    default: break;
  }
  return lit("%");
}

std::string Gen::seriesRead() {
  const std::string& s = any(series_);
  std::string r;
  switch (pick(6)) {
    case 0: r = fmt::format("avg({}, {} days)", s, between(1, 120)); break;
    case 1: r = fmt::format("avg({}, {} days, {} days)", s, between(1, 60), between(1, 60)); break;
    case 2: r = fmt::format("{}({}, {} {})", chance(50) ? "min" : "max", s, between(1, 3), chance(50) ? "months" : "days"); break;
    case 3: r = fmt::format("month_avg({})", s); break;
    default: r = fmt::format("latest({})", s); break;
  }
  return chance(60) ? fmt::format("({} otherwise {})", r, lit("USD/t")) : r;
}

std::string Gen::price(int d) {
  switch (d <= 0 ? pick(6) : pick(14)) {
    case 1: return "unit_price";
    case 2: if (auto n = named(Ty::Price)) return *n; break;
    case 3: if (!series_.empty()) return seriesRead(); break;
    case 4: if (auto c = column("USD/t")) return *c; break;
    case 5: if (auto a = attrOf("USD/t", false)) return chance(50) ? *a : fmt::format("({} otherwise unit_price)", *a); break;
    case 6: return fmt::format("{}({}, {})", chance(50) ? "max" : "min", price(d - 1), price(d - 1));
    case 7: return chance(50) ? bin(Ty::Pct, "of", Ty::Price, d - 1) : bin(Ty::Price, "*", Ty::Pct, d - 1);
    case 8: return bin(Ty::Price, chance(50) ? "+" : "-", Ty::Price, d - 1);
    case 9: return fmt::format("(if {} then {} else {})", cond(d - 1), price(d - 1), price(d - 1));
    case 10: return chance(50) ? "(value / quantity)" : fmt::format("({} / quantity)", money(d - 1));  // never E0002
    case 11: return bands(fmt::format("max({} - unit_price, 0 USD/t)", price(d - 1)), "USD/t", Ty::Pct, true);
    case 12: return fmt::format("({} otherwise {})", price(d - 1), lit("USD/t"));
    case 13: return "abs" + bin(Ty::Price, "-", Ty::Price, d - 1);
    default: break;
  }
  return lit("USD/t");
}

std::string Gen::money(int d) {
  switch (d <= 0 ? pick(4) : pick(15)) {
    case 0: return fmt::format("({} of value)", pct(d - 1));
    case 1: return chance(50) ? fmt::format("({} * quantity)", price(d - 1)) : fmt::format("(quantity * {})", price(d - 1));
    case 2: if (auto n = named(Ty::Money)) return *n; break;
    case 4: return fmt::format("{}({}, {})", chance(50) ? "max" : "min", money(d - 1), money(d - 1));
    case 5: return bin(Ty::Money, "+", Ty::Money, d - 1);
    case 6: return fmt::format("(if {} then {} else {})", cond(d - 1), money(d - 1), money(d - 1));
    case 7: return fmt::format("({} otherwise {})", money(d - 1), money(0));
    case 8: {
      static const char* const kModes[] = {"half_up", "half_even", "down"};
      return fmt::format("round({}, {} USD, {})", money(d - 1), chance(50) ? "0.01" : "1", kModes[pick(3)]);
    }
    case 9: return fmt::format("(content_value({}) otherwise value)", mineral());
    case 10: return fmt::format("({} * {} USD)", num(d - 1), fixed(between(1, 500), 1));
    case 11: return bin(Ty::Pct, "of", Ty::Money, d - 1);
    case 12: return bin(Ty::Price, "*", Ty::Mass, d - 1);
    case 13: return bin(Ty::Money, "-", Ty::Money, d - 1);
    case 14: return bands("quantity", "t", Ty::Money, false);
    default: break;
  }
  return lit("USD");
}

std::string Gen::mass(int d) {
  switch (d <= 0 ? pick(4) : pick(8)) {
    case 0: return "quantity";
    case 2: {
      std::string c = fmt::format("contained({})", kProducts[any(products_)].element);
      return chance(60) ? fmt::format("({} otherwise 0 t)", c) : c;
    }
    case 3: return fmt::format("({} of quantity)", pct(d - 1));
    case 4: if (auto c = column("t")) return *c; break;
    case 5: if (auto a = attrOf("t", false)) return fmt::format("({} otherwise quantity)", *a); break;
    case 6: return fmt::format("{}({}, {})", chance(50) ? "max" : "min", mass(d - 1), mass(d - 1));
    case 7: return bin(Ty::Mass, "+", Ty::Mass, d - 1);
    default: break;
  }
  return lit("t");
}

std::string Gen::num(int) {
  if (const Attr* a = attrKind(Attr::Date); a && chance(60))
    return chance(50) ? fmt::format("days_between({}, date)", a->name) : fmt::format("(days_between({}, date) otherwise 0)", a->name);
  if (chance(50)) return fmt::format("days_between({}, date)", date(from_));
  return std::to_string(between(0, 100));
}

// Any condition: for statements, origin rules and `if`; not read by the coverage analysis.
std::string Gen::cond(int d) {
  switch (d <= 0 ? pick(8) : pick(20)) {
    case 0: {
      switch (pick(4)) {
        case 0: return fmt::format("origin in {}", group());
        case 1: return fmt::format("origin not in {}", group());
        case 2: return fmt::format("origin == {}", country());
        default: return "declared_origin != origin";
      }
    }
    case 1: return fmt::format("unit_price {} {}", kCmp[pick(4)], d <= 0 ? lit("USD/t") : price(d - 1));
    case 2: return fmt::format("quantity {} {}", kCmp[pick(4)], d <= 0 ? lit("t") : mass(d - 1));
    case 3: return fmt::format("value {} {}", kCmp[pick(4)], d <= 0 ? lit("USD") : money(d - 1));
    case 4: if (const Attr* a = attrKind(Attr::Bool)) return chance(50) ? a->name : "not " + a->name; break;
    case 5: if (!attrs_.empty()) return fmt::format("present({})", any(attrs_).name); break;
    case 6: if (const Registry* r = keyed()) return fmt::format("has({}, {})", r->name, r->key); break;
    case 7: return fmt::format("date {} {}", kCmp[pick(4)], date(dateIn()));
    case 8: return fmt::format("(({}) otherwise {})", cond(d - 1), chance(50) ? "false" : "true");
    case 9: return fmt::format("not ({})", cond(d - 1));
    case 10: return fmt::format("({} {} {})", cond(d - 1), chance(50) ? "and" : "or", cond(d - 1));
    case 11: if (const Attr* a = attrKind(Attr::Enum)) return fmt::format("{} {} {}", a->name, chance(70) ? "==" : "!=", any(a->values)); break;
    case 12:
      if (const Attr* a = attrKind(Attr::Text))
        return fmt::format("{} {} \"{}\"", a->name, chance(70) ? "==" : "!=", chance(40) ? "L-1" : chance(50) ? "none" : "");
      break;
    case 13: return fmt::format("hs in [{}]", hsPrefix(kProducts[any(products_)].hs));
    case 14: {
      if (!mineralGroups_.empty() && chance(50)) return fmt::format("mineral in {}", any(mineralGroups_));
      return fmt::format("mineral in [{}, {}]", mineral(), mineral() == "tin" ? "nickel" : "tin");
    }
    case 15: return fmt::format("flow == export and ((destination in {}) otherwise false)", group());
    case 16: return fmt::format("{} {} {}", num(d - 1), kCmp[pick(4)], between(0, 60));
    case 17: return fmt::format("{} {} {}", pct(d - 1), kCmp[pick(4)], pct(d - 1));
    case 18: if (auto a = attrOf("mAh/g", false)) return fmt::format("({} >= {}) otherwise false", *a, lit("mAh/g")); break;
    case 19: {
      for (const auto& r : regs_)
        for (const auto& [c, t] : r.cols)
          if (t == "date") return fmt::format("((date < {}[{}].{} + {} days) otherwise false)", r.name, r.key, c, between(0, 200));
          else if (t == "text") return fmt::format("({}[{}].{} == \"note-1\") otherwise false", r.name, r.key, c);
      break;
    }
    default: break;
  }
  return fmt::format("quantity {} {}", kCmp[pick(4)], lit("t"));
}

// One atom of a measure condition the analyser can read, on a variable no other atom of the same
// condition reads (`used`), or one it cannot read at all (has, present, otherwise).
std::string Gen::condAtom(std::set<std::string>& used) {
  for (int tries = 0; tries < 8; ++tries) {
    switch (pick(9)) {
      case 0:
        if (used.insert("origin").second) {
          switch (pick(4)) {
            case 0: return fmt::format("origin in {}", nonEmptyGroup());
            case 1: return fmt::format("origin not in {}", group());
            case 2: return fmt::format("origin {} {}", chance(50) ? "==" : "!=", country());
            default: return fmt::format("origin in {}", countryList());
          }
        }
        break;
      case 1:
        if (used.insert("unit_price").second) return fmt::format("unit_price {} {}", kCmp[pick(4)], chance(70) ? lit("USD/t") : price(1));
        break;
      case 2:
        if (used.insert("quantity").second) return fmt::format("quantity {} {}", kCmp[pick(4)], lit("t"));
        break;
      case 3:
        if (used.insert("value").second) return fmt::format("value {} {}", kCmp[pick(4)], lit("USD"));
        break;
      case 4:
        if (used.insert("date").second) {
          int32_t d = from_ + 1 + int32_t(pick(size_t(until_ - from_)));
          return chance(50) ? fmt::format("date >= {}", date(d)) : fmt::format("date < {}", date(d));
        }
        break;
      case 5: {
        const Attr* a = attrKind(Attr::Bool, true);
        if (a && used.insert(a->name).second) return chance(50) ? a->name : "not " + a->name;
        a = attrKind(Attr::Enum, true);
        if (a && used.insert(a->name).second) return fmt::format("{} {} {}", a->name, chance(70) ? "==" : "!=", any(a->values));
        break;
      }
      case 6: {
        auto a = attrOf("%", true);
        if (a && used.insert(*a).second) return fmt::format("{} {} {}", *a, kCmp[pick(4)], lit("%"));
        break;
      }
      case 7: if (const Registry* r = keyed()) return fmt::format("{}has({}, {})", chance(50) ? "not " : "", r->name, r->key); break;
      default: return fmt::format("(({}) otherwise {})", cond(1), chance(60) ? "false" : "true");
    }
  }
  return fmt::format("(({}) otherwise false)", cond(1));
}

std::string Gen::measureCond(std::set<std::string>& used, int atoms) {
  std::string s;
  for (int i = 0; i < atoms; ++i) s += (s.empty() ? "" : " and ") + condAtom(used);
  return s;
}

// `bands x { ... }` or `progressive x { ... }` over bounds of `unit`, with values of type `value`. The
// bands cover everything from 0 upward without overlap (L0402): each band starts where the one before
// ended, `from` after an excluded bound, `above` after an included one. A bound is sometimes the name
// of a constant let.
std::string Gen::bands(const std::string& subject, const std::string& unit, Ty value, bool progressive) {
  std::set<int64_t> bs;
  int64_t scale = unit == "%" ? 100 : unit == "t" ? 500 : 3000;
  for (size_t n = 1 + pick(3); bs.size() < n;) bs.insert(between(1, 20 * scale) * 1000 + (chance(30) ? between(1, 999) : 0));
  std::vector<std::string> bound;
  for (int64_t b : bs) {
    std::string text = fmt::format("{} {}", fixed(b, 3), unit);
    if (chance(25)) {  // a band bound may be a constant let
      std::string name = fresh("bound");
      deferred_ += fmt::format("let {}: {} = {}\n", name, unit, text);
      text = name;
    }
    bound.push_back(text);
  }
  auto val = [&] { return value == Ty::Pct ? lit("%") : expr(value, 0); };
  std::string s = fmt::format("({} {} {{\n", progressive ? "progressive" : "bands", subject);
  bool lastIncluded = false;  // whether the previous band included its upper bound
  if (progressive || chance(30)) s += fmt::format("    from 0 {} to {}: {}\n", unit, bound[0], val());
  else s += fmt::format("    below {}: {}\n", bound[0], val());
  for (size_t i = 1; i < bound.size(); ++i) {
    bool through = chance(40);
    s += fmt::format("    {} {} {} {}: {}\n", lastIncluded ? "above" : "from", bound[i - 1], through ? "through" : "to", bound[i], val());
    lastIncluded = through;
  }
  s += fmt::format("    {} {}: {}\n  }})", lastIncluded ? "above" : "from", bound.back(), val());
  return s;
}

void Gen::header() {
  static const char* const kModes[] = {"half_even", "half_up", "down"};
  static const char* const kQuanta[] = {"0.01", "0.01", "1", "0.05", "0.001"};
  from_ = rt::daysFromCivil(int(between(2024, 2028)), int(between(1, 12)), int(between(1, 28)));
  hasExpiry_ = chance(50);
  until_ = hasExpiry_ ? from_ + int32_t(between(400, 3650)) : from_ + 5 * 365;
  dates_ = {from_};
  if (hasExpiry_) dates_.push_back(until_);
  out_ += fmt::format("# Generated by tests/agreement_gen.cpp from seed {}.\n", seed_);
  out_ += fmt::format("agreement \"Random agreement {}\" {{\n  version \"gen-{}\"\n  currency USD\n", seed_, seed_);
  out_ += fmt::format("  rounding {} to {} USD {}\n", kModes[pick(3)], kQuanta[pick(5)], chance(70) ? "per line" : "on total");
  out_ += fmt::format("  in force from {}{}\n}}\n\n", date(from_), hasExpiry_ ? " until " + date(until_) : "");
  stdGroups_ = chance(50);
  stdHs_ = chance(40);
  out_ += "use std.countries\nuse std.minerals\n";
  if (stdGroups_) out_ += "use std.groups\n";
  if (stdHs_) out_ += "use std.hs\n";
  out_ += "\n";

  // Products and countries this agreement is about.
  std::set<size_t> ps;
  for (size_t n = 2 + pick(4); ps.size() < n;) ps.insert(pick(std::size(kProducts)));
  products_.assign(ps.begin(), ps.end());
  std::set<std::string> cs;
  for (size_t n = 5 + pick(6); cs.size() < n;) cs.insert(kCountries[pick(std::size(kCountries))]);
  countries_.assign(cs.begin(), cs.end());
  if (stdGroups_) countryGroups_ = nonEmptyGroups_ = {"FEOC", "G7", "USMCA", "EU27"};
  // Classification for products whose shipments leave mineral or node out (never twice for one prefix).
  for (size_t p : products_) {
    std::string prefix = std::string(kProducts[p].hs).substr(0, chance(50) ? 4 : 7);
    if (!chance(50) || std::find(classified_.begin(), classified_.end(), prefix) != classified_.end()) continue;
    classified_.push_back(prefix);
    out_ += fmt::format("classify {} as {}{}\n", prefix, kProducts[p].mineral, chance(70) ? std::string(" at ") + kProducts[p].node : "");
  }
}

void Gen::attributes() {
  static const char* const kDecUnits[] = {"%", "USD/t", "t", "mAh/g"};
  size_t n = pick(6);
  for (size_t i = 0; i < n; ++i) {
    Attr a;
    a.kind = Attr::Kind(pick(6));
    a.name = fresh("attr");
    a.forScopes = chance(40);
    std::string type, def;
    switch (a.kind) {
      case Attr::Dec:
        a.unit = kDecUnits[pick(4)];
        type = a.unit;
        if (chance(25)) def = lit(a.unit);
        break;
      case Attr::Bool:
        type = "bool";
        if (chance(50)) def = chance(50) ? "false" : "true";
        break;
      case Attr::Text:
        type = "text";
        if (chance(30)) def = chance(50) ? "\"none\"" : "\"L-1\"";  // read as its text (text_compare.lode)
        break;
      case Attr::Enum:
        a.values = {fresh("v"), fresh("v"), fresh("v")};
        if (chance(50)) {
          type = fmt::format("one of {{ {}, {}, {} }}", a.values[0], a.values[1], a.values[2]);
        } else {
          type = fresh("kind");
          out_ += fmt::format("enumeration {} {{ {}, {}, {} }}\n", type, a.values[0], a.values[1], a.values[2]);
        }
        if (chance(20)) def = a.values[pick(3)];
        break;
      case Attr::Country:
        type = "country";
        if (chance(20)) def = country();
        break;
      case Attr::Date:
        type = "date";
        if (chance(20)) def = date(dateIn());
        break;
    }
    out_ += fmt::format("attribute {}: {}{}\n", a.name, type, def.empty() ? "" : " default " + def);
    attrs_.push_back(std::move(a));
  }
  out_ += "\n";
}

void Gen::groups() {
  auto members = [&](size_t n) {
    std::set<std::string> s;
    while (s.size() < n) s.insert(country());
    std::string out;
    for (const auto& c : s) {
      out += (out.empty() ? "" : ", ") + c;
      if (chance(20)) {  // accession or withdrawal
        int32_t d = dateIn();
        dates_.push_back(d);
        out += fmt::format(" {} {}", chance(60) ? "from" : "until", date(d));
      }
    }
    return out;
  };
  if (chance(40)) {
    out_ += fmt::format("parties {{\n  bloc: {}\n  processing_partner: {}\n}}\n", members(1 + pick(3)), members(1 + pick(2)));
    countryGroups_.insert(countryGroups_.end(), {"bloc", "processing_partner", "parties"});
    nonEmptyGroups_.insert(nonEmptyGroups_.end(), {"bloc", "processing_partner", "parties"});
  }
  for (size_t i = 0, n = pick(3); i < n; ++i) {
    std::string name = fresh("grp");
    std::string e = fmt::format("[{}]", members(1 + pick(4)));
    bool nonEmpty = true;
    if (!countryGroups_.empty() && chance(50)) {
      static const char* const kOps[] = {"+", "-", "&"};
      size_t op = pick(3);
      nonEmpty = op == 0;
      e = fmt::format("({} {} {})", e, kOps[op], any(countryGroups_));
    }
    out_ += fmt::format("group {} = {}\n", name, e);
    countryGroups_.push_back(name);
    if (nonEmpty) nonEmptyGroups_.push_back(name);
  }
  if (chance(40)) {  // a group of minerals, for `mineral in G` and scope lists
    std::string name = fresh("minerals");
    std::string list;
    for (size_t p : products_) {
      if (!chance(60)) continue;
      list += (list.empty() ? "" : ", ") + std::string(kProducts[p].mineral);
      if (chance(30)) {
        int32_t d = dateIn();
        dates_.push_back(d);
        list += " from " + date(d);
      }
    }
    if (!list.empty()) {
      out_ += fmt::format("group {}: mineral = [{}]\n", name, list);
      mineralGroups_.push_back(name);
    }
  }
  out_ += "\n";
}

void Gen::registries() {
  static const char* const kKeys[] = {"producer", "exporter", "facility", "destination", "mineral", "export_country", "origin"};
  static const std::pair<const char*, const char*> kCols[] = {
      {"rate", "%"}, {"surcharge", "%"}, {"min_price", "USD/t"}, {"floor_price", "USD/t"},
      {"tonnes", "t"}, {"note", "text"}, {"declared", "date"}};
  for (size_t i = 0, n = pick(3); i < n; ++i) {
    Registry r;
    r.name = fresh("reg");
    if (!hasOwnership() && chance(25)) {  // at most one ownership registry per agreement (L0102)
      r.ownership = true;
      out_ += fmt::format("registry {}: ownership\n", r.name);
    } else {
      r.key = kKeys[pick(std::size(kKeys))];
      r.effective = chance(50);
      std::set<size_t> cs;
      for (size_t k = 1 + pick(3); cs.size() < k;) cs.insert(pick(std::size(kCols)));
      std::string cols;
      for (size_t c : cs) {
        r.cols.emplace_back(kCols[c].first, kCols[c].second);
        cols += fmt::format("{}{}: {}", cols.empty() ? "" : ", ", kCols[c].first, kCols[c].second);
      }
      out_ += fmt::format("registry {} by {}{} {{ {} }}\n", r.name, r.key, r.effective ? " effective" : "", cols);
    }
    regs_.push_back(std::move(r));
  }
  for (size_t i = 0, n = pick(3); i < n; ++i) {
    std::string name = fresh("px");
    out_ += fmt::format("series {} = \"RND.{}\" in USD/t\n", name, name);
    series_.push_back(name);
  }
  out_ += "\n";
}

// Top-level lets, references and schedules, each reading only those declared before it (no cycles).
void Gen::values() {
  for (size_t i = 0, n = pick(3); i < n; ++i) {  // schedules
    Ty t = chance(50) ? Ty::Pct : Ty::Price;
    bool linear = chance(40);
    std::string name = fresh(linear ? "rate" : "phase");
    std::set<int32_t> ds;
    for (size_t k = 1 + pick(4); ds.size() < k;) ds.insert(dateIn() - int32_t(pick(200)));
    std::string pts;
    if (chance(60)) pts = "before: " + lit(unitOf(t));
    for (int32_t d : ds) {
      dates_.push_back(d);
      pts += fmt::format("{}{}: {}", pts.empty() ? "" : ",\n  ", date(d), lit(unitOf(t)));
    }
    out_ += fmt::format("schedule {}: {} = {} {{\n  {}\n}}\n", name, unitOf(t), linear ? "linear" : "step", pts);
    values_.push_back({name, t});
  }
  for (size_t i = 0, n = pick(5); i < n; ++i) {  // lets and references
    Ty t = Ty(pick(4));
    bool ref = t == Ty::Price && chance(50);
    std::string name = fresh(ref ? "ref" : "val");
    std::string e = expr(t, 2);
    bool typed = ref || chance(60);  // a reference states its unit (L0202)
    out_ += fmt::format("{} {}{} = {}\n", ref ? "reference" : "let", name, typed ? std::string(": ") + unitOf(t) : "", e);
    values_.push_back({name, t});
  }
  if (chance(40)) {  // a rate by bands of the unit price
    std::string name = fresh("band_rate");
    out_ += fmt::format("let {}: % = {}\n", name, bands("unit_price", "USD/t", Ty::Pct, false));
    values_.push_back({name, Ty::Pct});
  }
  out_ += "\n";
}

void Gen::scopes() {
  for (size_t i = 0, n = 1 + pick(4); i < n; ++i) {
    Scope s;
    s.name = fresh("scope");
    std::string minerals;
    std::set<std::string> nodes;
    std::vector<std::string> prefixes;
    bool byGroup = false;
    if (!mineralGroups_.empty() && chance(15)) {
      minerals = any(mineralGroups_);
      byGroup = true;
    } else if (chance(10)) {
      minerals = "battery_minerals";
      byGroup = true;
    }
    for (size_t k = 0, nk = 1 + pick(2); k < nk; ++k) {
      const Product& p = kProducts[any(products_)];
      if (!byGroup && s.minerals.insert(p.mineral).second) minerals += (minerals.empty() ? "" : " | ") + std::string(p.mineral);
      nodes.insert(p.node);
      prefixes.push_back(hsPrefix(p.hs));
    }
    std::string text = fmt::format("scope {} = {}", s.name, minerals);
    if (chance(60)) {
      std::string at;
      for (const auto& nd : nodes) at += (at.empty() ? "" : " | ") + nd;
      text += " at " + at;
    }
    std::vector<std::string> where;
    if (chance(40)) {
      std::string list;
      for (const auto& pr : prefixes) list += (list.empty() ? "" : ", ") + pr;
      where.push_back(fmt::format("hs in [{}]", list));
    }
    for (const auto& a : attrs_) {
      if (!a.forScopes || !chance(50)) continue;
      if (a.kind == Attr::Bool) where.push_back(chance(50) ? a.name : "not " + a.name);
      else if (a.kind == Attr::Dec) where.push_back(fmt::format("{} {} {}", a.name, kCmp[pick(4)], lit(a.unit)));
      else if (a.kind == Attr::Enum) where.push_back(fmt::format("{} == {}", a.name, any(a.values)));
    }
    for (size_t w = 0; w < where.size(); ++w) text += (w ? " and " : " where ") + where[w];
    out_ += text + "\n";
    scopes_.push_back(std::move(s));
  }
  out_ += "\n";
}

void Gen::originRules() {
  for (size_t i = 0, n = pick(3); i < n; ++i) {
    std::string name = fresh("rule");
    std::string on = chance(60) ? " on " + any(scopes_).name : "";
    const Attr* c = attrKind(Attr::Country);
    std::string when, becomes;
    if (c && chance(60)) {
      when = chance(50) ? fmt::format("present({})", c->name) : fmt::format("(({} != origin) otherwise false)", c->name);
      becomes = c->name;
    } else {
      when = cond(1);
      becomes = country();
    }
    out_ += fmt::format("origin rule {} \"R{}\"{} when {} becomes {}\n", name, i + 1, on, when, becomes);
  }
  out_ += "\n";
}

std::string Gen::statements(const char* ind, int n) {
  static const char* const kOutcomes[] = {"admit", "refuse", "detain", "licence", "prohibit"};
  std::string s;
  size_t nlocals = locals_.size();
  for (int i = 0; i < n; ++i) {
    std::string when = chance(35) ? " when " + cond(1) : "";
    switch (pick(10)) {
      case 0: case 1: {
        Ty t = Ty(pick(4));
        std::string name = fresh("loc");
        s += fmt::format("{}let {} = {}\n", ind, name, expr(t, 2));
        locals_.push_back({name, t});
        break;
      }
      case 2: s += fmt::format("{}{} \"{}\"{}\n", ind, kOutcomes[pick(5)], fresh("reason"), when); break;
      case 3: s += fmt::format("{}flag \"{}\"{}\n", ind, fresh("flag"), when); break;
      default:
        s += fmt::format("{}duty{}{}: {}\n", ind, chance(70) ? fmt::format(" \"{}\"", fresh("line")) : "", when, money(3));
        break;
    }
  }
  locals_.resize(nlocals);
  return s;
}

std::string Gen::measure(const std::string& on, const std::string& when, const char* ind) {
  std::string head = fmt::format("{}measure {} \"Art. {}\"", ind, fresh("m"), ++articles_);
  if (!on.empty()) head += " on " + on;
  if (!when.empty()) head += " when " + when;
  std::string inner = std::string(ind) + "  ";
  return head + " {\n" + statements(inner.c_str(), 1 + int(pick(4))) + ind + "}\n";
}

void Gen::measures() {
  auto scopeList = [&] {
    if (chance(10)) return std::string();
    std::set<std::string> s;
    for (size_t n = 1 + pick(2); s.size() < std::min(n, scopes_.size());) s.insert(any(scopes_).name);
    std::string out;
    for (const auto& x : s) out += (out.empty() ? "" : ", ") + x;
    return out;
  };
  auto when = [&] {
    std::set<std::string> used;
    return chance(30) ? std::string() : measureCond(used, 1 + int(pick(2)));
  };
  int total = 5 + int(pick(16));
  out_ += "# Stacking rule: top-level measures and quotas stack; a `first` block contributes its first\n"
          "# applying measure only; an `exclusive` block's measures are disjoint.\n";
  while (total > 0) {
    int kind = int(pick(10));
    if (kind == 0 && total >= 2) {  // first block
      int k = 2 + int(pick(std::min(3, total - 1)));
      out_ += fmt::format("first \"{}\" {{\n", fresh("precedence"));
      for (int i = 0; i < k; ++i) out_ += measure(scopeList(), i + 1 == k && chance(50) ? "" : when(), "  ");
      out_ += "}\n";
      total -= k;
    } else if (kind == 1 && total >= 2) {  // exclusive block, disjoint in a way the checker proves
      int k = 2 + int(pick(std::min(2, total - 1)));
      std::set<std::string> minerals;
      for (size_t p : products_) minerals.insert(kProducts[p].mineral);
      int how = int(pick(3));
      if (how == 0 && int(minerals.size()) < k) how = 1;
      out_ += fmt::format("exclusive \"{}\" {{\n", fresh("one_rate"));
      if (how == 0) {  // scopes of disjoint minerals
        std::vector<std::string> ms(minerals.begin(), minerals.end());
        std::shuffle(ms.begin(), ms.end(), rng_);
        std::string blockScopes;
        for (int i = 0; i < k; ++i) {
          Scope s{fresh("scope"), {ms[size_t(i)]}};
          blockScopes += fmt::format("scope {} = {}\n", s.name, ms[size_t(i)]);
          out_ += measure(s.name, when(), "  ");
          scopes_.push_back(std::move(s));
        }
        out_ += "}\n" + blockScopes;
        total -= k;
        continue;
      }
      std::string on = scopeList();
      std::vector<std::string> parts;
      if (how == 1) {  // unit_price below, between and above constant thresholds
        int64_t a = between(500, 15000), b = a + between(1, 15000);
        parts = {fmt::format("unit_price < {} USD/t", a), fmt::format("unit_price >= {} USD/t", b)};
        if (k == 3) parts.insert(parts.begin() + 1, fmt::format("unit_price >= {} USD/t and unit_price < {} USD/t", a, b));
        else parts[1] = fmt::format("unit_price >= {} USD/t", a);
      } else {  // an origin list and its complement
        std::string list = countryList();
        parts = {"origin in " + list, "origin not in " + list};
        k = 2;
      }
      for (const auto& part : parts) {
        std::set<std::string> used{how == 1 ? "unit_price" : "origin"};
        std::string extra = chance(40) ? " and " + measureCond(used, 1) : "";
        out_ += measure(on, part + extra, "  ");
      }
      out_ += "}\n";
      total -= k;
    } else if (kind == 2 && quotas_.size() < 2) {  // tariff-rate quota
      static const char* const kPeriods[] = {"calendar_year", "quarter", "month", "whole_term"};
      static const char* const kPer[] = {"origin", "producer", "export_country"};
      Quota q{fresh("quota"), chance(40) ? kPer[pick(3)] : ""};
      std::string on = scopeList(), w = when();
      out_ += fmt::format("quota {} \"Art. {}\"{}{} {{\n", q.name, ++articles_, on.empty() ? "" : " on " + on, w.empty() ? "" : " when " + w);
      out_ += fmt::format("  order: \"09.{}\"\n  period: {}\n  volume: {}\n", between(1000, 9999), kPeriods[pick(4)], mass(1));
      if (!q.per.empty()) out_ += fmt::format("  per: {}\n", q.per);
      if (chance(70)) out_ += "  in quota {\n" + statements("    ", 1 + int(pick(2))) + "  }\n";
      out_ += "  over quota {\n" + statements("    ", 1 + int(pick(3))) + "  }\n}\n";
      quotas_.push_back(std::move(q));
      total -= 1;
    } else {
      out_ += measure(scopeList(), when(), "");
      total -= 1;
    }
  }
  out_ += "\n";
}

std::string Gen::shipment(int i, int32_t d) {
  const Product& p = kProducts[any(products_)];
  // Unit prices from 50 to 40,000 USD/t, so price thresholds, bands and series fall on both sides.
  int64_t qty = chance(80) ? between(1, 2000) * 100 : between(1, 99);  // hundredths of a tonne
  int64_t unit = between(50, 40000);
  std::vector<std::string> f = {fmt::format("id: \"S{}\"", i), fmt::format("date: {}", date(d)), fmt::format("hs: {}", p.hs),
                                fmt::format("origin: {}", country()), fmt::format("quantity: {} t", fixed(qty, 2)),
                                fmt::format("value: {} USD", fixed(qty * unit, 2))};
  bool classified = stdHs_ || !classified_.empty();
  if (!classified || chance(80)) f.push_back(fmt::format("mineral: {}", p.mineral));
  if (!classified || chance(70)) f.push_back(fmt::format("node: {}", p.node));
  if (chance(80)) f.push_back(fmt::format("producer: \"{}\"", any(producers_)));
  if (chance(80)) f.push_back(fmt::format("exporter: \"{}\"", any(exporters_)));
  if (chance(80)) f.push_back(fmt::format("facility: \"{}\"", any(facilities_)));
  if (chance(50)) f.push_back(fmt::format("export_country: {}", country()));
  if (chance(15)) f.push_back(fmt::format("flow: export, destination: {}", country()));
  if (chance(50)) f.push_back(fmt::format("contained.{}: {} t", p.element, fixed(qty * between(1, 99) / 100, 2)));
  if (chance(25)) f.push_back(fmt::format("content_value.{}: {} USD", p.mineral, fixed(qty * unit / 2, 2)));
  for (const auto& a : attrs_) {
    if (!chance(75)) continue;
    std::string v;
    switch (a.kind) {
      case Attr::Dec: v = lit(a.unit); break;
      case Attr::Bool: v = chance(50) ? "true" : "false"; break;
      case Attr::Text: v = chance(50) ? "\"L-1\"" : chance(50) ? "\"L-2\"" : "\"\""; break;
      case Attr::Enum: v = any(a.values); break;
      case Attr::Country: v = country(); break;
      case Attr::Date: v = date(d - int32_t(pick(90))); break;
    }
    f.push_back(a.name + ": " + v);
  }
  std::string s = "  shipment {\n";
  for (size_t k = 0; k < f.size(); ++k) s += (k % 4 == 0 ? "    " : "") + f[k] + (k + 1 < f.size() ? (k % 4 == 3 ? ",\n" : ", ") : "\n");
  return s + "  }\n";
}

// Example shipments (the generator's seed values), and in the first one all market observations,
// registry rows and quota balances. Incomplete on purpose: see agreement_gen.h.
void Gen::examples() {
  int n = 3 + int(pick(4));
  std::vector<int32_t> shipDates;
  for (int i = 0; i < n; ++i) shipDates.push_back(chance(20) ? any(dates_) : dateIn());
  dates_.insert(dates_.end(), shipDates.begin(), shipDates.end());
  for (int i = 0; i < n; ++i) {
    out_ += fmt::format("example \"random shipment {}\" {{\n", i + 1);
    out_ += shipment(i + 1, shipDates[size_t(i)]);
    if (i == 0 && !series_.empty()) {
      out_ += "  market {\n";
      for (const auto& s : series_) {
        std::set<int32_t> ds;
        for (size_t k = 0, nk = 4 + pick(20); k < nk; ++k) ds.insert(any(dates_) - int32_t(pick(100)));
        for (int32_t d : ds)
          out_ += fmt::format("    {} {}: {}\n", chance(80) ? s : "\"RND." + s + "\"", date(d), lit("USD/t"));
      }
      out_ += "  }\n";
    }
    if (i == 0) {
      for (const auto& r : regs_) {
        out_ += fmt::format("  registry {} {{\n", r.name);
        if (r.ownership) {
          // Direct holdings, a chain through a holding company, and sometimes a loop (E0006). An owner
          // has one country (a row giving it another is refused): the holding companies' are drawn once.
          const std::string h1 = country(), h2 = country(), h3 = country();
          for (const auto& f : facilities_) {
            if (!chance(70)) continue;
            int64_t left = 100;
            for (size_t k = 0, nk = 1 + pick(3); k < nk && left > 0; ++k) {
              int64_t share = between(1, left);
              left -= share;
              bool held = chance(30);
              std::string owner = held ? "H1" : fmt::format("{}-{}", f, k);
              out_ += fmt::format("    {{ entity: \"{}\", owner: \"{}\", share: {} %, country: {} }}\n", f, owner, share,
                                  held ? h1 : country());
            }
          }
          out_ += fmt::format("    {{ entity: \"H1\", owner: \"H2\", share: {} %, country: {} }}\n", between(1, 100), h2);
          bool loop = chance(15);
          out_ += fmt::format("    {{ entity: \"H2\", owner: \"{}\", share: {} %, country: {} }}\n", loop ? "H1" : "H3",
                              between(1, 100), loop ? h1 : h3);
        } else {
          std::vector<std::string> keys;
          if (r.key == "producer") keys = producers_;
          else if (r.key == "exporter") keys = exporters_;
          else if (r.key == "facility") keys = facilities_;
          else if (r.key == "mineral") for (size_t p : products_) keys.push_back(kProducts[p].mineral);
          else keys = countries_;
          bool text = r.key == "producer" || r.key == "exporter" || r.key == "facility";
          if (text && chance(40)) keys.push_back("*");
          std::set<std::string> done;
          for (const auto& k : keys) {
            if (k != "*" && !chance(60)) continue;  // keys without a row: E0005 or the all-others row
            if (!done.insert(k).second) continue;
            int rows = r.effective ? 1 + int(pick(2)) : 1;
            int32_t start = from_ - int32_t(pick(100));
            for (int row = 0; row < rows; ++row) {
              std::string cells = fmt::format("{}: {}", r.key, text ? "\"" + k + "\"" : k);
              for (const auto& [c, t] : r.cols) {
                std::string v = t == "text" ? "\"note-" + std::to_string(pick(2)) + "\"" : t == "date" ? date(dateIn()) : lit(t);
                cells += fmt::format(", {}: {}", c, v);
              }
              if (r.effective) {
                int32_t end = start + int32_t(between(30, 900));
                cells += fmt::format(", from: {}", date(start));
                if (row + 1 < rows || chance(60)) cells += fmt::format(", until: {}", date(end));
                dates_.push_back(start);
                start = end + 1 + int32_t(pick(2) * between(1, 60));  // rows follow each other, sometimes with a gap
              }
              out_ += fmt::format("    {{ {} }}\n", cells);
            }
          }
        }
        out_ += "  }\n";
      }
    }
    for (const auto& q : quotas_) {
      if (!chance(60)) continue;
      std::string key;
      if (q.per == "producer") key = fmt::format(", key: \"{}\"", any(producers_));
      else if (!q.per.empty()) key = fmt::format(", key: \"{}\"", country());
      out_ += fmt::format("  quota {} {{ used: {} t{} }}\n", q.name, fixed(between(0, 300000), 2), key);
    }
    out_ += "}\n\n";
  }
}

std::string Gen::run() {
  header();
  attributes();
  groups();
  registries();
  values();
  scopes();
  originRules();
  measures();
  out_ += deferred_ + "\n";
  examples();
  return out_;
}

}  // namespace

std::string randomAgreement(uint64_t seed) { return Gen(seed).run(); }

}  // namespace lode::testgen
