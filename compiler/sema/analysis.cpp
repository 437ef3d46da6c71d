// Coverage analysis: piecewise bands without gaps or overlaps, measures that can never apply, and
// measures of an `exclusive` block that could both apply. Conditions are read as conjunctions of
// atoms the analysis understands (origin and country tests, comparisons of a field with a constant,
// yes/no attributes, enumeration tests, HS prefixes); anything else is "unknown" and never leads to
// an error, only to a warning where disjointness cannot be shown.
#include <algorithm>
#include <fmt/format.h>
#include <map>

#include "compiler/sema/checker_impl.h"
#include "runtime/decimal.h"

namespace lode::sema {

using ir::Kind;
using ir::Op;

// ---- bands ----------------------------------------------------------------------------------
void Checker::checkBandCoverage(const ir::BandTable& t, const rt::Unit& u, const ast::Expr& e) {
  struct Iv { bool loInf, loIncl, hiInf, hiIncl; int64_t lo, hi; size_t idx; };
  std::vector<Iv> v;
  for (size_t i = 0; i < t.bands.size(); ++i) {
    const auto& b = t.bands[i];
    v.push_back({b.loInf, b.loIncl, b.hiInf, b.hiIncl, b.lo, b.hi, i});
    bool empty = !b.loInf && !b.hiInf && (b.lo > b.hi || (b.lo == b.hi && !(b.loIncl && b.hiIncl)));
    if (empty) d_.error(code::kBandCoverage, e.bands[i].range, "this band is empty (its lower bound is not below its upper bound)");
  }
  auto fmtv = [&](int64_t raw) { return fmt::format("{} {}", rt::decFormat(raw), rt::unitText(u)); };
  std::sort(v.begin(), v.end(), [](const Iv& a, const Iv& b) {
    if (a.loInf != b.loInf) return a.loInf;
    if (a.lo != b.lo) return a.lo < b.lo;
    return a.loIncl && !b.loIncl;
  });
  // Prices and quantities are not negative: coverage is required from 0 upward.
  if (!v.empty() && !v[0].loInf && (v[0].lo > 0 || (v[0].lo == 0 && !v[0].loIncl)))
    d_.error(code::kBandCoverage, e.bands[v[0].idx].range, fmt::format("no band covers values below {}: the rule leaves that region unspecified", fmtv(v[0].lo)));
  for (size_t i = 1; i < v.size(); ++i) {
    const Iv& a = v[i - 1];
    const Iv& b = v[i];
    if (a.hiInf) { d_.error(code::kBandCoverage, e.bands[b.idx].range, "this band overlaps an earlier band that runs to infinity"); continue; }
    // b starts exactly where a ends when the bounds meet and exactly one of them includes the point.
    bool overlap = b.loInf || b.lo < a.hi || (b.lo == a.hi && a.hiIncl && b.loIncl);
    bool gap = !b.loInf && (b.lo > a.hi || (b.lo == a.hi && !a.hiIncl && !b.loIncl));
    if (overlap) d_.error(code::kBandCoverage, e.bands[b.idx].range, fmt::format("this band overlaps the band ending at {}", fmtv(a.hi)));
    else if (gap && b.lo == a.hi)  // both bounds exclude the point where they meet
      d_.error(code::kBandCoverage, e.bands[b.idx].range, fmt::format("no band covers {} itself: the band before ends below it and this one starts above it (make one of the bounds include it)", fmtv(b.lo)));
    else if (gap) d_.error(code::kBandCoverage, e.bands[b.idx].range, fmt::format("gap between {} and {}: no band covers it (the negotiated text leaves it unspecified?)", fmtv(a.hi), fmtv(b.lo)));
  }
  if (!v.empty() && !v.back().hiInf)
    d_.error(code::kBandCoverage, e.bands[v.back().idx].range, fmt::format("no band covers values above {}", fmtv(v.back().hi)));
}

// ---- conditions -----------------------------------------------------------------------------
namespace {

struct Interval {
  bool loInf = true, loIncl = true, hiInf = true, hiIncl = true;
  int64_t lo = 0, hi = 0;
  bool empty() const { return !loInf && !hiInf && (lo > hi || (lo == hi && !(loIncl && hiIncl))); }
  void atLeast(int64_t v, bool incl) { if (loInf || v > lo || (v == lo && !incl)) { loInf = false; lo = v; loIncl = incl; } }
  void atMost(int64_t v, bool incl) { if (hiInf || v < hi || (v == hi && !incl)) { hiInf = false; hi = v; hiIncl = incl; } }
};

struct Conj {
  bool unsat = false;
  bool unknown = false;
  std::map<int, std::set<int64_t>> allowed;   // var -> allowed values (countries, enums, bools)
  std::map<int, std::set<int64_t>> excluded;  // var -> excluded values
  std::map<int, Interval> ranges;             // var -> numeric/date interval
  std::map<int, std::vector<std::string>> hs;  // HS-typed var -> the prefixes it is under (any of)
};

constexpr int kVarOrigin = -1;
constexpr int kVarUnitPrice = -2;

class Analyser {
 public:
  explicit Analyser(const ir::Program& p) : p_(p) {}

  // Members of a group at any time, and members that are members at all times.
  std::set<int64_t> everIn(int g) const { std::set<int64_t> s; for (auto& m : p_.groups[g].members) s.insert(m.country); return s; }
  std::set<int64_t> alwaysIn(int g) const {
    std::set<int64_t> s;
    for (auto& m : p_.groups[g].members) if (m.from == INT32_MIN && m.until == INT32_MAX) s.insert(m.country);
    return s;
  }

  int var(uint32_t node) const {
    const ir::Node& n = p_.nodes[node];
    if (n.op == Op::Origin) return kVarOrigin;
    if (n.op == Op::UnitPrice && ir::unitFactorOf(n).one()) return kVarUnitPrice;  // in its own unit only
    if (n.op == Op::Field) return int(n.a);
    return INT32_MIN;
  }

  void restrict(Conj& c, int v, const std::set<int64_t>& allow) {
    auto it = c.allowed.find(v);
    if (it == c.allowed.end()) { c.allowed[v] = allow; return; }
    std::set<int64_t> out;
    for (auto x : it->second) if (allow.count(x)) out.insert(x);
    it->second = out;
  }

  void add(Conj& c, uint32_t node, bool neg) {
    const ir::Node& n = p_.nodes[node];
    const uint32_t* k = p_.kidsOf(n);
    switch (n.op) {
      case Op::And: if (!neg) { add(c, k[0], false); add(c, k[1], false); return; } break;
      case Op::Or: if (neg) { add(c, k[0], true); add(c, k[1], true); return; } break;
      case Op::Not: add(c, k[0], !neg); return;
      case Op::Const: if (n.kind == Kind::Bool) { if ((n.imm != 0) == neg) c.unsat = true; return; } break;
      case Op::Field:
        if (n.kind == Kind::Bool) { restrict(c, int(n.a), {neg ? 0 : 1}); return; }
        break;
      case Op::InGroup: {
        int v = var(k[0]);
        if (v == INT32_MIN) break;
        if (!neg) restrict(c, v, everIn(int(n.a)));
        else for (auto x : alwaysIn(int(n.a))) c.excluded[v].insert(x);
        return;
      }
      case Op::InList: {
        int v = var(k[0]);
        std::set<int64_t> vals;
        bool allConst = v != INT32_MIN;
        for (uint32_t i = 1; i < n.kidsCount && allConst; ++i) {
          const ir::Node& el = p_.nodes[k[i]];
          if (el.op != Op::Const) allConst = false; else vals.insert(valueOf(el));
        }
        if (!allConst || n.b == uint8_t(Kind::Num)) break;
        if (!neg) restrict(c, v, vals); else for (auto x : vals) c.excluded[v].insert(x);
        return;
      }
      case Op::HsIn: {
        // Each HS-typed field is its own variable: `hs in [2504]` says nothing of `precursor_hs`.
        int v = var(k[0]);
        if (neg || v == INT32_MIN) break;
        underHs(c, v, p_.strLists[n.a]);
        return;
      }
      case Op::Lt: case Op::Le: case Op::Gt: case Op::Ge: case Op::Eq: case Op::Ne: {
        int v = var(k[0]);
        const ir::Node& rhs = p_.nodes[k[1]];
        Op op = n.op;
        if (v == INT32_MIN || rhs.op != Op::Const) {
          // constant on the left: mirror the comparison
          v = var(k[1]);
          const ir::Node& lhs = p_.nodes[k[0]];
          if (v == INT32_MIN || lhs.op != Op::Const || !comparable(lhs, op)) break;
          op = op == Op::Lt ? Op::Gt : op == Op::Le ? Op::Ge : op == Op::Gt ? Op::Lt : op == Op::Ge ? Op::Le : op;
          addCmp(c, v, op, valueOf(lhs), neg, n.b);
          return;
        }
        if (!comparable(rhs, op)) break;
        addCmp(c, v, op, valueOf(rhs), neg, n.b);
        return;
      }
      default: break;
    }
    c.unknown = true;
  }

  // Text and HS constants are compared as text (their number is 0): each distinct text gets its own
  // value here, so == and != (and `in` lists) are exact; an ordering of texts is left unknown.
  static bool isText(const ir::Node& k) { return k.kind == Kind::Text || k.kind == Kind::Hs; }
  static bool comparable(const ir::Node& k, Op op) { return !isText(k) || op == Op::Eq || op == Op::Ne; }
  int64_t valueOf(const ir::Node& k) {
    if (!isText(k)) return k.imm;
    return textIds_.try_emplace(k.str, int64_t(textIds_.size())).first->second;
  }

  void addCmp(Conj& c, int v, Op op, int64_t k, bool neg, uint8_t kind) {
    if (neg) op = op == Op::Lt ? Op::Ge : op == Op::Le ? Op::Gt : op == Op::Gt ? Op::Le : op == Op::Ge ? Op::Lt : op == Op::Eq ? Op::Ne : Op::Eq;
    bool ordered = kind == uint8_t(Kind::Num) || kind == uint8_t(Kind::Date);
    if (op == Op::Eq) { if (ordered) { c.ranges[v].atLeast(k, true); c.ranges[v].atMost(k, true); } else restrict(c, v, {k}); return; }
    if (op == Op::Ne) { if (!ordered) c.excluded[v].insert(k); return; }
    Interval& iv = c.ranges[v];
    if (op == Op::Lt) iv.atMost(k, false);
    if (op == Op::Le) iv.atMost(k, true);
    if (op == Op::Gt) iv.atLeast(k, false);
    if (op == Op::Ge) iv.atLeast(k, true);
  }

  bool satisfiable(const Conj& c) const {
    if (c.unsat) return false;
    for (const auto& [v, iv] : c.ranges) if (iv.empty()) return false;
    for (const auto& [v, allow] : c.allowed) {
      auto ex = c.excluded.find(v);
      size_t left = 0;
      for (auto x : allow) if (ex == c.excluded.end() || !ex->second.count(x)) ++left;
      if (left == 0) return false;
    }
    return true;
  }

  static Conj merge(const Conj& a, const Conj& b, Analyser& an) {
    Conj c = a;
    c.unsat = a.unsat || b.unsat;
    c.unknown = a.unknown || b.unknown;
    for (const auto& [v, s] : b.allowed) an.restrict(c, v, s);
    for (const auto& [v, s] : b.excluded) c.excluded[v].insert(s.begin(), s.end());
    for (const auto& [v, iv] : b.ranges) {
      Interval& t = c.ranges[v];
      if (!iv.loInf) t.atLeast(iv.lo, iv.loIncl);
      if (!iv.hiInf) t.atMost(iv.hi, iv.hiIncl);
    }
    for (const auto& [v, prefixes] : b.hs) underHs(c, v, prefixes);
    return c;
  }

  // Var v is under one of `prefixes` as well as under what c already says: the codes under both
  // lists are those under the longer of each pair of nested prefixes.
  static void underHs(Conj& c, int v, const std::vector<std::string>& prefixes) {
    auto [it, first] = c.hs.try_emplace(v, prefixes);
    if (first) return;
    std::vector<std::string> out;
    for (const auto& x : it->second)
      for (const auto& y : prefixes) {
        if (x.rfind(y, 0) == 0) out.push_back(x);
        else if (y.rfind(x, 0) == 0) out.push_back(y);
      }
    it->second = std::move(out);
    if (it->second.empty()) c.unsat = true;
  }

  // One conjunction per scope of the measure (a measure applies when any of its scopes matches).
  std::vector<Conj> measureCases(const ir::Measure& m, const ir::Program& p) {
    Conj base;
    if (p.inForce != INT32_MIN) base.ranges[ir::kFieldDate].atLeast(p.inForce, true);
    if (p.expiry != INT32_MAX) base.ranges[ir::kFieldDate].atMost(p.expiry, true);
    if (m.when >= 0) add(base, uint32_t(m.when), false);
    if (m.scopes.empty()) return {base};
    std::vector<Conj> out;
    for (int si : m.scopes) {
      const ir::Scope& s = p.scopes[si];
      Conj c = base;
      // Typed groups contribute every value they ever hold; a dated membership makes the answer
      // approximate, so overlaps found through it are only warnings.
      auto values = [&](const std::vector<int>& plain, const std::vector<int>& groups) {
        std::set<int64_t> v(plain.begin(), plain.end());
        for (int g : groups)
          for (const auto& mb : p.groups[g].members) {
            v.insert(mb.country);
            if (mb.from != INT32_MIN || mb.until != INT32_MAX) c.unknown = true;
          }
        return v;
      };
      if (!s.minerals.empty() || !s.mineralGroups.empty()) restrict(c, ir::kFieldMineral, values(s.minerals, s.mineralGroups));
      if (!s.nodes.empty() || !s.nodeGroups.empty()) restrict(c, ir::kFieldNode, values(s.nodes, s.nodeGroups));
      if (s.where >= 0) add(c, uint32_t(s.where), false);
      out.push_back(c);
    }
    return out;
  }

 private:
  const ir::Program& p_;
  std::map<std::string, int64_t> textIds_;  // valueOf: the value standing for each text constant
};

}  // namespace

void Checker::analyseMeasures() {
  if (d_.hasErrors()) return;  // the IR may be incomplete
  Analyser an(*p_);
  std::vector<std::vector<Conj>> cases;
  for (const auto& m : p_->measures) cases.push_back(an.measureCases(m, *p_));
  for (size_t i = 0; i < p_->measures.size(); ++i) {
    bool any = false;
    for (const auto& c : cases[i]) if (an.satisfiable(c)) any = true;
    if (!any)
      d_.error(code::kNeverApplies, p_->positions[p_->measures[i].pos],
               fmt::format("measure '{}' can never apply: its scope and condition contradict each other or the agreement's dates", p_->measures[i].name));
  }
  for (const auto& b : p_->blocks) {
    if (b.kind != "exclusive") continue;
    for (size_t x = 0; x < b.measures.size(); ++x)
      for (size_t y = x + 1; y < b.measures.size(); ++y) {
        int i = b.measures[x], j = b.measures[y];
        bool overlap = false, unknown = false;
        for (const auto& ci : cases[i])
          for (const auto& cj : cases[j]) {
            Conj both = Analyser::merge(ci, cj, an);
            if (an.satisfiable(both)) { overlap = true; unknown = unknown || both.unknown; }
          }
        if (!overlap) continue;
        const auto& mi = p_->measures[i];
        const auto& mj = p_->measures[j];
        if (!unknown)
          d_.error(code::kExclusiveOverlap, p_->positions[mj.pos],
                   fmt::format("measures '{}' and '{}' of an exclusive block can both apply to the same shipment; make their conditions disjoint or use a `first` block", mi.name, mj.name));
        else
          d_.warning(code::kCannotProve, p_->positions[mj.pos],
                     fmt::format("cannot show that '{}' and '{}' never both apply (their conditions use terms the checker cannot compare)", mi.name, mj.name));
      }
  }
}

}  // namespace lode::sema
