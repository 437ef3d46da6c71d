// Expressions: name resolution, type and unit checking, lowering to IR nodes.
#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "compiler/diag/limits.h"
#include "compiler/sema/checker_impl.h"
#include "compiler/sema/registry_key.h"
#include "runtime/date.h"

namespace lode::sema {

using ir::Kind;
using ir::Op;

int Checker::emit(ir::Node n, std::initializer_list<int> kids) {
  return emitN(std::move(n), std::vector<int>(kids));
}

int Checker::emitN(ir::Node n, const std::vector<int>& kids) {
  n.kidsBegin = uint32_t(p_->kids.size());
  n.kidsCount = uint32_t(kids.size());
  for (int k : kids) p_->kids.push_back(uint32_t(k));
  p_->nodes.push_back(std::move(n));
  return int(p_->nodes.size() - 1);
}

static ir::Node mk(Op op, Kind k, uint32_t pos) {
  ir::Node n;
  n.op = op;
  n.kind = k;
  n.pos = pos;
  return n;
}

std::optional<int64_t> Checker::constValue(int node) const {
  const ir::Node* c = constNode(node);
  return c ? std::optional<int64_t>(c->imm) : std::nullopt;
}

const ir::Node* Checker::constNode(int node) const {
  if (node < 0) return nullptr;
  const ir::Node& n = p_->nodes[node];
  if (n.op == Op::Const) return &n;
  // A `let` whose value is a constant is one too (band bounds, defaults: `let floor = 25000 USD/t`).
  if (n.op == Op::Global && n.a < defState_.size() && defState_[n.a] == 2) {
    const ir::Node& d = p_->nodes[p_->defs[n.a].node];
    if (d.op == Op::Const && d.kind == n.kind) return &d;
  }
  return nullptr;
}

bool Checker::sameType(const ir::Type& a, const ir::Type& b) const {
  if (a.kind != b.kind) return false;
  if (a.kind == Kind::Num) return a.unit.sameDimension(b.unit);
  if (a.kind == Kind::Enum) return a.enumId == b.enumId;
  return true;
}

std::string Checker::typeName(const ir::Type& t) const {
  switch (t.kind) {
    case Kind::Num: {
      if (t.unit.dimensionless() && t.unit.scale.num == 1 && t.unit.scale.den == 1) return "a plain number";
      return fmt::format("{}", rt::unitText(t.unit));
    }
    case Kind::Bool: return "a yes/no condition";
    case Kind::Date: return "a date";
    case Kind::Country: return "a country";
    case Kind::Text: return "text";
    case Kind::Hs: return "an HS code";
    case Kind::Enum: {
      const auto& e = p_->enums[t.enumId];
      return e.first.empty() ? "a choice" : fmt::format("a {}", e.first);
    }
    default: return "nothing";
  }
}

TExpr Checker::convert(const TExpr& v, const rt::Unit& to, SourceRange r) {
  if (!v.ok() || v.type.kind != Kind::Num) return v;
  if (!v.type.unit.sameDimension(to)) {
    d_.error(code::kUnitMismatch, r, fmt::format("expected {}, got {}", rt::unitText(to), typeName(v.type)));
    return bad(r);
  }
  auto f = rt::unitFactorChecked(v.type.unit, to);
  if (!f) { d_.error(code::kUnitMismatch, r, "unit conversion factor out of range"); return bad(r); }
  ir::Type t = numType(to);
  if (f->num == 1 && f->den == 1) return value(v.node, t, v.range);  // same number, the unit as the reader expects it
  if (auto c = constValue(v.node)) {
    // Never rounded: a rounded constant would silently change what a clause charges or admits.
    auto out = rt::convertExact(*c, *f);
    if (!out) {
      bool range = !rt::convertCeil(*c, *f);  // fails only out of range
      d_.error(code::kUnitMismatch, r,
               range ? std::string("constant out of range after unit conversion")
                     : fmt::format("{} {} is not exact in {}, whose values have 6 decimal places; it is never rounded",
                                   rt::decFormat(*c), rt::unitText(v.type.unit), rt::unitText(to)));
      return bad(r);
    }
    ir::Node n = mk(Op::Const, Kind::Num, p_->nodes[v.node].pos);
    n.imm = *out;
    return value(emit(n), t, r);
  }
  if (auto pushed = scaledInto(v.node, *f)) return value(*pushed, t, r);
  return value(scaleNode(v.node, *f, pos(r)), t, r);
}

int Checker::scaleNode(int node, rt::Rational f, uint32_t at) {
  ir::Node n = mk(Op::Scale, Kind::Num, at);
  n.imm = f.num;
  n.imm2 = f.den;
  return emit(n, {node});
}

namespace {
// Multiplies the factor m/k that a product or quotient carries (imm, imm2; 0 is 1) by f, in lowest
// terms. False when a term would pass rt::kMaxFactor (the runtime's bound).
bool fuseFactor(ir::Node& n, rt::Rational f) {
  auto [m, k] = ir::unitFactorOf(n);
  int64_t g1 = std::gcd(m, f.den), g2 = std::gcd(k, f.num);
  int64_t fn = f.num / g2, fd = f.den / g1;
  m /= g1;
  k /= g2;
  if (__builtin_mul_overflow(m, fn, &m) || __builtin_mul_overflow(k, fd, &k)) return false;
  if (m > rt::kMaxFactor || k > rt::kMaxFactor) return false;
  n.imm = m;
  n.imm2 = k;
  return true;
}
}  // namespace

// A product or quotient brought to another unit: the factor rides on the node as m/k (Mul, Div,
// UnitPrice: imm, imm2), applied to the exact product or quotient before its one rounding, in 128
// bits where 64 do not hold it (rt::decMulScaled, rt::decDivScaled): `90 % of value` (%·USD to USD,
// x 1/100), `0.15 USD/kg * quantity` (x 1000), `USD/lb * t` (x 10^11/45359237). Scaling an operand
// first could overflow where the result fits, and rounding the product first rounds twice.
// nullopt: not such a node, or a factor past rt::kMaxFactor (scale the value after).
std::optional<int> Checker::scaledOperand(int node, rt::Rational f) {
  const ir::Node n = p_->nodes[size_t(node)];  // a copy: emitting below may move the node table
  if (n.op != Op::Mul && n.op != Op::Div && n.op != Op::UnitPrice) return std::nullopt;
  ir::Node fused = n;
  if (!fuseFactor(fused, f)) return std::nullopt;
  if (n.op == Op::UnitPrice) return emit(fused);
  const uint32_t* k = p_->kidsOf(n);
  return emit(fused, {int(k[0]), int(k[1])});
}

// Whether a value holds a product or quotient that convert could bring to a unit before its rounding.
bool Checker::roundedInside(int node) const {
  const ir::Node& n = p_->nodes[size_t(node)];
  const uint32_t* k = p_->kidsOf(n);
  switch (n.op) {
    case Op::Mul: case Op::Div: case Op::UnitPrice: return true;
    case Op::Scale: return n.imm2 > 1;
    case Op::If: return roundedInside(int(k[1])) || roundedInside(int(k[2]));
    case Op::Neg: case Op::Abs: case Op::Min: case Op::Max: case Op::Otherwise:
      for (uint32_t j = 0; j < n.kidsCount; ++j)
        if (roundedInside(int(k[j]))) return true;
      return false;
    default: return false;
  }
}

// v * f rounded once, where v was rounded (convert's path for a factor that is not whole): into
// the product or quotient (scaledOperand); through a conversion (one factor); through the nodes
// whose value is one of their operands' (if, otherwise, min, max; neg and abs; f > 0 keeps min and
// max) down to the products and quotients, each then rounded once in the unit it is used in.
// A sum is converted whole: its terms converted apart would each be rounded, where the sum of
// exact terms is rounded once. nullopt: scale v as a whole (a value from data, a sum, a let, a
// series, a schedule).
std::optional<int> Checker::scaledInto(int node, rt::Rational f) {
  if (auto fused = scaledOperand(node, f)) return fused;
  if (f.den == 1) return std::nullopt;  // a whole factor is exact on any value
  const ir::Node n = p_->nodes[size_t(node)];
  std::vector<int> kids(p_->kidsOf(n), p_->kidsOf(n) + n.kidsCount);
  switch (n.op) {
    case Op::Scale: {
      ir::Node both = n;
      both.imm2 = 1;  // imm / 1 times f, then over the old divisor
      if (!fuseFactor(both, f) || __builtin_mul_overflow(both.imm2, n.imm2, &both.imm2)) return std::nullopt;
      int64_t g = std::gcd(both.imm, both.imm2);
      both.imm /= g;
      both.imm2 /= g;
      return both.imm == 1 && both.imm2 == 1 ? kids[0] : emit(both, {kids[0]});
    }
    case Op::If: case Op::Neg: case Op::Abs: case Op::Min: case Op::Max: case Op::Otherwise:
      if (!roundedInside(node)) return std::nullopt;
      for (size_t j = n.op == Op::If ? 1 : 0; j < kids.size(); ++j) {
        // A constant the unit holds is folded; another is converted when chosen, as the whole was.
        auto c = constValue(kids[j]);
        if (auto exact = c ? rt::convertExact(*c, f) : std::nullopt) {
          ir::Node kn = mk(Op::Const, Kind::Num, p_->nodes[size_t(kids[j])].pos);
          kn.imm = *exact;
          kids[j] = emit(kn);
          continue;
        }
        auto inner = scaledInto(kids[j], f);
        kids[j] = inner ? *inner : scaleNode(kids[j], f, n.pos);
      }
      return emitN(n, kids);
    default: return std::nullopt;
  }
}

// Two numbers meeting in +, -, a comparison or min/max: same dimension, then the unit with the
// smaller scale wins so the conversion of the other is an exact integer factor (t -> kg: * 1000).
bool Checker::unify(TExpr& a, TExpr& b, SourceRange r, const char* what) {
  if (!a.ok() || !b.ok()) return false;
  if (a.type.kind != Kind::Num || b.type.kind != Kind::Num) return false;
  if (!a.type.unit.sameDimension(b.type.unit)) {
    d_.error(code::kUnitMismatch, r, fmt::format("cannot {} {} and {}", what, typeName(a.type), typeName(b.type)));
    return false;
  }
  auto f = rt::unitFactorChecked(a.type.unit, b.type.unit);  // a * f = b-units
  if (!f) return false;
  if (f->num == 1 && f->den == 1) return true;
  // A constant side adopts the other side's unit when that is exact (keeps fields unscaled).
  if (constValue(b.node) && !constValue(a.node)) { b = convert(b, a.type.unit, r); return b.ok(); }
  if (constValue(a.node) && !constValue(b.node)) { a = convert(a, b.type.unit, r); return a.ok(); }
  if (f->den == 1) a = convert(a, b.type.unit, r);
  else b = convert(b, a.type.unit, r);
  return a.ok() && b.ok();
}

// `x OP k` where the constant k is not exact in x's unit (quantity in t >= 1000 lb = 0.45359237 t):
// x is a whole number of its unit's raw steps, so x >= k and x > k both mean x >= C, and x <= k and
// x < k both mean x < C, for C the first raw value above k. Equality can never hold: an error.
// nullopt when this is not such a comparison (unify then brings both to one unit exactly).
std::optional<TExpr> Checker::compareInexactConstant(const TExpr& a, const TExpr& b, Op op, SourceRange r) {
  bool kOnRight = constValue(b.node) && !constValue(a.node);
  bool kOnLeft = constValue(a.node) && !constValue(b.node);
  if ((!kOnRight && !kOnLeft) || !a.type.unit.sameDimension(b.type.unit)) return std::nullopt;
  const TExpr& x = kOnRight ? a : b;
  const TExpr& k = kOnRight ? b : a;
  auto f = rt::unitFactorChecked(k.type.unit, x.type.unit);
  int64_t kv = *constValue(k.node);
  if (!f || rt::convertExact(kv, *f)) return std::nullopt;
  if (op == Op::Eq || op == Op::Ne) {
    d_.error(code::kUnitMismatch, r, fmt::format("{} {} is not exact in {}, whose values have 6 decimal places: no value can equal it",
                                                 rt::decFormat(kv), rt::unitText(k.type.unit), rt::unitText(x.type.unit)));
    return bad(r);
  }
  auto c = rt::convertCeil(kv, *f);
  if (!c) { d_.error(code::kUnitMismatch, r, "constant out of range after unit conversion"); return bad(r); }
  if (kOnLeft) op = op == Op::Lt ? Op::Gt : op == Op::Le ? Op::Ge : op == Op::Gt ? Op::Lt : Op::Le;  // x OP k
  ir::Node kn = mk(Op::Const, Kind::Num, p_->nodes[k.node].pos);
  kn.imm = *c;
  TExpr bound = value(emit(kn), numType(x.type.unit), k.range);
  ir::Node n = mk(op == Op::Gt || op == Op::Ge ? Op::Ge : Op::Lt, Kind::Bool, pos(r));
  n.b = uint8_t(Kind::Num);
  return value(emit(n, {x.node, bound.node}), simple(Kind::Bool), r);
}

// `a OP b`, neither a constant, whose units meet through a factor f that is neither whole nor 1/k
// (a in lb, b in t): converting either would round it, and a rounded value can compare equal to
// the other where the exact one does not. Compared exactly instead, a * f.num against b * f.den in
// 128 bits (the comparison's imm and imm2). nullopt: unify brings both to one unit exactly.
std::optional<TExpr> Checker::compareAcrossUnits(const TExpr& a, const TExpr& b, Op op, SourceRange r) {
  if (constValue(a.node) || constValue(b.node) || !a.type.unit.sameDimension(b.type.unit)) return std::nullopt;
  auto f = rt::unitFactorChecked(a.type.unit, b.type.unit);  // a * f is a in b's unit
  if (!f || f->num == 1 || f->den == 1) return std::nullopt;
  ir::Node n = mk(op, Kind::Bool, pos(r));
  n.b = uint8_t(Kind::Num);
  n.imm = f->num;
  n.imm2 = f->den;
  return value(emit(n, {a.node, b.node}), simple(Kind::Bool), r);
}

TExpr Checker::expectBool(const ast::Expr& e) {
  TExpr v = lowerValue(e);
  if (v.ok() && v.type.kind != Kind::Bool) {
    d_.error(code::kTypeMismatch, e.range, fmt::format("expected a yes/no condition, got {}", typeName(v.type)));
    return bad(e.range);
  }
  return v;
}

TExpr Checker::lowerValue(const ast::Expr& e, const ir::Type* expect) { return asValue(lower(e, expect), e); }

TExpr Checker::asValue(TExpr v, const ast::Expr& e) {
  if (!v.ok() || v.cat == TExpr::Value) return v;
  const char* what = v.cat == TExpr::Group ? "a group (use it after `in`)" : v.cat == TExpr::List ? "a list (use it after `in`)"
                   : v.cat == TExpr::Series ? "a market series (use avg, min, max or latest)" : v.cat == TExpr::Registry ? "a registry (index it: name[key].column)"
                   : v.cat == TExpr::Row ? "a registry row (name a column: .column)" : "a duration (use it as a window)";
  d_.error(code::kWrongKind, e.range, fmt::format("'{}' is {}, not a value", e.text.empty() ? "expression" : e.text, what));
  return bad(e.range);
}

TExpr Checker::lowerNumber(const ast::Expr& e) {
  auto p = rt::decParse(e.text);
  if (p.code != rt::ErrCode::Ok) {
    size_t dot = e.text.find('.');
    if (p.code == rt::ErrCode::OutOfRange)
      d_.error(code::kBadLiteral, e.range, fmt::format("'{}' is out of range: numbers lie between -9223372036854.775807 and 9223372036854.775807", e.text));
    else if (dot != std::string::npos && e.text.size() - dot - 1 > size_t(rt::kScale))
      d_.error(code::kBadLiteral, e.range, fmt::format("'{}' has more than 6 decimal places: numbers are exact to 6 places, nothing is rounded silently", e.text));
    else
      d_.error(code::kBadLiteral, e.range, fmt::format("'{}' cannot be represented exactly (at most 13 integer and 6 fractional digits)", e.text));
    return bad(e.range);
  }
  if (!e.unit.empty()) {
    static const std::pair<const char*, ir::WindowUnit> kDur[] = {{"day", ir::WindowUnit::Days}, {"days", ir::WindowUnit::Days},
        {"month", ir::WindowUnit::Months}, {"months", ir::WindowUnit::Months}, {"year", ir::WindowUnit::Years}, {"years", ir::WindowUnit::Years}};
    for (auto [w, u] : kDur) {
      if (e.unit == w) {
        if (p.raw % rt::kOne != 0 || p.raw < 0) { d_.error(code::kBadLiteral, e.range, "a duration is a whole non-negative number"); return bad(e.range); }
        TExpr x;
        x.cat = TExpr::Duration;
        x.amount = p.raw / rt::kOne;
        x.wunit = u;
        x.range = e.range;
        return x;
      }
    }
  }
  rt::Unit u = rt::unitNone();
  if (!e.unit.empty()) {
    auto pu = rt::unitParse(e.unit);
    if (!pu) { d_.error(code::kUnknownUnit, e.unitRange, fmt::format("unknown unit '{}'", e.unit)); return bad(e.range); }
    u = *pu;
  }
  ir::Node n = mk(Op::Const, Kind::Num, pos(e.range));
  n.imm = p.raw;
  return value(emit(n), numType(u), e.range);
}

TExpr Checker::fieldRef(int field, SourceRange r) {
  const rt::FieldSpec& f = p_->shipment.fields[field];
  ir::Type t;
  switch (f.kind) {
    case rt::FieldKind::Decimal: t = numType(f.unit); break;
    case rt::FieldKind::Bool: t = simple(Kind::Bool); break;
    case rt::FieldKind::Date: t = simple(Kind::Date); break;
    case rt::FieldKind::Country: t = simple(Kind::Country); break;
    case rt::FieldKind::Hs: t = simple(Kind::Hs); break;
    case rt::FieldKind::Enum: {
      t.kind = Kind::Enum;
      t.enumId = field == ir::kFieldMineral ? enumIndex("mineral") : field == ir::kFieldNode ? enumIndex("node")
               : field == ir::kFieldFlow ? flowEnum_ : -1;
      if (t.enumId < 0)
        for (size_t i = 0; i < attrField_.size(); ++i)
          if (attrField_[i] == field) t.enumId = resolveType(attrDecls_[i]->type)->enumId;
      break;
    }
    default: t = simple(Kind::Text);
  }
  ir::Node n = mk(Op::Field, t.kind, pos(r));
  n.a = uint32_t(field);
  return value(emit(n), t, r);
}

TExpr Checker::dynamicField(const std::string& name, ir::Type t, SourceRange r) {
  int f = p_->shipment.find(name);
  if (f < 0) {
    rt::FieldSpec spec;
    spec.name = name;
    spec.kind = rt::FieldKind::Decimal;
    spec.unit = t.unit;
    spec.sign = rt::Sign::NonNegative;  // contained.<element> masses and content_value.<mineral> amounts
    f = p_->shipment.add(spec);
    p_->fieldDefaults.push_back(0);
    p_->hasDefault.push_back(0);
    p_->fieldDefaultTexts.emplace_back();
  }
  return fieldRef(f, r);
}

// Names: measure locals, shipment fields, definitions, schedules, countries, enumeration values,
// groups, series and registries, in that order.
TExpr Checker::lowerName(const ast::Expr& e, const ir::Type* expect) {
  const std::string& n = e.text;
  for (auto it = locals_.rbegin(); it != locals_.rend(); ++it) {
    auto f = it->find(n);
    if (f != it->end()) {
      ir::Node node = mk(Op::Local, f->second.second.kind, pos(e.range));
      node.a = f->second.first;
      return value(emit(node), f->second.second, e.range);
    }
  }
  if (n == "origin") return value(emit(mk(Op::Origin, Kind::Country, pos(e.range))), simple(Kind::Country), e.range);
  if (n == "declared_origin") return fieldRef(ir::kFieldOrigin, e.range);
  if (n == "unit_price") {
    rt::Unit t = *rt::unitAtom("t");
    return value(emit(mk(Op::UnitPrice, Kind::Num, pos(e.range))), numType(rt::unitDiv(money_, t)), e.range);
  }
  if (n != "origin") {
    int f = p_->shipment.find(n);
    if (f >= 0 && f < ir::kStdFieldCount) return fieldRef(f, e.range);
  }
  Symbol* s = lookup(n);
  if (!s && expect && expect->kind == Kind::Enum && expect->enumId >= 0) {
    // A value of an anonymous `one of { ... }` type is named where that type is expected.
    const auto& vals = p_->enums[expect->enumId].second;
    for (size_t i = 0; i < vals.size(); ++i)
      if (vals[i] == n) {
        ir::Node node = mk(Op::Const, Kind::Enum, pos(e.range));
        node.imm = int64_t(i);
        return value(emit(node), *expect, e.range);
      }
  }
  if (!s) {
    d_.error(code::kUndefined, e.range, fmt::format("'{}' is not defined", n));
    return bad(e.range);
  }
  switch (s->kind) {
    case SymKind::Attribute: return fieldRef(attrField_[s->index], e.range);
    case SymKind::Def: return lowerGlobal(s->index, e.range);
    case SymKind::Schedule: {
      ir::Node node = mk(Op::Schedule, Kind::Num, pos(e.range));
      node.a = uint32_t(s->index);
      auto t = resolveType(scheduleDecls_[s->index]->type);
      if (!t) return bad(e.range);
      return value(emit(node), *t, e.range);
    }
    case SymKind::Country: {
      ir::Node node = mk(Op::Const, Kind::Country, pos(e.range));
      node.imm = rt::countryCode(n[0], n[1]);
      return value(emit(node), simple(Kind::Country), e.range);
    }
    case SymKind::EnumValue: {
      ir::Node node = mk(Op::Const, Kind::Enum, pos(e.range));
      int enumId = s->index, v = s->enumValue;
      // An anonymous `one of {...}` attribute may share a value name with a declared enumeration.
      if (expect && expect->kind == Kind::Enum && expect->enumId >= 0 && expect->enumId != enumId) {
        const auto& vals = p_->enums[expect->enumId].second;
        for (size_t i = 0; i < vals.size(); ++i) if (vals[i] == n) { enumId = expect->enumId; v = int(i); }
      }
      node.imm = v;
      ir::Type t;
      t.kind = Kind::Enum;
      t.enumId = enumId;
      return value(emit(node), t, e.range);
    }
    case SymKind::Group: { TExpr x; x.cat = TExpr::Group; x.index = s->index; x.range = e.range; return x; }
    case SymKind::Series: { TExpr x; x.cat = TExpr::Series; x.index = s->index; x.range = e.range; return x; }
    case SymKind::Registry: { TExpr x; x.cat = TExpr::Registry; x.index = s->index; x.range = e.range; return x; }
    case SymKind::Scope:
      d_.error(code::kWrongKind, e.range, fmt::format("'{}' is a scope; name it in a measure's `on` list", n));
      return bad(e.range);
    case SymKind::Enumeration:
      d_.error(code::kWrongKind, e.range, fmt::format("'{}' is an enumeration, not a value", n));
      return bad(e.range);
  }
  return bad(e.range);
}

TExpr Checker::lowerGlobal(int i, SourceRange r) {
  const ast::LetDecl* d = defDecls_[i];
  if (defState_[i] == 1) {
    d_.error(code::kCycle, r, fmt::format("'{}' depends on itself", d->name));
    return bad(r);
  }
  if (defState_[i] == 0 && defChain_ >= limits::kMaxNesting) {
    // Definitions in terms of definitions, more than the nesting limit deep: stop before the
    // checker's own recursion (and later the evaluation's) can get that deep. Once: the rest of a
    // long chain would hit the limit again every 256 links.
    if (!chainReported_)
      d_.error(code::kTooDeep, r, fmt::format("'{}' starts a chain of more than {} definitions each using the next (the nesting limit)",
                                              d->name, limits::kMaxNesting));
    chainReported_ = true;
    return bad(r);
  }
  if (defState_[i] == 0) {
    defState_[i] = 1;
    ++defChain_;
    size_t savedDepth = exprDepth_, savedMax = exprDepthMax_;
    exprDepth_ = exprDepthMax_ = 0;
    auto saved = std::move(locals_);  // definitions see no measure locals
    locals_.clear();
    std::optional<ir::Type> t;
    if (d->type) t = resolveType(*d->type);
    else if (d->isReference) d_.error(code::kTypeMismatch, d->range, "a reference price states its unit (`reference x: USD/t = ...`)");
    TExpr v = lowerValue(*d->value, t ? &*t : nullptr);
    if (v.ok() && t && t->kind == Kind::Num && v.type.kind == Kind::Num) v = convert(v, t->unit, d->value->range);
    else if (v.ok() && t && !sameType(*t, v.type)) {
      d_.error(code::kTypeMismatch, d->value->range, fmt::format("'{}' is declared {}, the value is {}", d->name, typeName(*t), typeName(v.type)));
      v = bad(r);
    }
    locals_ = std::move(saved);
    ir::Def def;
    def.name = d->name;
    def.isReference = d->isReference;
    def.pos = pos(d->range);
    if (v.ok() && exprDepthMax_ + 1 > limits::kMaxNesting) {
      d_.error(code::kTooDeep, d->range, fmt::format("'{}' nests expressions {} levels deep, counting the definitions it uses (the limit is {})",
                                                     d->name, exprDepthMax_ + 1, limits::kMaxNesting));
      v = bad(r);
    }
    if (v.ok()) { def.node = uint32_t(v.node); def.type = v.type; defState_[i] = 2; }
    else defState_[i] = 3;
    p_->defs[i] = def;
    defDepth_[i] = exprDepthMax_;
    exprDepth_ = savedDepth;
    exprDepthMax_ = savedMax;
    --defChain_;
  }
  if (defState_[i] != 2) return bad(r);
  size_t total = exprDepth_ + 1 + defDepth_[i];
  exprDepthMax_ = std::max(exprDepthMax_, total);
  if (total > limits::kMaxNesting) {
    d_.error(code::kTooDeep, r, fmt::format("using '{}' here nests expressions {} levels deep, counting the definitions they use (the limit is {})",
                                            d->name, total, limits::kMaxNesting));
    return bad(r);
  }
  ir::Node n = mk(Op::Global, p_->defs[i].type.kind, pos(r));
  n.a = uint32_t(i);
  return value(emit(n), p_->defs[i].type, r);
}

TExpr Checker::lower(const ast::Expr& e, const ir::Type* expect) {
  // Only constructs that contain expressions are levels, as in the syntax stage's count.
  bool nests = !e.kids.empty() || !e.bands.empty();
  if (!nests) return lowerNode(e, expect);
  ++exprDepth_;
  exprDepthMax_ = std::max(exprDepthMax_, exprDepth_);
  TExpr r = lowerNode(e, expect);
  --exprDepth_;
  return r;
}

TExpr Checker::lowerNode(const ast::Expr& e, const ir::Type* expect) {
  using K = ast::ExprKind;
  switch (e.kind) {
    case K::Number: return lowerNumber(e);
    case K::Hs: {
      ir::Node n = mk(Op::Const, Kind::Hs, pos(e.range));
      for (char c : e.text) if (c != '.') n.str += c;
      return value(emit(n), simple(Kind::Hs), e.range);
    }
    case K::Date: {
      ir::Node n = mk(Op::Const, Kind::Date, pos(e.range));
      n.imm = parseDate(e.text, e.range);
      return value(emit(n), simple(Kind::Date), e.range);
    }
    case K::String: {
      ir::Node n = mk(Op::Const, Kind::Text, pos(e.range));
      n.str = e.text;
      return value(emit(n), simple(Kind::Text), e.range);
    }
    case K::Bool: {
      ir::Node n = mk(Op::Const, Kind::Bool, pos(e.range));
      n.imm = e.text == "true";
      return value(emit(n), simple(Kind::Bool), e.range);
    }
    case K::Name: return lowerName(e, expect);
    case K::List: {
      TExpr x;
      x.cat = TExpr::List;
      x.range = e.range;
      for (const auto& k : e.kids) {
        TExpr el = lowerValue(*k, expect);
        if (!el.ok()) return bad(e.range);
        x.elems.push_back(el);
      }
      return x;
    }
    case K::Neg: {
      TExpr v = lowerValue(*e.kids[0]);
      if (!v.ok()) return v;
      if (v.type.kind != Kind::Num) { d_.error(code::kTypeMismatch, e.range, fmt::format("cannot negate {}", typeName(v.type))); return bad(e.range); }
      if (auto c = constValue(v.node)) {
        ir::Node n = mk(Op::Const, Kind::Num, pos(e.range));
        n.imm = -*c;
        return value(emit(n), v.type, e.range);
      }
      return value(emit(mk(Op::Neg, Kind::Num, pos(e.range)), {v.node}), v.type, e.range);
    }
    case K::Not: {
      TExpr v = expectBool(*e.kids[0]);
      if (!v.ok()) return v;
      return value(emit(mk(Op::Not, Kind::Bool, pos(e.range)), {v.node}), simple(Kind::Bool), e.range);
    }
    case K::Binary: return lowerBinary(e);
    case K::In: return lowerIn(e);
    case K::If: {
      TExpr c = expectBool(*e.kids[0]);
      TExpr a = lowerValue(*e.kids[1], expect);
      TExpr b = lowerValue(*e.kids[2], a.ok() ? &a.type : expect);
      if (!c.ok() || !a.ok() || !b.ok()) return bad(e.range);
      if (a.type.kind == Kind::Num && b.type.kind == Kind::Num) { if (!unify(a, b, e.range, "choose between")) return bad(e.range); }
      else if (!sameType(a.type, b.type)) { d_.error(code::kTypeMismatch, e.range, fmt::format("the branches differ: {} and {}", typeName(a.type), typeName(b.type))); return bad(e.range); }
      return value(emit(mk(Op::If, a.type.kind, pos(e.range)), {c.node, a.node, b.node}), a.type, e.range);
    }
    case K::Otherwise: {
      TExpr a = lowerValue(*e.kids[0], expect);
      TExpr b = lowerValue(*e.kids[1], a.ok() ? &a.type : expect);
      if (!a.ok() || !b.ok()) return bad(e.range);
      if (a.type.kind == Kind::Num && b.type.kind == Kind::Num) { if (!unify(a, b, e.range, "fall back between")) return bad(e.range); }
      else if (!sameType(a.type, b.type)) { d_.error(code::kTypeMismatch, e.range, fmt::format("the fallback is {}, the value is {}", typeName(b.type), typeName(a.type))); return bad(e.range); }
      return value(emit(mk(Op::Otherwise, a.type.kind, pos(e.range)), {a.node, b.node}), a.type, e.range);
    }
    case K::Bands:
    case K::Progressive: return lowerBands(e);
    case K::Call: return lowerCall(e);
    case K::Index: {
      TExpr base = lower(*e.kids[0]);
      if (!base.ok()) return base;
      if (base.cat != TExpr::Registry || p_->registries[base.index].ownership) {
        d_.error(code::kWrongKind, e.range, "only a keyed registry can be indexed: registry[key].column");
        return bad(e.range);
      }
      TExpr key = lowerValue(*e.kids[1]);
      if (!key.ok()) return key;
      if (std::string why = registryKeyProblem(*p_, base.index, key.type); !why.empty()) {
        d_.error(code::kTypeMismatch, e.kids[1]->range, fmt::format("{}, not {}", why, typeName(key.type)));
        return bad(e.range);
      }
      TExpr row;
      row.cat = TExpr::Row;
      row.index = base.index;
      row.node = key.node;
      row.type = key.type;
      row.range = e.range;
      return row;
    }
    case K::Field: {
      if (e.kids[0]->kind == K::Number && e.kids[0]->unit.empty()) {  // `5. USD` lexes as 5 .USD
        d_.error(code::kBadLiteral, e.kids[0]->range, fmt::format("malformed number '{}.': a decimal point needs digits on both sides", e.kids[0]->text));
        return bad(e.range);
      }
      TExpr base = lower(*e.kids[0]);
      if (!base.ok()) return base;
      if (base.cat != TExpr::Row) {
        d_.error(code::kWrongKind, e.range, fmt::format("`.{}` reads a column of a registry row (registry[key].{})", e.text, e.text));
        return bad(e.range);
      }
      const ir::Registry& reg = p_->registries[base.index];
      int col = reg.columns.find(e.text);
      if (col < 0) {
        d_.error(code::kUnknownField, e.range, fmt::format("registry '{}' has no column '{}'", reg.name, e.text));
        return bad(e.range);
      }
      const rt::FieldSpec& f = reg.columns.fields[col];
      ir::Type t;
      switch (f.kind) {
        case rt::FieldKind::Decimal: t = numType(f.unit); break;
        case rt::FieldKind::Bool: t = simple(Kind::Bool); break;
        case rt::FieldKind::Date: t = simple(Kind::Date); break;
        case rt::FieldKind::Country: t = simple(Kind::Country); break;
        case rt::FieldKind::Enum: {
          t.kind = Kind::Enum;
          for (const auto& c : registryDecls_[base.index]->columns)
            if (c.name == e.text) t.enumId = resolveType(c.type)->enumId;
          break;
        }
        default: t = simple(Kind::Text);
      }
      ir::Node n = mk(Op::RegLookup, t.kind, pos(e.range));
      n.a = uint32_t(base.index);
      n.b = uint8_t(col);
      n.imm = base.type.kind == Kind::Country ? 1 : base.type.kind == Kind::Enum ? 2 : 0;  // how to print the key
      n.imm2 = base.type.enumId;
      return value(emit(n, {base.node}), t, e.range);
    }
  }
  return bad(e.range);
}

TExpr Checker::lowerBinary(const ast::Expr& e) {
  using B = ast::BinOp;
  if (e.op == B::And || e.op == B::Or) {
    TExpr a = expectBool(*e.kids[0]), b = expectBool(*e.kids[1]);
    if (!a.ok() || !b.ok()) return bad(e.range);
    return value(emit(mk(e.op == B::And ? Op::And : Op::Or, Kind::Bool, pos(e.range)), {a.node, b.node}), simple(Kind::Bool), e.range);
  }
  TExpr a = lower(*e.kids[0]);
  if ((e.op == B::Add || e.op == B::Sub) && a.ok() && a.cat == TExpr::Value && a.type.kind == Kind::Date) {
    // date + 180 days, date - 1 year: calendar arithmetic (months and years clamp to the month's end).
    {
      TExpr d = lower(*e.kids[1]);
      if (!d.ok()) return bad(e.range);
      if (d.cat != TExpr::Duration) {
        d_.error(code::kTypeMismatch, e.kids[1]->range, "a date can only be moved by a duration (e.g. `date + 180 days`)");
        return bad(e.range);
      }
      ir::Node n = mk(Op::DateAdd, Kind::Date, pos(e.range));
      n.imm = e.op == B::Add ? d.amount : -d.amount;
      n.c = uint8_t(d.wunit);
      return value(emit(n, {a.node}), simple(Kind::Date), e.range);
    }
  }
  a = asValue(a, *e.kids[0]);
  TExpr b = lowerValue(*e.kids[1], a.ok() ? &a.type : nullptr);
  if (!a.ok() || !b.ok()) return bad(e.range);
  bool cmp = e.op == B::Lt || e.op == B::Le || e.op == B::Gt || e.op == B::Ge || e.op == B::Eq || e.op == B::Ne;
  if (cmp) {
    Op op = e.op == B::Lt ? Op::Lt : e.op == B::Le ? Op::Le : e.op == B::Gt ? Op::Gt : e.op == B::Ge ? Op::Ge : e.op == B::Eq ? Op::Eq : Op::Ne;
    if (a.type.kind == Kind::Num && b.type.kind == Kind::Num) {
      if (auto bounded = compareInexactConstant(a, b, op, e.range)) return *bounded;
      if (auto crossed = compareAcrossUnits(a, b, op, e.range)) return *crossed;
      if (!unify(a, b, e.range, "compare")) return bad(e.range);
    } else if (!sameType(a.type, b.type)) {
      d_.error(code::kTypeMismatch, e.range, fmt::format("cannot compare {} with {}", typeName(a.type), typeName(b.type)));
      return bad(e.range);
    } else if ((op != Op::Eq && op != Op::Ne) && a.type.kind != Kind::Date) {
      d_.error(code::kTypeMismatch, e.range, fmt::format("{} can only be compared with == or !=", typeName(a.type)));
      return bad(e.range);
    }
    ir::Node n = mk(op, Kind::Bool, pos(e.range));
    n.b = uint8_t(a.type.kind);
    return value(emit(n, {a.node, b.node}), simple(Kind::Bool), e.range);
  }
  if (a.type.kind != Kind::Num || b.type.kind != Kind::Num) {
    d_.error(code::kTypeMismatch, e.range, fmt::format("arithmetic needs numbers, got {} and {}", typeName(a.type), typeName(b.type)));
    return bad(e.range);
  }
  if (e.op == B::Add || e.op == B::Sub) {
    if (!unify(a, b, e.range, e.op == B::Add ? "add" : "subtract")) return bad(e.range);
    auto ca = constValue(a.node), cb = constValue(b.node);
    if (ca && cb) {
      int64_t out;
      if ((e.op == B::Add ? rt::decAdd(*ca, *cb, &out) : rt::decSub(*ca, *cb, &out)) == rt::ErrCode::Ok) {
        ir::Node n = mk(Op::Const, Kind::Num, pos(e.range));
        n.imm = out;
        return value(emit(n), a.type, e.range);
      }
    }
    return value(emit(mk(e.op == B::Add ? Op::Add : Op::Sub, Kind::Num, pos(e.range)), {a.node, b.node}), a.type, e.range);
  }
  // *, /, of
  bool div = e.op == B::Div;
  auto u = div ? rt::unitDivChecked(a.type.unit, b.type.unit) : rt::unitMulChecked(a.type.unit, b.type.unit);
  if (!u) {
    d_.error(code::kUnitMismatch, e.range, fmt::format("cannot {} {} by {} (two currencies meet; convert through an FX series first)", div ? "divide" : "multiply", typeName(a.type), typeName(b.type)));
    return bad(e.range);
  }
  TExpr r = value(emit(mk(div ? Op::Div : Op::Mul, Kind::Num, pos(e.range)), {a.node, b.node}), numType(*u), e.range);
  // Keep results in a familiar unit: `90 % of value` is USD, not %·USD; `kg / t` is a plain number.
  if (!div && b.type.unit.sameDimension(*u) && !(a.type.unit.sameDimension(*u))) return convert(r, b.type.unit, e.range);
  if (!div && a.type.unit.sameDimension(*u) && !(b.type.unit.sameDimension(*u))) return convert(r, a.type.unit, e.range);
  if (u->dimensionless() && (u->scale.num != 1 || u->scale.den != 1)) return convert(r, rt::unitNone(), e.range);
  // A product of compound units (tCO2/t * USD/tCO2) reads as the familiar unit of its dimension.
  if (std::string ut = rt::unitText(*u); !div && ut.find('/') != std::string::npos && ut.find('*') != std::string::npos) {
    rt::Unit tonne = *rt::unitAtom("t");
    for (const rt::Unit& fam : {money_, rt::unitDiv(money_, tonne), tonne})
      if (u->sameDimension(fam)) return convert(r, fam, e.range);
  }
  return r;
}

TExpr Checker::lowerIn(const ast::Expr& e) {
  TExpr v = lowerValue(*e.kids[0]);
  TExpr set = lower(*e.kids[1], v.ok() ? &v.type : nullptr);
  if (!v.ok() || !set.ok()) return bad(e.range);
  int result = -1;
  if (set.cat == TExpr::Group) {
    int ge = p_->groups[set.index].enumId;
    bool fits = ge < 0 ? v.type.kind == Kind::Country : (v.type.kind == Kind::Enum && v.type.enumId == ge);
    if (!fits) {
      std::string holds = ge < 0 ? "countries" : fmt::format("values of `{}`", p_->enums[ge].first);
      d_.error(code::kTypeMismatch, e.range, fmt::format("group '{}' holds {}; this value is {}", p_->groups[set.index].name, holds, typeName(v.type)));
      return bad(e.range);
    }
    ir::Node n = mk(Op::InGroup, Kind::Bool, pos(e.range));
    n.a = uint32_t(set.index);
    result = emit(n, {v.node});
  } else if (set.cat == TExpr::List && v.type.kind == Kind::Hs) {
    std::vector<std::string> prefixes;
    for (size_t i = 0; i < set.elems.size(); ++i) {
      const ir::Node& el = p_->nodes[set.elems[i].node];
      const ast::Expr& src = *e.kids[1]->kids[i];
      std::string digits;
      if (el.op == Op::Const && (el.kind == Kind::Hs || (el.kind == Kind::Num && set.elems[i].type.unit.dimensionless())))
        for (char c : src.text) if (c != '.') digits += c;
      if (digits.empty() || digits.size() > 10) { d_.error(code::kBadLiteral, src.range, "expected an HS code or prefix like 2504 or 2504.10"); return bad(e.range); }
      prefixes.push_back(digits);
    }
    ir::Node n = mk(Op::HsIn, Kind::Bool, pos(e.range));
    n.a = uint32_t(p_->strLists.size());
    p_->strLists.push_back(prefixes);
    result = emit(n, {v.node});
  } else if (set.cat == TExpr::List) {
    std::vector<int> kids{v.node};
    for (auto& el : set.elems) {
      TExpr x = el;
      if (v.type.kind == Kind::Num && x.type.kind == Kind::Num) {
        x = convert(x, v.type.unit, x.range);
        if (!x.ok()) return bad(e.range);
      } else if (!sameType(v.type, x.type)) {
        d_.error(code::kTypeMismatch, x.range, fmt::format("the list holds {}, the value is {}", typeName(x.type), typeName(v.type)));
        return bad(e.range);
      }
      kids.push_back(x.node);
    }
    ir::Node n = mk(Op::InList, Kind::Bool, pos(e.range));
    n.b = uint8_t(v.type.kind);
    result = emitN(n, kids);
  } else {
    d_.error(code::kWrongKind, e.kids[1]->range, "`in` needs a group or a list");
    return bad(e.range);
  }
  if (e.negated) result = emit(mk(Op::Not, Kind::Bool, pos(e.range)), {result});
  return value(result, simple(Kind::Bool), e.range);
}

}  // namespace lode::sema
