// Readable IR dump for `lode check --dump=ir`: one line per definition, rule and statement, with
// expressions in prefix form.
#include <fmt/format.h>

#include "compiler/ir/ir.h"
#include "runtime/date.h"

namespace lode::ir {

const char* outcomeName(OutcomeKind k) {
  switch (k) {
    case OutcomeKind::Admit: return "admit";
    case OutcomeKind::Refuse: return "refuse";
    case OutcomeKind::Detain: return "detain";
    case OutcomeKind::Licence: return "licence";
    case OutcomeKind::Flag: return "flag";
    case OutcomeKind::Prohibit: return "prohibit";
  }
  return "?";
}

static const char* opName(Op op) {
  static const char* const kNames[] = {"const", "field", "origin", "unit_price", "local", "global", "add", "sub", "mul", "div",
      "neg", "abs", "scale", "min", "max", "round", "lt", "le", "gt", "ge", "eq", "ne", "and", "or", "not", "if", "in_group",
      "in_list", "hs_in", "series", "schedule", "reg_lookup", "reg_has", "owned_share", "bands", "progressive", "otherwise", "days_between", "present", "date_add"};
  return kNames[static_cast<int>(op)];
}

static std::string expr(const Program& p, uint32_t i) {
  const Node& n = p.nodes[i];
  switch (n.op) {
    case Op::Const:
      switch (n.kind) {
        case Kind::Num: return rt::decFormat(n.imm);
        case Kind::Date: return rt::dateFormat(int32_t(n.imm));
        case Kind::Bool: return n.imm ? "true" : "false";
        case Kind::Country: return rt::countryText(n.imm);
        case Kind::Text: return fmt::format("\"{}\"", n.str);
        case Kind::Hs: return "hs:" + n.str;
        case Kind::Enum: return fmt::format("enum:{}", n.imm);
        default: return "?";
      }
    case Op::Field: return "$" + p.shipment.fields[n.a].name;
    case Op::Origin: return "origin";
    case Op::UnitPrice: return "unit_price";
    case Op::Local: return fmt::format("local{}", n.a);
    case Op::Global: return "@" + p.defs[n.a].name;
    case Op::Schedule: return "schedule:" + p.schedules[n.a].name;
    default: break;
  }
  std::string s = fmt::format("({}", opName(n.op));
  if (n.op == Op::Scale) s += fmt::format(" {}/{}", n.imm, n.imm2);
  if ((n.op == Op::Mul || n.op == Op::Div) && n.imm > 1) s += fmt::format(" *{}", n.imm);
  if ((n.op == Op::Mul || n.op == Op::Div) && n.imm2 > 1) s += fmt::format(" /{}", n.imm2);
  if (n.kind == Kind::Bool && n.imm > 0 && n.op >= Op::Lt && n.op <= Op::Ne) s += fmt::format(" *{} vs *{}", n.imm, n.imm2);
  if (n.op == Op::InGroup || n.op == Op::OwnedShare) s += " " + p.groups[n.a].name;
  if (n.op == Op::SeriesAgg) s += fmt::format(" {} fn{} window{} lag{}", p.series[n.a].name, int(n.b), n.imm, n.imm2);
  if (n.op == Op::RegLookup || n.op == Op::RegHas) s += " " + p.registries[n.a].name;
  if (n.op == Op::RegLookup) s += "." + p.registries[n.a].columns.fields[n.b].name;
  if (n.op == Op::HsIn) for (const auto& pre : p.strLists[n.a]) s += " " + pre;
  if (n.op == Op::Round) s += " " + rt::decFormat(n.imm);
  const uint32_t* k = p.kidsOf(n);
  for (uint32_t j = 0; j < n.kidsCount; ++j) s += " " + expr(p, k[j]);
  if (n.op == Op::Bands || n.op == Op::Progressive)
    for (const auto& b : p.bandTables[n.a].bands)
      s += fmt::format(" [{}{}, {}{} -> {}]", b.loIncl ? "[" : "(", b.loInf ? "-inf" : rt::decFormat(b.lo),
                       b.hiInf ? "inf" : rt::decFormat(b.hi), b.hiIncl ? "]" : ")", expr(p, b.value));
  return s + ")";
}

std::string dumpProgram(const Program& p, const SourceManager& sm) {
  std::string out = fmt::format("program \"{}\" currency {} rounding quantum {} {}\n", p.title, p.currency,
                                rt::decFormat(p.rounding.quantum), p.rounding.perLine ? "per line" : "on total");
  for (size_t i = 0; i < p.shipment.fields.size(); ++i) out += fmt::format("field {} {}\n", i, p.shipment.fields[i].name);
  for (const auto& g : p.groups) out += fmt::format("group {} ({} memberships)\n", g.name, g.members.size());
  for (const auto& d : p.defs) out += fmt::format("def {} = {}\n", d.name, expr(p, d.node));
  for (const auto& s : p.schedules) out += fmt::format("schedule {} {} ({} points)\n", s.name, s.linear ? "linear" : "step", s.points.size());
  for (const auto& o : p.originRules) out += fmt::format("origin rule {} when {} becomes {}\n", o.name, expr(p, o.when), expr(p, o.becomes));
  for (const auto& m : p.measures) {
    out += fmt::format("measure {} \"{}\"{}\n", m.name, m.legal, m.block >= 0 ? fmt::format(" block {}", m.block) : "");
    if (m.when >= 0) out += fmt::format("  when {}\n", expr(p, uint32_t(m.when)));
    for (const auto& s : m.stmts) {
      std::string cond = s.when >= 0 ? " when " + expr(p, uint32_t(s.when)) : "";
      if (s.kind == Stmt::Let) out += fmt::format("  let local{} = {}\n", s.slot, expr(p, uint32_t(s.value)));
      else if (s.kind == Stmt::Duty) out += fmt::format("  duty{} : {}\n", cond, expr(p, uint32_t(s.value)));
      else out += fmt::format("  {} \"{}\"{}\n", outcomeName(s.outcome), s.label, cond);
    }
  }
  (void)sm;
  return out;
}

}  // namespace lode::ir
