// Inline examples: their shipment, market and registry data become typed records, their
// expectations typed values, so `lode test` only evaluates and compares.
#include <fmt/format.h>

#include "compiler/sema/checker_impl.h"

namespace lode::sema {

using ir::Kind;

namespace {

ir::Type typeOfField(const Checker& c, const rt::FieldSpec& f) {
  ir::Type t;
  switch (f.kind) {
    case rt::FieldKind::Decimal: t.kind = Kind::Num; t.unit = f.unit; break;
    case rt::FieldKind::Bool: t.kind = Kind::Bool; break;
    case rt::FieldKind::Date: t.kind = Kind::Date; break;
    case rt::FieldKind::Country: t.kind = Kind::Country; break;
    case rt::FieldKind::Hs: t.kind = Kind::Hs; break;
    case rt::FieldKind::Enum: {
      t.kind = Kind::Enum;
      for (size_t i = 0; i < c.p_->enums.size(); ++i)
        if (c.p_->enums[i].second == f.enumValues) { t.enumId = int(i); break; }
      break;
    }
    default: t.kind = Kind::Text;
  }
  return t;
}

}  // namespace

// Fills one cell from a constant expression, checked against the field's type.
static bool cellFrom(Checker& c, const rt::FieldSpec& f, const ast::Expr& e, rt::FieldValue& out) {
  ir::Type want = typeOfField(c, f);
  if (want.kind == Kind::Hs && (e.kind == ast::ExprKind::Number || e.kind == ast::ExprKind::Hs)) {
    out.present = true;
    for (char ch : e.text) if (ch != '.') out.s += ch;
    return true;
  }
  TExpr v = c.lowerValue(e, &want);
  if (!v.ok()) return false;
  if (want.kind == Kind::Num && v.type.kind == Kind::Num) v = c.convert(v, want.unit, e.range);
  else if (!c.sameType(want, v.type)) {
    c.d_.error(code::kExample, e.range, fmt::format("'{}' is {}, this value is {}", f.name, c.typeName(want), c.typeName(v.type)));
    return false;
  }
  if (!v.ok()) return false;
  const ir::Node& n = c.p_->nodes[v.node];
  if (n.op != ir::Op::Const) { c.d_.error(code::kExample, e.range, "example data must be constants"); return false; }
  out.present = true;
  out.i = n.imm;
  out.s = n.str;
  return true;
}

void Checker::lowerExamples() {
  if (d_.hasErrors()) return;
  std::set<std::string> titles;
  // A used module's examples are examples of clauses of this agreement: they run with it (after the
  // agreement's own, module by module), so a module cannot carry an example nobody checks.
  std::vector<const ast::Example*> all;
  for (const auto& m : mods_)
    for (const auto& ex : m.examples) all.push_back(&ex);
  for (const ast::Example* exp : all) {
    const ast::Example& ex = *exp;
    ir::Example x;
    x.title = ex.title;
    x.pos = pos(ex.range);
    if (!titles.insert(ex.title).second) d_.error(code::kDuplicate, ex.range, fmt::format("another example is titled \"{}\"", ex.title));
    if (!ex.hasShipment) d_.error(code::kExample, ex.range, "an example needs a `shipment { ... }`");
    // Shipment
    std::vector<const ast::FieldInit*> cells;
    for (const auto& f : ex.shipment) {
      int idx = p_->shipment.find(f.field);
      if (idx < 0 && (f.field.rfind("contained.", 0) == 0 || f.field.rfind("content_value.", 0) == 0)) {
        bool mass = f.field.rfind("contained.", 0) == 0;
        dynamicField(f.field, mass ? numType(*rt::unitAtom("t")) : moneyType(), f.range);
        idx = p_->shipment.find(f.field);
      }
      if (idx < 0) { d_.error(code::kUnknownField, f.range, fmt::format("shipments have no field '{}' (declare it with `attribute`)", f.field)); continue; }
      cells.push_back(&f);
    }
    x.shipment.values.assign(p_->shipment.fields.size(), {});
    for (const auto* f : cells) {
      int idx = p_->shipment.find(f->field);
      if (x.shipment.values[idx].present) d_.error(code::kDuplicate, f->range, fmt::format("'{}' is given twice", f->field));
      cellFrom(*this, p_->shipment.fields[idx], *f->value, x.shipment.values[idx]);
    }
    for (size_t i = 0; i < p_->shipment.fields.size(); ++i)
      if (p_->shipment.fields[i].required && !x.shipment.values[i].present)
        d_.error(code::kExample, ex.range, fmt::format("the example's shipment lacks the required field '{}'", p_->shipment.fields[i].name));
    // Market
    for (const auto& ob : ex.market) {
      int si = -1;
      for (size_t i = 0; i < p_->series.size(); ++i) if (p_->series[i].name == ob.series || p_->series[i].key == ob.series) si = int(i);
      if (si < 0) { d_.error(code::kUndefined, ob.range, fmt::format("no series '{}' is declared", ob.series)); continue; }
      syms_[p_->series[si].name].used = true;
      rt::FieldSpec spec;
      spec.name = ob.series;
      spec.kind = rt::FieldKind::Decimal;
      spec.unit = p_->series[si].unit;
      rt::FieldValue v;
      if (!cellFrom(*this, spec, *ob.value, v)) continue;
      x.market.push_back({si, parseDate(ob.date, ob.range), v.i});
    }
    // Registries
    x.registryRows.resize(p_->registries.size());
    for (const auto& rr : ex.registries) {
      int ri = -1;
      for (size_t i = 0; i < p_->registries.size(); ++i) if (p_->registries[i].name == rr.name) ri = int(i);
      if (ri < 0) { d_.error(code::kUndefined, rr.range, fmt::format("no registry '{}' is declared", rr.name)); continue; }
      const rt::Schema& cols = p_->registries[ri].columns;
      for (const auto& row : rr.rows) {
        rt::Record rec;
        rec.values.assign(cols.fields.size(), {});
        for (const auto& cell : row) {
          int ci = cols.find(cell.field);
          if (ci < 0) { d_.error(code::kUnknownField, cell.range, fmt::format("registry '{}' has no column '{}'", rr.name, cell.field)); continue; }
          cellFrom(*this, cols.fields[ci], *cell.value, rec.values[ci]);
        }
        rec.row = x.registryRows[ri].size() + 1;
        x.registryRows[ri].push_back(std::move(rec));
      }
    }
    // Quota balances already used in the shipment's period: `quota co_trq { used: 1990 t, key: "NO" }`
    for (const auto& qs : ex.quotas) {
      int qi = -1;
      for (size_t i = 0; i < p_->quotas.size(); ++i) if (p_->quotas[i].name == qs.name) qi = int(i);
      if (qi < 0) { d_.error(code::kUndefined, qs.range, fmt::format("no quota '{}' is declared", qs.name)); continue; }
      ir::Example::QuotaUse use{qi, "", 0};
      bool haveUsed = false;
      for (const auto& f : qs.fields) {
        rt::FieldSpec spec;
        spec.name = f.field;
        if (f.field == "used") { spec.kind = rt::FieldKind::Decimal; spec.unit = *rt::unitAtom("t"); }
        else if (f.field == "key") spec.kind = rt::FieldKind::Text;
        else { d_.error(code::kUnknownField, f.range, fmt::format("a quota state has `used` and `key`, not '{}'", f.field)); continue; }
        rt::FieldValue v;
        if (f.field == "key" && f.value->kind == ast::ExprKind::Name) { v.present = true; v.s = f.value->text; }  // key: NO
        else if (!cellFrom(*this, spec, *f.value, v)) continue;
        if (f.field == "used") { use.used = v.i; haveUsed = true; } else use.key = v.s;
      }
      if (!haveUsed) d_.error(code::kExample, qs.range, "a quota state says how much is `used`");
      x.quotaUses.push_back(use);
    }
    // Expectations
    for (const auto& e : ex.expects) {
      ir::Expectation want;
      want.pos = pos(e.range);
      using EK = ast::Expectation::Kind;
      switch (e.kind) {
        case EK::Line:
        case EK::NoLine: {
          want.kind = e.kind == EK::Line ? ir::Expectation::Line : ir::Expectation::NoLine;
          for (size_t i = 0; i < p_->measures.size(); ++i) if (p_->measures[i].name == e.name) want.measure = int(i);
          if (want.measure < 0) { d_.error(code::kUndefined, e.range, fmt::format("no measure '{}'", e.name)); continue; }
          break;
        }
        case EK::Total: want.kind = ir::Expectation::Total; break;
        case EK::Origin: want.kind = ir::Expectation::Origin; break;
        case EK::Outcome: {
          want.kind = ir::Expectation::Outcome;
          want.text = e.name;
          if (!e.text.empty()) {  // with a reason: the kind as a value, the reason as the text
            static const char* const kWords[] = {"admit", "refuse", "detain", "licence", "flag", "prohibit"};
            for (size_t k = 0; k < std::size(kWords); ++k) if (e.name == kWords[k]) want.value = int64_t(k);
            want.text = e.text;
          }
          break;
        }
        case EK::InQuota:
        case EK::OverQuota: {
          want.kind = e.kind == EK::InQuota ? ir::Expectation::InQuota : ir::Expectation::OverQuota;
          if (!e.text.empty()) { d_.error(code::kExample, e.range, fmt::format("expected `in quota {0}: ...` or `over quota {0}: ...`", e.name)); continue; }
          for (size_t i = 0; i < p_->quotas.size(); ++i) if (p_->quotas[i].name == e.name) want.measure = int(i);
          if (want.measure < 0) { d_.error(code::kUndefined, e.range, fmt::format("no quota '{}'", e.name)); continue; }
          break;
        }
        case EK::Flag: want.kind = ir::Expectation::Flag; want.text = e.name; break;
        case EK::Error: want.kind = ir::Expectation::Error; want.text = e.name; break;
      }
      if (e.value) {
        bool mass = e.kind == EK::InQuota || e.kind == EK::OverQuota;
        rt::FieldSpec spec;
        spec.name = e.kind == EK::Origin ? "origin" : mass ? "quantity" : "amount";
        spec.kind = e.kind == EK::Origin ? rt::FieldKind::Country : rt::FieldKind::Decimal;
        spec.unit = mass ? *rt::unitAtom("t") : money_;
        rt::FieldValue v;
        if (!cellFrom(*this, spec, *e.value, v)) continue;
        want.value = v.i;
      }
      x.expects.push_back(std::move(want));
    }
    p_->examples.push_back(std::move(x));
  }
}

}  // namespace lode::sema
