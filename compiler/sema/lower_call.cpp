// Built-in functions and piecewise rules (bands, progressive brackets).
#include <fmt/format.h>

#include "compiler/sema/checker_impl.h"
#include "compiler/sema/registry_key.h"

namespace lode::sema {

using ir::Kind;
using ir::Op;

static ir::Node mkNode(Op op, Kind k, uint32_t pos) {
  ir::Node n;
  n.op = op;
  n.kind = k;
  n.pos = pos;
  return n;
}

TExpr Checker::lowerSeriesCall(const ast::Expr& e, ir::SeriesFn fn, const TExpr& series) {
  if (rt::unitIsInvalid(p_->series[series.index].unit)) return bad(e.range);  // already reported
  ir::Node n = mkNode(Op::SeriesAgg, Kind::Num, pos(e.range));
  n.a = uint32_t(series.index);
  n.b = uint8_t(fn);
  size_t argc = e.kids.size();
  size_t maxArgs = fn == ir::SeriesFn::MonthAvg ? 1 : fn == ir::SeriesFn::Latest ? 2 : 3;
  size_t minArgs = fn == ir::SeriesFn::MonthAvg || fn == ir::SeriesFn::Latest ? 1 : 2;
  if (argc < minArgs || argc > maxArgs) {
    d_.error(code::kBadCall, e.range, fmt::format("{}(series{}) takes {} to {} arguments", e.text,
             fn == ir::SeriesFn::MonthAvg ? "" : ", window", minArgs, maxArgs));
    return bad(e.range);
  }
  // Window (or maximum age for latest) and lag are durations.
  n.imm = -1;
  for (size_t i = 1; i < argc; ++i) {
    TExpr d = lower(*e.kids[i]);
    if (!d.ok()) return d;
    if (d.cat != TExpr::Duration) { d_.error(code::kTypeMismatch, e.kids[i]->range, "expected a duration like 90 days or 3 months"); return bad(e.range); }
    // A century bounds any window a market rule needs, and keeps every window's dates in the
    // calendar (a lag of 999999 days reached before year 1, where no date exists).
    int64_t maxAmount = d.wunit == ir::WindowUnit::Days ? 36525 : d.wunit == ir::WindowUnit::Months ? 1200 : 100;
    if (d.amount > maxAmount) {
      d_.error(code::kBadCall, e.kids[i]->range, "a window or lag is at most 100 years (36525 days, 1200 months)");
      return bad(e.range);
    }
    if (i == 1) { n.imm = d.amount; n.c = uint8_t(d.wunit); }
    else {
      if (d.wunit != ir::WindowUnit::Days) { d_.error(code::kTypeMismatch, e.kids[i]->range, "a lag is given in days"); return bad(e.range); }
      n.imm2 = d.amount;
    }
  }
  if ((fn == ir::SeriesFn::Avg || fn == ir::SeriesFn::Min || fn == ir::SeriesFn::Max) && n.imm <= 0) {
    d_.error(code::kBadCall, e.range, "the window must be at least 1 day");
    return bad(e.range);
  }
  return value(emit(n), numType(p_->series[series.index].unit), e.range);
}

TExpr Checker::lowerCall(const ast::Expr& e) {
  const std::string& f = e.text;
  auto argCount = [&](size_t n) {
    if (e.kids.size() == n) return true;
    d_.error(code::kBadCall, e.range, fmt::format("{}() takes {} argument{}", f, n, n == 1 ? "" : "s"));
    return false;
  };
  if ((f == "min" || f == "max" || f == "avg" || f == "latest" || f == "month_avg") && !e.kids.empty()) {
    TExpr first = lower(*e.kids[0]);
    if (!first.ok()) return first;
    if (first.cat == TExpr::Series) {
      ir::SeriesFn fn = f == "min" ? ir::SeriesFn::Min : f == "max" ? ir::SeriesFn::Max : f == "avg" ? ir::SeriesFn::Avg
                      : f == "latest" ? ir::SeriesFn::Latest : ir::SeriesFn::MonthAvg;
      return lowerSeriesCall(e, fn, first);
    }
    if (f != "min" && f != "max") {
      d_.error(code::kBadCall, e.kids[0]->range, fmt::format("{}() takes a market series first", f));
      return bad(e.range);
    }
    if (first.cat != TExpr::Value) { lowerValue(*e.kids[0]); return bad(e.range); }
    std::vector<TExpr> args{first};
    for (size_t i = 1; i < e.kids.size(); ++i) args.push_back(lowerValue(*e.kids[i], &first.type));
    for (auto& a : args) if (!a.ok()) return bad(e.range);
    if (args.size() < 2) { d_.error(code::kBadCall, e.range, fmt::format("{}() of values needs at least two", f)); return bad(e.range); }
    for (auto& a : args) if (a.type.kind != Kind::Num) { d_.error(code::kTypeMismatch, a.range, fmt::format("{}() compares numbers, not {}", f, typeName(a.type))); return bad(e.range); }
    for (size_t i = 1; i < args.size(); ++i) {
      if (!unify(args[0], args[i], e.range, "compare")) return bad(e.range);
      // unify may have rescaled args[0]; bring the earlier ones along.
      for (size_t j = 1; j < i; ++j) { args[j] = convert(args[j], args[0].type.unit, e.range); if (!args[j].ok()) return bad(e.range); }
    }
    std::vector<int> kids;
    for (auto& a : args) kids.push_back(a.node);
    return value(emitN(mkNode(f == "min" ? Op::Min : Op::Max, Kind::Num, pos(e.range)), kids), args[0].type, e.range);
  }
  if (f == "abs") {
    if (!argCount(1)) return bad(e.range);
    TExpr v = lowerValue(*e.kids[0]);
    if (!v.ok()) return v;
    if (v.type.kind != Kind::Num) { d_.error(code::kTypeMismatch, e.range, "abs() takes a number"); return bad(e.range); }
    return value(emit(mkNode(Op::Abs, Kind::Num, pos(e.range)), {v.node}), v.type, e.range);
  }
  if (f == "round") {
    if (e.kids.size() != 2 && e.kids.size() != 3) { d_.error(code::kBadCall, e.range, "round(value, unit, mode) takes 2 or 3 arguments"); return bad(e.range); }
    TExpr v = lowerValue(*e.kids[0]);
    TExpr q = lowerValue(*e.kids[1]);
    if (!v.ok() || !q.ok()) return bad(e.range);
    if (v.type.kind != Kind::Num) { d_.error(code::kTypeMismatch, e.range, "round() takes a number"); return bad(e.range); }
    q = convert(q, v.type.unit, e.kids[1]->range);
    auto qc = q.ok() ? constValue(q.node) : std::nullopt;
    if (!qc || *qc <= 0) { d_.error(code::kBadCall, e.kids[1]->range, "the rounding unit must be a positive constant"); return bad(e.range); }
    rt::RoundingMode mode = rt::RoundingMode::HalfEven;
    if (e.kids.size() == 3) {
      // The mode is a bare word (`half_up`), not a string or any other expression with that text.
      const std::string& m = e.kids[2]->kind == ast::ExprKind::Name ? e.kids[2]->text : std::string();
      if (m == "half_up") mode = rt::RoundingMode::HalfUp;
      else if (m == "down") mode = rt::RoundingMode::Down;
      else if (m != "half_even") { d_.error(code::kBadCall, e.kids[2]->range, "rounding mode is half_even, half_up or down"); return bad(e.range); }
    }
    ir::Node n = mkNode(Op::Round, Kind::Num, pos(e.range));
    n.imm = *qc;
    n.a = uint32_t(mode);
    return value(emit(n, {v.node}), v.type, e.range);
  }
  if (f == "owned_share") {
    if (!argCount(2)) return bad(e.range);
    if (ownershipRegistry_ < 0) { d_.error(code::kBadCall, e.range, "owned_share() needs an ownership registry (`registry facilities: ownership`)"); return bad(e.range); }
    syms_[p_->registries[ownershipRegistry_].name].used = true;
    TExpr ent = lowerValue(*e.kids[0]);
    TExpr g = lower(*e.kids[1]);
    if (!ent.ok() || !g.ok()) return bad(e.range);
    if (ent.type.kind != Kind::Text) { d_.error(code::kTypeMismatch, e.kids[0]->range, "owned_share() takes an entity id (e.g. facility or producer)"); return bad(e.range); }
    if (g.cat == TExpr::List) {
      // owned_share(facility, [CN, RU]): the list becomes an unnamed group of those countries.
      ir::Group anon;
      anon.name = "[list]";
      for (const TExpr& el : g.elems) {
        auto c = el.ok() && el.type.kind == Kind::Country ? constValue(el.node) : std::nullopt;
        if (!c) { d_.error(code::kTypeMismatch, el.range, "owned_share() takes countries in its list"); return bad(e.range); }
        anon.members.push_back({*c, INT32_MIN, INT32_MAX});
      }
      g.cat = TExpr::Group;
      g.index = int(p_->groups.size());
      p_->groups.push_back(std::move(anon));
    }
    if (g.cat != TExpr::Group || p_->groups[g.index].enumId >= 0) { d_.error(code::kTypeMismatch, e.kids[1]->range, "owned_share() takes a group of countries second"); return bad(e.range); }
    ir::Node n = mkNode(Op::OwnedShare, Kind::Num, pos(e.range));
    n.a = uint32_t(g.index);
    n.b = uint8_t(ownershipRegistry_);
    return value(emit(n, {ent.node}), numType(*rt::unitAtom("%")), e.range);
  }
  if (f == "contained" || f == "content_value") {
    if (!argCount(1)) return bad(e.range);
    const ast::Expr& a = *e.kids[0];
    const char* enumName = f == "contained" ? "element" : "mineral";
    Symbol* s = a.kind == ast::ExprKind::Name ? lookup(a.text) : nullptr;
    if (!s || s->kind != SymKind::EnumValue || s->index != enumIndex(enumName)) {
      d_.error(code::kBadCall, a.range, fmt::format("{}() takes {} name (from `use std.minerals`)", f, f == "contained" ? "an element" : "a mineral"));
      return bad(e.range);
    }
    if (f == "contained") return dynamicField("contained." + a.text, numType(*rt::unitAtom("t")), e.range);
    return dynamicField("content_value." + a.text, moneyType(), e.range);
  }
  if (f == "has") {
    if (!argCount(2)) return bad(e.range);
    TExpr r = lower(*e.kids[0]);
    TExpr k = lowerValue(*e.kids[1]);
    if (!r.ok() || !k.ok()) return bad(e.range);
    if (r.cat != TExpr::Registry || p_->registries[r.index].ownership) { d_.error(code::kTypeMismatch, e.kids[0]->range, "has() takes a keyed registry first"); return bad(e.range); }
    if (std::string why = registryKeyProblem(*p_, r.index, k.type); !why.empty()) {
      d_.error(code::kTypeMismatch, e.kids[1]->range, fmt::format("{}, not {}", why, typeName(k.type)));
      return bad(e.range);
    }
    ir::Node n = mkNode(Op::RegHas, Kind::Bool, pos(e.range));
    n.a = uint32_t(r.index);
    n.imm = k.type.kind == Kind::Country ? 1 : k.type.kind == Kind::Enum ? 2 : 0;
    n.imm2 = k.type.enumId;
    return value(emit(n, {k.node}), simple(Kind::Bool), e.range);
  }
  if (f == "days_between") {
    if (!argCount(2)) return bad(e.range);
    TExpr a = lowerValue(*e.kids[0]), b = lowerValue(*e.kids[1]);
    if (!a.ok() || !b.ok()) return bad(e.range);
    if (a.type.kind != Kind::Date || b.type.kind != Kind::Date) { d_.error(code::kTypeMismatch, e.range, "days_between() takes two dates"); return bad(e.range); }
    return value(emit(mkNode(Op::DaysBetween, Kind::Num, pos(e.range)), {a.node, b.node}), numType(rt::unitNone()), e.range);
  }
  if (f == "present") {
    // present(x): whether x can be evaluated, i.e. no field, observation or registry row it needs is missing.
    if (!argCount(1)) return bad(e.range);
    TExpr a = lowerValue(*e.kids[0]);
    if (!a.ok()) return bad(e.range);
    return value(emit(mkNode(Op::Present, Kind::Bool, pos(e.range)), {a.node}), simple(Kind::Bool), e.range);
  }
  d_.error(code::kBadCall, e.range, fmt::format("unknown function '{}' (min, max, abs, round, avg, latest, month_avg, owned_share, contained, content_value, has, present, days_between)", f));
  return bad(e.range);
}

// bands x { below A: v1  from A to B: v2  from B: v3 }  /  progressive x { ... }
TExpr Checker::lowerBands(const ast::Expr& e) {
  bool progressive = e.kind == ast::ExprKind::Progressive;
  TExpr x = lowerValue(*e.kids[0]);
  if (!x.ok()) return x;
  if (x.type.kind != Kind::Num) { d_.error(code::kTypeMismatch, e.kids[0]->range, fmt::format("bands split a number, not {}", typeName(x.type))); return bad(e.range); }
  ir::BandTable table;
  std::optional<ir::Type> valueType;
  bool okAll = true;
  // A bound that x's unit cannot hold exactly (`from 1000 lb` for x in t) splits the values of x at the
  // first raw value above it, C: x >= C for a lower bound, x < C for an upper one, whatever the bound's
  // own inclusiveness (x is a whole number of raw steps). Progressive brackets charge the width of a
  // bracket, so there a bound must be exact (convert says so).
  auto bound = [&](const ast::ExprPtr& b, int64_t& out, bool lower, bool& incl) {
    TExpr v = lowerValue(*b, &x.type);
    if (!v.ok()) return false;
    auto k = constValue(v.node);
    auto f = v.type.kind == Kind::Num && v.type.unit.sameDimension(x.type.unit) ? rt::unitFactorChecked(v.type.unit, x.type.unit)
                                                                                 : std::nullopt;
    if (!progressive && k && f && !rt::convertExact(*k, *f)) {
      auto c = rt::convertCeil(*k, *f);
      if (!c) { d_.error(code::kUnitMismatch, b->range, "constant out of range after unit conversion"); return false; }
      out = *c;
      incl = lower;
      return true;
    }
    v = convert(v, x.type.unit, b->range);
    auto c = v.ok() ? constValue(v.node) : std::nullopt;
    if (!c) { if (v.ok()) d_.error(code::kTypeMismatch, b->range, "band bounds must be constants"); return false; }
    out = *c;
    return true;
  };
  for (const auto& b : e.bands) {
    ir::Band band;
    band.loInf = !b.lo;
    band.hiInf = !b.hi;
    band.loIncl = b.loIncl;
    band.hiIncl = b.hiIncl;
    if (b.lo && !bound(b.lo, band.lo, true, band.loIncl)) { okAll = false; continue; }
    if (b.hi && !bound(b.hi, band.hi, false, band.hiIncl)) { okAll = false; continue; }
    TExpr v = lowerValue(*b.value, valueType ? &*valueType : nullptr);
    if (!v.ok()) { okAll = false; continue; }
    if (!valueType) {
      valueType = v.type;
      if (progressive && (v.type.kind != Kind::Num || !v.type.unit.dimensionless())) {
        d_.error(code::kTypeMismatch, b.value->range, fmt::format("progressive brackets hold rates (% or plain numbers), not {}", typeName(v.type)));
        return bad(e.range);
      }
    } else if (valueType->kind == Kind::Num && v.type.kind == Kind::Num) {
      v = convert(v, valueType->unit, b.value->range);
      if (!v.ok()) { okAll = false; continue; }
    } else if (!sameType(*valueType, v.type)) {
      d_.error(code::kTypeMismatch, b.value->range, fmt::format("every band gives {}, this one gives {}", typeName(*valueType), typeName(v.type)));
      okAll = false;
      continue;
    }
    band.value = uint32_t(v.node);
    table.bands.push_back(band);
  }
  if (!okAll || !valueType) return bad(e.range);
  checkBandCoverage(table, x.type.unit, e);
  ir::Node n = mkNode(progressive ? Op::Progressive : Op::Bands, valueType->kind, pos(e.range));
  n.a = uint32_t(p_->bandTables.size());
  p_->bandTables.push_back(std::move(table));
  ir::Type result = *valueType;
  if (progressive) {
    // Sum of (part of x in the bracket) * rate: x's unit, rate scale applied by the executor.
    auto f = rt::unitFactorChecked(valueType->unit, rt::unitNone());
    n.imm = f ? f->num : 1;
    n.imm2 = f ? f->den : 1;
    result = x.type;
  }
  return value(emit(n, {x.node}), result, e.range);
}

}  // namespace lode::sema
