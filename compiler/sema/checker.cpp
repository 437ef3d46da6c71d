// Declarations: symbol table, header, schema, groups, schedules, registries, scopes, origin rules,
// measures. Expressions are lowered in lower_expr.cpp.
#include "compiler/sema/checker.h"

#include <fmt/format.h>

#include "compiler/diag/limits.h"
#include "compiler/sema/checker_impl.h"
#include "runtime/date.h"

#include <algorithm>

namespace lode::sema {

std::unique_ptr<ir::Program> check(const SourceManager& sm, const std::vector<ast::Module>& modules,
                                   Diagnostics& diags, bool requireHeader) {
  Checker c(sm, modules, diags);
  return c.run(requireHeader);
}

Checker::Checker(const SourceManager& sm, const std::vector<ast::Module>& mods, Diagnostics& d)
    : sm_(sm), mods_(mods), d_(d), p_(std::make_unique<ir::Program>()) {
  p_->positions.push_back({});  // position 0: "no position"
}

std::unique_ptr<ir::Program> Checker::run(bool requireHeader) {
  for (const auto& m : mods_) if (m.broken) return nullptr;
  checkHeader(requireHeader);
  collectDeclarations();
  buildSchema();
  lowerGroups();
  lowerSchedules();
  lowerRegistries();
  for (size_t i = 0; i < defDecls_.size(); ++i) lowerGlobal(int(i), defDecls_[i]->range);
  lowerScopes();
  lowerOriginRules();
  lowerMeasures();
  lowerQuotas();
  lowerClassifications();
  analyseMeasures();
  lowerExamples();
  reportUnused();
  if (d_.hasErrors()) return nullptr;
  p_->nodeUnits.resize(p_->nodes.size());
  return std::move(p_);
}

uint32_t Checker::pos(SourceRange r) {
  p_->positions.push_back(r);
  return uint32_t(p_->positions.size() - 1);
}

// The names a clause reads as the shipment's standard fields: a declaration of that name could never
// be read (the field wins), so it is refused rather than silently ignored.
static bool isStandardFieldName(const std::string& name) {
  static const char* const kReserved[] = {"id", "date", "hs", "origin", "declared_origin", "export_country", "exporter",
      "producer", "importer", "facility", "mineral", "node", "quantity", "value", "price_basis", "flow", "destination",
      "unit_price"};
  for (const char* r : kReserved)
    if (name == r) return true;
  return false;
}

void Checker::declare(const std::string& name, Symbol s) {
  // Enumerations are types (std.minerals declares `mineral` and `node`); their values and countries
  // are never spelled like a field.
  if (s.kind != SymKind::Enumeration && s.kind != SymKind::EnumValue && s.kind != SymKind::Country &&
      isStandardFieldName(name)) {
    d_.error(code::kDuplicate, s.range, fmt::format("'{}' is a standard shipment field", name));
    return;
  }
  auto it = syms_.find(name);
  if (it != syms_.end()) {
    d_.error(code::kDuplicate, s.range, fmt::format("'{}' is already defined", name));
    d_.note(it->second.range, fmt::format("'{}' was first defined here", name));
    return;
  }
  syms_.emplace(name, s);
}

Symbol* Checker::lookup(const std::string& name) {
  auto it = syms_.find(name);
  if (it == syms_.end()) return nullptr;
  it->second.used = true;
  return &it->second;
}

int32_t Checker::parseDate(const std::string& text, SourceRange r) {
  auto d = rt::dateParse(text);
  if (!d) {
    d_.error(code::kBadDate, r, fmt::format("'{}' is not a calendar date", text));
    return 0;
  }
  return *d;
}

// ---- header ---------------------------------------------------------------------------------
void Checker::checkHeader(bool requireHeader) {
  const ast::Module& top = mods_[0];
  for (const auto& h : top.extraHeaders) d_.error(code::kHeader, h.range, "an agreement file has one `agreement` header");
  for (size_t i = 1; i < mods_.size(); ++i)
    if (mods_[i].header) d_.error(code::kHeader, mods_[i].header->range, "a used module cannot have an `agreement` header");
  money_ = *rt::unitAtom("USD");
  p_->currency = "USD";
  if (!top.header) {
    if (requireHeader)
      d_.error(code::kHeader, {top.file, 0, 0}, "missing `agreement \"title\" { currency ... }` header");
    return;
  }
  const ast::Header& h = *top.header;
  for (const auto& r : h.repeated)
    d_.error(code::kHeader, r.range, fmt::format("`{}` is given twice in the agreement header (the first one counts)", r.item));
  p_->title = h.title;
  p_->version = h.version.value_or("");
  p_->legal = h.legal;
  if (!h.currency) {
    d_.error(code::kHeader, h.range, "the agreement header must name its currency of account (`currency USD`)");
  } else if (!rt::isCurrencyCode(*h.currency)) {
    d_.error(code::kHeader, h.currencyRange, fmt::format("'{}' is not an ISO 4217 currency code", *h.currency));
  } else {
    money_ = *rt::unitAtom(*h.currency);
    p_->currency = *h.currency;
  }
  if (h.rounding) {
    const auto& r = *h.rounding;
    ir::Rounding ro;
    ro.declared = true;
    ro.pos = pos(r.range);
    if (r.mode == "half_even") ro.mode = rt::RoundingMode::HalfEven;
    else if (r.mode == "half_up") ro.mode = rt::RoundingMode::HalfUp;
    else if (r.mode == "down") ro.mode = rt::RoundingMode::Down;
    else d_.error(code::kRounding, r.modeRange, fmt::format("unknown rounding mode '{}'; use half_even, half_up or down", r.mode));
    ro.perLine = r.stage == "per line";
    if (r.stage != "per line" && r.stage != "on total")
      d_.error(code::kRounding, r.range, fmt::format("unknown rounding stage '{}'; use `per line` or `on total`", r.stage));
    auto q = rt::decParse(r.quantum->text);
    if (q.code != rt::ErrCode::Ok || q.raw <= 0) d_.error(code::kRounding, r.quantum->range, "the rounding unit must be a positive number");
    else ro.quantum = q.raw;
    if (!r.quantum->unit.empty() && r.quantum->unit != p_->currency)
      d_.error(code::kRounding, r.quantum->unitRange, fmt::format("rounding is in the currency of account ({})", p_->currency));
    p_->rounding = ro;
  }
  if (h.inForce) {
    p_->inForce = parseDate(*h.inForce, h.inForceRange);
    p_->inForcePos = pos(h.inForceRange);
  }
  if (h.expiry) {
    p_->expiry = parseDate(*h.expiry, h.expiryRange);
    p_->expiryPos = pos(h.expiryRange);
    if (p_->expiry < p_->inForce) d_.error(code::kDateOrder, h.expiryRange, "the agreement expires before it enters into force");
  }
}

// ---- symbols --------------------------------------------------------------------------------
void Checker::collectDeclarations() {
  // The direction of a shipment is built in: `flow == export` works without any module.
  flowEnum_ = int(p_->enums.size());
  p_->enums.push_back({"flow", {"import", "export"}});
  declare("flow_kind", {SymKind::Enumeration, flowEnum_, 0, {}, true, false});
  declare("import", {SymKind::EnumValue, flowEnum_, 0, {}, true, false});
  declare("export", {SymKind::EnumValue, flowEnum_, 1, {}, true, false});
  for (size_t mi = 0; mi < mods_.size(); ++mi) {
    const ast::Module& m = mods_[mi];
    bool own = mi == 0;
    for (const auto& c : m.countries) {
      if (c.code.size() != 2 || !isupper(c.code[0]) || !isupper(c.code[1])) {
        d_.error(code::kBadLiteral, c.range, fmt::format("'{}' is not an ISO 3166-1 alpha-2 code", c.code));
        continue;
      }
      declare(c.code, {SymKind::Country, int(p_->countries.size()), 0, c.range, true, own});
      p_->countries.push_back(c.code);
      p_->countryNames.push_back(c.name);
    }
    for (const auto& e : m.enumerations) {
      int idx = int(p_->enums.size());
      p_->enums.push_back({e.name, e.values});
      declare(e.name, {SymKind::Enumeration, idx, 0, e.range, true, own});
      std::set<std::string> seen;
      for (size_t v = 0; v < e.values.size(); ++v) {
        if (!seen.insert(e.values[v]).second) d_.error(code::kDuplicate, e.range, fmt::format("'{}' is listed twice", e.values[v]));
        // Enumeration values share the global namespace; a value may appear in one enumeration only.
        declare(e.values[v], {SymKind::EnumValue, idx, int(v), e.range, true, own});
      }
    }
    for (const auto& g : m.groups) {
      declare(g.name, {SymKind::Group, int(groupDecls_.size()), 0, g.range, false, own});
      groupDecls_.push_back(&g);
    }
    for (const auto& a : m.attributes) { declare(a.name, {SymKind::Attribute, int(attrDecls_.size()), 0, a.range, false, own}); attrDecls_.push_back(&a); }
    for (const auto& s : m.scopes) { declare(s.name, {SymKind::Scope, int(scopeDecls_.size()), 0, s.range, false, own}); scopeDecls_.push_back(&s); }
    for (const auto& s : m.series) {
      declare(s.name, {SymKind::Series, int(p_->series.size()), 0, s.range, false, own});
      ir::Series se{s.name, s.key, rt::unitInvalid()};  // stays invalid after an error: uses stay quiet
      if (auto t = resolveType(s.unit); t && t->kind == ir::Kind::Num) se.unit = t->unit;
      else if (t) d_.error(code::kTypeMismatch, s.unit.range, "a market series holds numbers with a unit (e.g. USD/t)");
      p_->series.push_back(se);
    }
    for (const auto& l : m.lets) { declare(l.name, {SymKind::Def, int(defDecls_.size()), 0, l.range, false, own}); defDecls_.push_back(&l); }
    for (const auto& s : m.schedules) { declare(s.name, {SymKind::Schedule, int(scheduleDecls_.size()), 0, s.range, false, own}); scheduleDecls_.push_back(&s); }
    for (const auto& r : m.registries) { declare(r.name, {SymKind::Registry, int(registryDecls_.size()), 0, r.range, false, own}); registryDecls_.push_back(&r); }
  }
  // parties { role: members } declares one group per role and `parties` for their union; they are
  // ordinary groups from here on (other groups may be built from them).
  for (size_t mi = 0; mi < mods_.size(); ++mi) {
    for (const auto& pd : mods_[mi].parties) {
      auto all = std::make_unique<ast::GroupDecl>();
      all->name = "parties";
      all->range = pd.range;
      std::unique_ptr<ast::GroupExpr> unionExpr;
      for (const auto& role : pd.roles) {
        auto g = std::make_unique<ast::GroupDecl>();
        g->name = role.name;
        g->range = role.range;
        g->expr = std::make_unique<ast::GroupExpr>();
        g->expr->kind = ast::GroupExpr::List;
        g->expr->members = role.members;
        g->expr->range = role.range;
        auto ref = std::make_unique<ast::GroupExpr>();
        ref->kind = ast::GroupExpr::Ref;
        ref->name = role.name;
        ref->range = role.range;
        if (!unionExpr) unionExpr = std::move(ref);
        else {
          auto u = std::make_unique<ast::GroupExpr>();
          u->kind = ast::GroupExpr::Binary;
          u->op = '+';
          u->range = pd.range;
          u->lhs = std::move(unionExpr);
          u->rhs = std::move(ref);
          unionExpr = std::move(u);
        }
        declare(g->name, {SymKind::Group, int(groupDecls_.size()), 0, g->range, false, mi == 0});
        groupDecls_.push_back(g.get());
        synthetic_.push_back(std::move(g));
      }
      if (!unionExpr) continue;
      all->expr = std::move(unionExpr);
      declare("parties", {SymKind::Group, int(groupDecls_.size()), 0, all->range, false, false});
      groupDecls_.push_back(all.get());
      synthetic_.push_back(std::move(all));
    }
  }
  groupState_.assign(groupDecls_.size(), 0);
  defState_.assign(defDecls_.size(), 0);
  defDepth_.assign(defDecls_.size(), 0);
  p_->defs.resize(defDecls_.size());
  p_->groups.resize(groupDecls_.size());
}

// ---- types ----------------------------------------------------------------------------------
std::optional<ir::Type> Checker::resolveType(const ast::TypeRef& t) {
  ir::Type ty;
  if (t.isEnum) {
    // A type is resolved again wherever its attribute or column is read: report its values once.
    if (enumTypesChecked_.insert(t.id).second) {
      std::set<std::string> seen;
      for (size_t i = 0; i < t.enumValues.size(); ++i)
        if (!seen.insert(t.enumValues[i]).second)
          d_.error(code::kDuplicate, i < t.enumRanges.size() ? t.enumRanges[i] : t.range, fmt::format("'{}' is listed twice", t.enumValues[i]));
    }
    ty.kind = ir::Kind::Enum;
    ty.enumId = int(p_->enums.size());
    p_->enums.push_back({"", t.enumValues});
    return ty;
  }
  const std::string& s = t.text;
  if (s == "bool") return simple(ir::Kind::Bool);
  if (s == "text") return simple(ir::Kind::Text);
  if (s == "date") return simple(ir::Kind::Date);
  if (s == "country") return simple(ir::Kind::Country);
  if (s == "hs") return simple(ir::Kind::Hs);
  if (s == "number") return numType(rt::unitNone());
  if (auto* sym = lookup(s); sym && sym->kind == SymKind::Enumeration) {
    ty.kind = ir::Kind::Enum;
    ty.enumId = sym->index;
    return ty;
  }
  if (auto u = rt::unitParse(s)) return numType(*u);
  d_.error(code::kUnknownUnit, t.range, fmt::format("unknown type or unit '{}' (a unit like USD/t, or bool, text, date, country, number, one of {{...}})", s));
  return std::nullopt;
}

int Checker::enumIndex(const std::string& name) const {
  for (size_t i = 0; i < p_->enums.size(); ++i) if (p_->enums[i].first == name) return int(i);
  return -1;
}

// The run-time column for a value of type t (shipment attributes and registry columns).
// A field of an unresolved type (its error already reported): text, so checking goes on.
rt::FieldSpec Checker::specFor(const std::string& name, const std::optional<ir::Type>& t) const {
  if (t) return specFor(name, *t);
  rt::FieldSpec f;
  f.name = name;
  return f;
}

rt::FieldSpec Checker::specFor(const std::string& name, const ir::Type& t) const {
  rt::FieldSpec f;
  f.name = name;
  switch (t.kind) {
    case ir::Kind::Num: f.kind = rt::FieldKind::Decimal; f.unit = t.unit; break;
    case ir::Kind::Bool: f.kind = rt::FieldKind::Bool; break;
    case ir::Kind::Date: f.kind = rt::FieldKind::Date; break;
    case ir::Kind::Country: f.kind = rt::FieldKind::Country; break;
    case ir::Kind::Enum: f.kind = rt::FieldKind::Enum; f.enumValues = p_->enums[t.enumId].second; break;
    case ir::Kind::Hs: f.kind = rt::FieldKind::Hs; break;
    default: f.kind = rt::FieldKind::Text; break;
  }
  return f;
}

// ---- shipment schema --------------------------------------------------------------------------
void Checker::buildSchema() {
  auto& sc = p_->shipment;
  auto add = [&](const char* name, rt::FieldKind k, bool required, rt::Unit u = {}, int enumId = -1) {
    rt::FieldSpec f;
    f.name = name;
    f.kind = k;
    f.required = required;
    f.unit = u;
    if (enumId >= 0) f.enumValues = p_->enums[enumId].second;
    sc.add(f);
  };
  int mineral = enumIndex("mineral"), node = enumIndex("node");
  add("id", rt::FieldKind::Text, false);
  add("date", rt::FieldKind::Date, true);
  add("hs", rt::FieldKind::Hs, true);
  add("origin", rt::FieldKind::Country, true);
  add("export_country", rt::FieldKind::Country, false);
  add("exporter", rt::FieldKind::Text, false);
  add("producer", rt::FieldKind::Text, false);
  add("importer", rt::FieldKind::Text, false);
  add("facility", rt::FieldKind::Text, false);
  add("mineral", mineral >= 0 ? rt::FieldKind::Enum : rt::FieldKind::Text, false, {}, mineral);
  add("node", node >= 0 ? rt::FieldKind::Enum : rt::FieldKind::Text, false, {}, node);
  add("quantity", rt::FieldKind::Decimal, true, *rt::unitAtom("t"));
  add("value", rt::FieldKind::Decimal, true, money_);
  add("price_basis", rt::FieldKind::Text, false);
  add("flow", rt::FieldKind::Enum, false, {}, flowEnum_);
  add("destination", rt::FieldKind::Country, false);
  // A shipment has some quantity; a customs value is not negative (docs/formats.md).
  sc.fields[size_t(sc.find("quantity"))].sign = rt::Sign::Positive;
  sc.fields[size_t(sc.find("value"))].sign = rt::Sign::NonNegative;
  p_->fieldDefaults.assign(sc.fields.size(), 0);
  p_->hasDefault.assign(sc.fields.size(), 0);
  p_->fieldDefaultTexts.assign(sc.fields.size(), {});
  p_->hasDefault[ir::kFieldFlow] = 1;  // a shipment is an import unless it says otherwise (flow 0 = import)
  for (const auto* a : attrDecls_) {
    if (isStandardFieldName(a->name)) {  // refused by declare: the standard field keeps its name
      attrField_.push_back(-1);
      continue;
    }
    auto t = resolveType(a->type);
    rt::FieldSpec f = specFor(a->name, t);
    int idx = sc.add(f);
    attrField_.push_back(idx);
    p_->fieldDefaults.push_back(0);
    p_->hasDefault.push_back(0);
    p_->fieldDefaultTexts.emplace_back();
    if (a->dflt && t) {
      TExpr v = lowerValue(*a->dflt, &*t);
      auto c = v.ok() ? constValue(v.node) : std::nullopt;
      if (v.ok() && !c) d_.error(code::kTypeMismatch, a->dflt->range, "an attribute default must be a constant");
      else if (v.ok() && !sameType(v.type, *t)) d_.error(code::kTypeMismatch, a->dflt->range, fmt::format("default is {}, attribute is {}", typeName(v.type), typeName(*t)));
      else if (c) {
        TExpr cv = t->kind == ir::Kind::Num ? convert(v, t->unit, a->dflt->range) : v;
        if (cv.ok()) {
          const ir::Node* d = constNode(cv.node);
          p_->fieldDefaults[idx] = d->imm;
          p_->fieldDefaultTexts[idx] = d->str;  // a text or HS default is its text, not only its number
          p_->hasDefault[idx] = 1;
        }
      }
    }
  }
}

// ---- groups ---------------------------------------------------------------------------------
void Checker::lowerGroupMembers(const std::vector<ast::Member>& ms, std::vector<ir::Membership>& out) {
  for (const auto& m : ms) {
    int32_t from = INT32_MIN, until = INT32_MAX;
    if (m.from) from = parseDate(*m.from, m.fromRange);
    if (m.until) until = parseDate(*m.until, m.untilRange);
    if (m.from && m.until && until < from) d_.error(code::kDateOrder, m.range, fmt::format("'{}' leaves before it joins", m.name));
    Symbol* s = lookup(m.name);
    if (curGroupEnum_ >= 0 && s && s->kind == SymKind::EnumValue) {
      if (s->index != curGroupEnum_) {
        d_.error(code::kWrongKind, m.range, fmt::format("'{}' is not a value of `{}`", m.name, p_->enums[curGroupEnum_].first));
        continue;
      }
      out.push_back({s->enumValue, from, until});
      continue;
    }
    if (!s) {
      if (curGroupEnum_ >= 0) d_.error(code::kUndefined, m.range, fmt::format("'{}' is not a value of `{}` or a group", m.name, p_->enums[curGroupEnum_].first));
      else d_.error(code::kUndefined, m.range, fmt::format("unknown country or group '{}'", m.name));
      continue;
    }
    if (s->kind == SymKind::Country && curGroupEnum_ >= 0) {
      d_.error(code::kWrongKind, m.range, fmt::format("'{}' is a country; this group holds values of `{}`", m.name, p_->enums[curGroupEnum_].first));
    } else if (s->kind == SymKind::Country) {
      const std::string& c = p_->countries[s->index];
      out.push_back({rt::countryCode(c[0], c[1]), from, until});
    } else if (s->kind == SymKind::Group) {
      // Resolve through groupFrom: groups may be declared in any order and may form cycles.
      std::vector<ir::Membership> inner;
      ast::GroupExpr ref;
      ref.kind = ast::GroupExpr::Ref;
      ref.name = m.name;
      ref.range = m.range;
      groupFrom(ref, inner);
      for (auto mm : inner) {
        mm.from = std::max(mm.from, from);
        mm.until = std::min(mm.until, until);
        if (mm.from <= mm.until) out.push_back(mm);
      }
    } else {
      d_.error(code::kWrongKind, m.range, curGroupEnum_ >= 0 ? fmt::format("'{}' is not a value of `{}` or a group", m.name, p_->enums[curGroupEnum_].first)
                                                              : fmt::format("'{}' is not a country or a group", m.name));
    }
  }
}

// Canonical membership list: sorted by member, each member's periods merged where they overlap or
// touch. Membership on any date is unchanged.
void Checker::normalizeMembers(std::vector<ir::Membership>& ms) {
  std::sort(ms.begin(), ms.end(), [](const ir::Membership& x, const ir::Membership& y) {
    return x.country != y.country ? x.country < y.country : x.from < y.from;
  });
  size_t w = 0;
  for (size_t i = 0; i < ms.size(); ++i) {
    if (w > 0 && ms[w - 1].country == ms[i].country && int64_t(ms[i].from) <= int64_t(ms[w - 1].until) + 1) {
      ms[w - 1].until = std::max(ms[w - 1].until, ms[i].until);
      continue;
    }
    ms[w++] = ms[i];
  }
  ms.resize(w);
}

// Evaluates a group expression to a membership list. Returns 0, or -1 after an error.
int Checker::groupFrom(const ast::GroupExpr& g, std::vector<ir::Membership>& out) {
  switch (g.kind) {
    case ast::GroupExpr::List: lowerGroupMembers(g.members, out); return 0;
    case ast::GroupExpr::Ref: {
      if (g.name.empty()) return 0;
      Symbol* s = lookup(g.name);
      if (!s) { d_.error(code::kUndefined, g.range, fmt::format("unknown group '{}'", g.name)); return -1; }
      if (s->kind == SymKind::Country && curGroupEnum_ < 0) {
        const std::string& c = p_->countries[s->index];
        out.push_back({rt::countryCode(c[0], c[1]), INT32_MIN, INT32_MAX});
        return 0;
      }
      if (s->kind == SymKind::EnumValue && curGroupEnum_ >= 0 && s->index == curGroupEnum_) {
        out.push_back({s->enumValue, INT32_MIN, INT32_MAX});
        return 0;
      }
      if (s->kind != SymKind::Group) { d_.error(code::kWrongKind, g.range, fmt::format("'{}' is not a group", g.name)); return -1; }
      int i = s->index;
      if (groupEnum_[i] != curGroupEnum_) {
        auto holds = [&](int e) { return e < 0 ? std::string("countries") : fmt::format("values of `{}`", p_->enums[e].first); };
        d_.error(code::kWrongKind, g.range, fmt::format("group '{}' holds {}, not {}", g.name, holds(groupEnum_[i]), holds(curGroupEnum_)));
        return -1;
      }
      if (groupState_[i] == 1) { d_.error(code::kCycle, g.range, fmt::format("group '{}' is defined in terms of itself", g.name)); return -1; }
      if (groupState_[i] == 0 && groupChain_ >= limits::kMaxNesting) {
        if (!chainReported_)
          d_.error(code::kTooDeep, g.range, fmt::format("group '{}' starts a chain of more than {} groups each made from the next (the nesting limit)",
                                                        g.name, limits::kMaxNesting));
        chainReported_ = true;
        return -1;
      }
      if (groupState_[i] == 0) {
        groupState_[i] = 1;
        ++groupChain_;
        std::vector<ir::Membership> ms;
        groupFrom(*groupDecls_[i]->expr, ms);
        normalizeMembers(ms);
        p_->groups[i] = {groupDecls_[i]->name, ms, groupEnum_[i]};
        groupState_[i] = 2;
        --groupChain_;
      }
      out.insert(out.end(), p_->groups[i].members.begin(), p_->groups[i].members.end());
      return 0;
    }
    case ast::GroupExpr::Binary: {
      std::vector<ir::Membership> a, b;
      if (groupFrom(*g.lhs, a) < 0 || groupFrom(*g.rhs, b) < 0) return -1;
      // Operands in canonical form keep the work proportional to the distinct members, however
      // often groups are combined (g2 = g1 + g0, g3 = g2 + g1, ... once doubled at every step).
      normalizeMembers(a);
      normalizeMembers(b);
      if (g.op == '+') { out.insert(out.end(), a.begin(), a.end()); out.insert(out.end(), b.begin(), b.end()); return 0; }
      // Difference and intersection work per country on day ranges.
      for (const auto& x : a) {
        std::vector<std::pair<int32_t, int32_t>> pieces{{x.from, x.until}};
        std::vector<std::pair<int32_t, int32_t>> result;
        if (g.op == '&') {
          for (const auto& y : b)
            if (y.country == x.country) {
              int32_t f = std::max(x.from, y.from), u = std::min(x.until, y.until);
              if (f <= u) out.push_back({x.country, f, u});
            }
          continue;
        }
        for (const auto& y : b) {
          if (y.country != x.country) continue;
          std::vector<std::pair<int32_t, int32_t>> next;
          for (auto [f, u] : pieces) {
            if (y.until < f || y.from > u) { next.push_back({f, u}); continue; }
            if (y.from > f) next.push_back({f, y.from - 1});
            if (y.until < u) next.push_back({y.until + 1, u});
          }
          pieces = next;
        }
        for (auto [f, u] : pieces) out.push_back({x.country, f, u});
      }
      return 0;
    }
  }
  return 0;
}

void Checker::lowerGroups() {
  groupEnum_.assign(groupDecls_.size(), -1);
  for (size_t i = 0; i < groupDecls_.size(); ++i) {
    const ast::GroupDecl& g = *groupDecls_[i];
    if (g.elemType.empty() || g.elemType == "country") continue;
    Symbol* s = lookup(g.elemType);
    if (!s || s->kind != SymKind::Enumeration)
      d_.error(code::kUndefined, g.elemRange, fmt::format("'{}' is not an enumeration (a group holds countries, or values of an enumeration such as `mineral`)", g.elemType));
    else
      groupEnum_[i] = s->index;
  }
  for (size_t i = 0; i < groupDecls_.size(); ++i) {
    curGroupEnum_ = groupEnum_[i];
    ast::GroupExpr ref;
    ref.kind = ast::GroupExpr::Ref;
    ref.name = groupDecls_[i]->name;
    ref.range = groupDecls_[i]->range;
    std::vector<ir::Membership> tmp;
    bool wasUsed = syms_[ref.name].used;
    groupFrom(ref, tmp);
    syms_[ref.name].used = wasUsed;  // resolving a group is not a use of it
  }
  curGroupEnum_ = -1;
}

// ---- schedules ------------------------------------------------------------------------------
void Checker::lowerSchedules() {
  for (const auto* s : scheduleDecls_) {
    ir::Schedule sc;
    sc.name = s->name;
    sc.pos = pos(s->range);
    if (s->kind == "linear") sc.linear = true;
    else if (s->kind != "step") d_.error(code::kTypeMismatch, s->kindRange, fmt::format("unknown schedule kind '{}'; use step or linear", s->kind));
    auto t = resolveType(s->type);
    if (t && t->kind != ir::Kind::Num) { d_.error(code::kTypeMismatch, s->type.range, "a schedule holds numbers with a unit"); t.reset(); }
    int32_t last = INT32_MIN;
    bool haveBefore = false;
    for (const auto& pt : s->points) {
      // A second `before:` would replace the first without a word, as a repeated date would.
      if (!pt.date && haveBefore) {
        d_.error(code::kScheduleOrder, pt.range, fmt::format("schedule '{}' has two `before:` points", s->name));
        continue;
      }
      haveBefore = haveBefore || !pt.date;
      TExpr v = lowerValue(*pt.value, t ? &*t : nullptr);
      if (!v.ok() || !t) continue;
      if (v.type.kind != ir::Kind::Num || !v.type.unit.sameDimension(t->unit)) {
        d_.error(code::kUnitMismatch, pt.value->range, fmt::format("schedule '{}' holds {}, this value is {}", s->name, typeName(*t), typeName(v.type)));
        continue;
      }
      TExpr cv = convert(v, t->unit, pt.value->range);
      auto c = cv.ok() ? constValue(cv.node) : std::nullopt;
      if (!c) { d_.error(code::kTypeMismatch, pt.value->range, "schedule values must be constants"); continue; }
      if (!pt.date) { sc.hasBefore = true; sc.before = *c; continue; }
      if (!rt::dateParse(*pt.date)) { parseDate(*pt.date, pt.range); continue; }
      int32_t d = parseDate(*pt.date, pt.range);
      if (d <= last) d_.error(code::kScheduleOrder, pt.range, fmt::format("schedule dates must increase: {} is not after the previous point", *pt.date));
      last = d;
      sc.points.push_back({d, *c});
    }
    if (sc.points.empty()) d_.error(code::kScheduleOrder, s->range, fmt::format("schedule '{}' has no dated point", s->name));
    p_->schedules.push_back(sc);
  }
}

// ---- registries -----------------------------------------------------------------------------
void Checker::lowerRegistries() {
  for (const auto* r : registryDecls_) {
    ir::Registry reg;
    reg.name = r->name;
    auto col = [&](const char* name, rt::FieldKind k, bool req, rt::Unit u = {}) {
      rt::FieldSpec f;
      f.name = name; f.kind = k; f.required = req; f.unit = u;
      reg.columns.add(f);
    };
    if (!r->builtin.empty()) {
      if (r->builtin != "ownership") {
        d_.error(code::kUndefined, r->keyRange, fmt::format("unknown registry kind '{}'; the built-in kind is `ownership`", r->builtin));
      } else {
        reg.ownership = true;
        if (ownershipRegistry_ >= 0) d_.error(code::kDuplicate, r->range, "an agreement declares one ownership registry");
        ownershipRegistry_ = int(p_->registries.size());
        col("entity", rt::FieldKind::Text, true);
        col("owner", rt::FieldKind::Text, true);
        col("share", rt::FieldKind::Decimal, true, *rt::unitAtom("%"));
        col("country", rt::FieldKind::Country, false);
      }
    } else {
      // Keyed by a shipment field of country or enumeration type (`by mineral`, `by origin`): the key
      // column takes that type, so rows are checked and `crises[mineral]` matches by value.
      int kf = p_->shipment.find(r->key);
      if (r->key == "origin" || r->key == "declared_origin") kf = ir::kFieldOrigin;
      if (kf >= 0 && (p_->shipment.fields[kf].kind == rt::FieldKind::Country || p_->shipment.fields[kf].kind == rt::FieldKind::Enum)) {
        rt::FieldSpec f = p_->shipment.fields[kf];
        f.name = r->key;
        f.required = true;
        reg.columns.add(f);
      } else {
        col(r->key.c_str(), rt::FieldKind::Text, true);
      }
      reg.effective = r->effective;
      std::set<std::string> declared;
      for (const auto& c : r->columns) {
        if (c.name == r->key || (r->effective && (c.name == "from" || c.name == "until"))) {
          d_.error(code::kDuplicate, c.range, fmt::format("column '{}' is already part of the registry", c.name));
          continue;
        }
        // The schema would keep both and a row could fill only one: the name must be unique.
        if (!declared.insert(c.name).second) {
          d_.error(code::kDuplicate, c.range, fmt::format("column '{}' is declared twice in registry '{}'", c.name, r->name));
          continue;
        }
        auto t = resolveType(c.type);
        rt::FieldSpec f = specFor(c.name, t);
        reg.columns.add(f);
      }
      if (r->effective) { col("from", rt::FieldKind::Date, false); col("until", rt::FieldKind::Date, false); }
    }
    p_->registries.push_back(reg);
  }
}

// ---- scopes ---------------------------------------------------------------------------------
void Checker::lowerScopes() {
  for (const auto* s : scopeDecls_) {
    ir::Scope sc;
    sc.name = s->name;
    // Each name is a value of the enumeration or a group of such values (`ree`, `battery_minerals`).
    // An unknown name is reported at the name (the declaration's range if the AST has none).
    auto resolve = [&](const std::vector<std::string>& names, const std::vector<SourceRange>& ranges, const char* enumName,
                       std::vector<int>& out, std::vector<int>& groups) {
      int ei = enumIndex(enumName);
      for (size_t i = 0; i < names.size(); ++i) {
        const std::string& n = names[i];
        if (n == "any") continue;
        Symbol* sym = lookup(n);
        if (ei < 0) { d_.error(code::kUndefined, s->range, fmt::format("no `{}` enumeration is declared (add `use std.minerals`)", enumName)); return; }
        if (sym && sym->kind == SymKind::Group && groupEnum_[sym->index] == ei) { groups.push_back(sym->index); continue; }
        if (!sym || sym->kind != SymKind::EnumValue || sym->index != ei) {
          d_.error(code::kUndefined, i < ranges.size() ? ranges[i] : s->range,
                   fmt::format("'{}' is not a {} or a group of them (see the `{}` enumeration)", n, enumName, enumName));
          continue;
        }
        out.push_back(sym->enumValue);
      }
    };
    resolve(s->minerals, s->mineralRanges, "mineral", sc.minerals, sc.mineralGroups);
    resolve(s->nodes, s->nodeRanges, "node", sc.nodes, sc.nodeGroups);
    if (s->where) {
      TExpr w = expectBool(*s->where);
      if (w.ok()) sc.where = w.node;
    }
    p_->scopes.push_back(sc);
  }
}

// The scopes of an `on` list. An unknown name is reported at the name itself (ranges, one per name),
// or at the clause (r) when the AST has no range for it.
static std::vector<int> resolveScopes(Checker& c, const std::vector<std::string>& names,
                                      const std::vector<SourceRange>& ranges, SourceRange r) {
  std::vector<int> out;
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string& n = names[i];
    Symbol* s = c.lookup(n);
    if (!s || s->kind != SymKind::Scope) {
      c.d_.error(code::kUndefined, i < ranges.size() ? ranges[i] : r, fmt::format("'{}' is not a declared scope", n));
      continue;
    }
    out.push_back(s->index);
  }
  return out;
}

// ---- clause names ------------------------------------------------------------------------------
// Origin rules, measures and quotas are named in one namespace, apart from the declarations but
// not clashing with them: examples and assessments name a clause, so a name must say which.
void Checker::claimClauseName(const std::string& name, SourceRange r) {
  if (syms_.count(name)) {
    d_.error(code::kDuplicate, r, fmt::format("'{}' is already defined", name));
    return;
  }
  auto [it, fresh] = clauseNames_.emplace(name, r);
  if (fresh) return;
  d_.error(code::kDuplicate, r, fmt::format("'{}' is already defined", name));
  d_.note(it->second, fmt::format("'{}' was first defined here", name));
}

// ---- origin rules -----------------------------------------------------------------------------
void Checker::lowerOriginRules() {
  for (const auto* rule : [&] { std::vector<const ast::OriginRule*> v; for (auto& m : mods_) for (auto& o : m.originRules) v.push_back(&o); return v; }()) {
    ir::OriginRule o;
    o.name = rule->name;
    o.legal = rule->legal;
    o.pos = pos(rule->range);
    claimClauseName(rule->name, rule->range);
    o.scopes = resolveScopes(*this, rule->scopes, rule->scopeRanges, rule->range);
    TExpr w = expectBool(*rule->when);
    ir::Type country = simple(ir::Kind::Country);
    TExpr b = lowerValue(*rule->becomes, &country);
    if (b.ok() && b.type.kind != ir::Kind::Country)
      d_.error(code::kTypeMismatch, rule->becomes->range, fmt::format("an origin rule sets a country, not {}", typeName(b.type)));
    if (w.ok()) o.when = uint32_t(w.node);
    if (b.ok()) o.becomes = uint32_t(b.node);
    p_->originRules.push_back(o);
  }
}

// ---- measures -------------------------------------------------------------------------------
// One statement of a measure (or of a quota's in/over part); locals_ holds the names in scope.
ir::Stmt Checker::lowerStmt(const ast::Stmt& st) {
  ir::Stmt s;
  s.pos = pos(st.range);
  s.label = st.label;
  if (st.when) { TExpr w = expectBool(*st.when); if (w.ok()) s.when = w.node; }
  switch (st.kind) {
    case ast::Stmt::Let: {
      s.kind = ir::Stmt::Let;
      std::optional<ir::Type> t;
      if (st.type) t = resolveType(*st.type);
      TExpr v = lowerValue(*st.value, t ? &*t : nullptr);
      if (!v.ok()) break;
      if (t && t->kind == ir::Kind::Num && v.type.kind == ir::Kind::Num) v = convert(v, t->unit, st.value->range);
      else if (t && !sameType(*t, v.type)) d_.error(code::kTypeMismatch, st.value->range, fmt::format("'{}' is declared {}, the value is {}", st.name, typeName(*t), typeName(v.type)));
      if (!v.ok()) break;
      if (isStandardFieldName(st.name))
        d_.error(code::kDuplicate, st.range, fmt::format("'{}' is a standard shipment field", st.name));
      else if (locals_.back().count(st.name) || syms_.count(st.name))
        d_.error(code::kDuplicate, st.range, fmt::format("'{}' is already defined", st.name));
      s.slot = nextSlot_++;
      s.value = v.node;
      locals_.back()[st.name] = {s.slot, v.type};
      break;
    }
    case ast::Stmt::Duty: {
      s.kind = ir::Stmt::Duty;
      TExpr v = lowerValue(*st.value);
      if (!v.ok()) break;
      if (v.type.kind != ir::Kind::Num || !v.type.unit.sameDimension(money_)) {
        d_.error(code::kCurrency, st.value->range,
                 fmt::format("a duty is an amount in {} (the currency of account), this is {}", p_->currency, typeName(v.type)));
        break;
      }
      const ast::Expr& ve = *st.value;
      if (ve.kind == ast::ExprKind::Binary && (ve.op == ast::BinOp::Mul || ve.op == ast::BinOp::Of)) {
        // The line's rate and base: the factors as written (`90 % of value`).
        const ir::Node& n = p_->nodes[v.node];
        const ir::Node* mul = &n;
        if (n.op == ir::Op::Scale) mul = &p_->nodes[p_->kids[n.kidsBegin]];
        if (mul->op == ir::Op::Mul && mul->kidsCount == 2) {
          s.rate = int(p_->kids[mul->kidsBegin]);
          s.base = int(p_->kids[mul->kidsBegin + 1]);
        }
      }
      v = convert(v, money_, st.value->range);
      if (v.ok()) s.value = v.node;
      break;
    }
    case ast::Stmt::Outcome:
      s.kind = ir::Stmt::Outcome;
      s.outcome = st.outcome == "admit" ? ir::OutcomeKind::Admit : st.outcome == "refuse" ? ir::OutcomeKind::Refuse
                : st.outcome == "detain" ? ir::OutcomeKind::Detain : st.outcome == "prohibit" ? ir::OutcomeKind::Prohibit
            : ir::OutcomeKind::Licence;
      break;
    case ast::Stmt::Flag:
      s.kind = ir::Stmt::Outcome;
      s.outcome = ir::OutcomeKind::Flag;
      break;
  }
  return s;
}

void Checker::lowerMeasures() {
  for (const auto& m : mods_) {
    int blockBase = int(p_->blocks.size());
    for (const auto& b : m.blocks) p_->blocks.push_back({b.kind, b.label, {}});
    for (const auto& md : m.measures) {
      ir::Measure me;
      me.name = md.name;
      me.legal = md.legal;
      me.pos = pos(md.range);
      claimClauseName(md.name, md.range);
      me.scopes = resolveScopes(*this, md.scopes, md.scopeRanges, md.range);
      if (md.when) { TExpr w = expectBool(*md.when); if (w.ok()) me.when = w.node; }
      locals_.emplace_back();
      nextSlot_ = 0;
      for (const auto& st : md.stmts) me.stmts.push_back(lowerStmt(st));
      me.slots = nextSlot_;
      locals_.pop_back();
      if (md.block >= 0) {
        me.block = blockBase + md.block;
        p_->blocks[me.block].measures.push_back(int(p_->measures.size()));
      }
      p_->measures.push_back(std::move(me));
    }
  }
}

// ---- tariff-rate quotas -------------------------------------------------------------------------
// A quota is lowered to a measure (its scope, condition and statements) plus the quota settings.
void Checker::lowerQuotas() {
  for (const auto& m : mods_)
    for (const auto& qd : m.quotas) {
      ir::Quota q;
      q.name = qd.name;
      q.legal = qd.legal;
      q.pos = pos(qd.range);
      ir::Measure me;
      me.name = qd.name;
      me.legal = qd.legal;
      me.pos = q.pos;
      claimClauseName(qd.name, qd.range);
      me.scopes = resolveScopes(*this, qd.scopes, qd.scopeRanges, qd.range);
      for (const auto& r : qd.repeatedParts)
        d_.error(code::kDuplicate, r.range, fmt::format("`{}` is set twice in quota '{}'", r.part, qd.name));
      if (qd.when) { TExpr w = expectBool(*qd.when); if (w.ok()) me.when = w.node; }
      bool haveVolume = false, havePeriod = false;
      std::set<std::string> seen;
      for (const auto& f : qd.settings) {
        if (f.field[0] == '?') {
          d_.error(code::kBadCall, f.range, fmt::format("unknown quota part '{}': write `in quota {{ ... }}` or `over quota {{ ... }}`", f.field.substr(1)));
          continue;
        }
        if (!seen.insert(f.field).second) { d_.error(code::kDuplicate, f.range, fmt::format("'{}' is set twice", f.field)); continue; }
        const ast::Expr& v = *f.value;
        if (f.field == "order") {
          if (v.kind != ast::ExprKind::String) d_.error(code::kTypeMismatch, v.range, "the order number is a string (`order: \"09.1234\"`)");
          else q.order = v.text;
        } else if (f.field == "period") {
          havePeriod = true;
          static const std::pair<const char*, ir::QuotaPeriod> kPeriods[] = {{"calendar_year", ir::QuotaPeriod::Year},
              {"quarter", ir::QuotaPeriod::Quarter}, {"month", ir::QuotaPeriod::Month}, {"whole_term", ir::QuotaPeriod::Whole}};
          bool ok = false;
          for (auto [w, per] : kPeriods) if (v.kind == ast::ExprKind::Name && v.text == w) { q.period = per; ok = true; }
          if (!ok) d_.error(code::kTypeMismatch, v.range, "the quota period is calendar_year, quarter, month or whole_term");
        } else if (f.field == "volume") {
          haveVolume = true;
          TExpr x = lowerValue(v);
          if (!x.ok()) continue;
          rt::Unit t = *rt::unitAtom("t");
          if (x.type.kind != ir::Kind::Num || !x.type.unit.sameDimension(t)) {
            d_.error(code::kUnitMismatch, v.range, fmt::format("a quota volume is a mass (e.g. 2000 t), this is {}", typeName(x.type)));
            continue;
          }
          x = convert(x, t, v.range);
          if (x.ok()) q.volume = uint32_t(x.node);
        } else if (f.field == "per") {
          TExpr x = lowerValue(v);
          if (!x.ok()) continue;
          if (x.type.kind != ir::Kind::Text && x.type.kind != ir::Kind::Country && x.type.kind != ir::Kind::Enum) {
            d_.error(code::kTypeMismatch, v.range, fmt::format("a quota is kept per text, country or enumeration value, not per {}", typeName(x.type)));
            continue;
          }
          q.key = x.node;
          q.keyKind = x.type.kind == ir::Kind::Country ? 1 : x.type.kind == ir::Kind::Enum ? 2 : 0;
          q.keyEnum = x.type.enumId;
        } else {
          d_.error(code::kBadCall, f.range, fmt::format("unknown quota setting '{}' (order, period, volume, per)", f.field));
        }
      }
      if (!haveVolume) d_.error(code::kBadCall, qd.range, fmt::format("quota '{}' needs a `volume: ...`", qd.name));
      if (!havePeriod) d_.error(code::kBadCall, qd.range, fmt::format("quota '{}' needs a `period:` (calendar_year, quarter, month or whole_term)", qd.name));
      if (!qd.hasOver) d_.error(code::kBadCall, qd.range, fmt::format("quota '{}' must say what the quantity over the quota pays: `over quota {{ ... }}`", qd.name));
      locals_.emplace_back();
      nextSlot_ = 0;
      // Each part has its own local names: a let of the in-quota part is not set when only the
      // over-quota part runs.
      for (int section = 1; section <= 2; ++section) {
        locals_.emplace_back();
        for (const auto& st : section == 1 ? qd.inQuota : qd.overQuota) {
          ir::Stmt s = lowerStmt(st);
          s.section = uint8_t(section);
          me.stmts.push_back(std::move(s));
        }
        locals_.pop_back();
      }
      locals_.pop_back();
      me.slots = nextSlot_;
      me.quota = int(p_->quotas.size());
      q.measure = uint32_t(p_->measures.size());
      p_->measures.push_back(std::move(me));
      p_->quotas.push_back(std::move(q));
    }
}

// ---- HS classification ------------------------------------------------------------------------
void Checker::lowerClassifications() {
  int mineralEnum = enumIndex("mineral"), nodeEnum = enumIndex("node");
  std::vector<ir::Classification> all;
  for (const auto& m : mods_)
    for (const auto& cd : m.classifications) {
      auto value = [&](const std::string& name, int en, const char* what) {
        Symbol* s = lookup(name);
        if (en >= 0 && s && s->kind == SymKind::EnumValue && s->index == en) return s->enumValue;
        d_.error(code::kUndefined, cd.range, en < 0 ? fmt::format("no `{}` enumeration is declared (add `use std.minerals`)", what)
                                                    : fmt::format("'{}' is not a {}", name, what));
        return -1;
      };
      ir::Classification c;
      c.pos = pos(cd.range);
      c.mineral = value(cd.mineral, mineralEnum, "mineral");
      if (!cd.node.empty()) c.node = value(cd.node, nodeEnum, "node");
      if (cd.when) { TExpr w = expectBool(*cd.when); if (w.ok()) c.when = w.node; }
      for (const auto& pre : cd.prefixes) {
        std::string digits;
        for (char ch : pre) if (ch != '.') digits += ch;
        if (digits.size() < 2 || digits.size() > 10) { d_.error(code::kBadLiteral, cd.range, fmt::format("'{}' is not an HS code or prefix (2 to 10 digits)", pre)); continue; }
        c.prefix = digits;
        all.push_back(c);
      }
    }
  // The most specific prefix decides; at equal length the first declaration (the agreement file
  // comes before the modules it uses).
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.prefix.size() > b.prefix.size(); });
  p_->classifications = std::move(all);
}

void Checker::reportUnused() {
  for (const auto& [name, s] : syms_) {
    if (s.used || !s.fromAgreement) continue;
    if (s.kind == SymKind::Country || s.kind == SymKind::EnumValue || s.kind == SymKind::Enumeration) continue;
    if (name == "parties") continue;
    // Attributes and registries are part of the agreement's input contract even when unused.
    if (s.kind == SymKind::Attribute || s.kind == SymKind::Registry) continue;
    d_.warning(code::kUnused, s.range, fmt::format("'{}' is defined but never used", name));
  }
}

}  // namespace lode::sema
