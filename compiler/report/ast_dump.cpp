#include "compiler/report/ast_dump.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace lode::report {

namespace {

const char* binOpText(ast::BinOp op) {
  switch (op) {
    case ast::BinOp::Add: return "+";
    case ast::BinOp::Sub: return "-";
    case ast::BinOp::Mul: return "*";
    case ast::BinOp::Div: return "/";
    case ast::BinOp::Of: return "of";
    case ast::BinOp::Lt: return "<";
    case ast::BinOp::Le: return "<=";
    case ast::BinOp::Gt: return ">";
    case ast::BinOp::Ge: return ">=";
    case ast::BinOp::Eq: return "==";
    case ast::BinOp::Ne: return "!=";
    case ast::BinOp::And: return "and";
    case ast::BinOp::Or: return "or";
  }
  return "?";
}

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') { out += "\\n"; continue; }
    out += c;
  }
  return out + '"';
}

std::string sx(const ast::ExprPtr& e) { return e ? exprSexpr(*e) : std::string("<none>"); }

std::string kidsText(const ast::Expr& e, size_t from = 0) {
  std::string s;
  for (size_t i = from; i < e.kids.size(); ++i) s += ' ' + sx(e.kids[i]);
  return s;
}

std::string bandText(const ast::Band& b) {
  std::string lo = b.lo ? sx(b.lo) : "-inf";
  std::string hi = b.hi ? sx(b.hi) : "+inf";
  return fmt::format("(band {}{} {}{} {})", b.loIncl && b.lo ? "[" : "(", lo, hi, b.hiIncl && b.hi ? "]" : ")",
                     sx(b.value));
}

std::string typeText(const ast::TypeRef& t) {
  if (!t.isEnum) return t.text;
  std::string s = "one of {";
  for (size_t i = 0; i < t.enumValues.size(); ++i) s += (i ? ", " : " ") + t.enumValues[i];
  return s + " }";
}

std::string memberText(const ast::Member& m) {
  std::string s = m.name;
  if (m.from) s += " from " + *m.from;
  if (m.until) s += " until " + *m.until;
  return s;
}

std::string membersText(const std::vector<ast::Member>& ms) {
  std::string s = "[";
  for (size_t i = 0; i < ms.size(); ++i) s += (i ? ", " : "") + memberText(ms[i]);
  return s + "]";
}

std::string groupText(const ast::GroupExpr* g) {
  if (!g) return "<none>";
  switch (g->kind) {
    case ast::GroupExpr::Ref: return g->name;
    case ast::GroupExpr::List: return membersText(g->members);
    case ast::GroupExpr::Binary:
      return fmt::format("({} {} {})", g->op, groupText(g->lhs.get()), groupText(g->rhs.get()));
  }
  return "?";
}

std::string joined(const std::vector<std::string>& xs, const char* sep = ", ") {
  std::string s;
  for (size_t i = 0; i < xs.size(); ++i) s += (i ? sep : "") + xs[i];
  return s;
}

// Declarations are collected with their start offset and sorted, so the dump follows the file even
// though the module keeps one list per declaration kind.
struct Entry {
  uint32_t begin;
  int order;  // keeps a measure after its enclosing block when both start at the same offset
  std::string text;
};

class Dumper {
 public:
  Dumper(const ast::Module& m, const SourceManager& sm) : m_(m), sm_(sm) {}

  std::string run() {
    collect();
    std::stable_sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
      return a.begin != b.begin ? a.begin < b.begin : a.order < b.order;
    });
    std::string out = fmt::format("module {}{}\n", sm_.path(m_.file), m_.broken ? " (broken: syntax errors)" : "");
    for (const Entry& e : entries_) out += e.text;
    return out;
  }

 private:
  std::string at(const SourceRange& r) const {
    LineCol lc = sm_.lineCol(r.file, r.begin);
    return fmt::format("{}:{}", lc.line, lc.col);
  }
  void add(const ast::Node& n, std::string text, int order = 0) {
    entries_.push_back({n.range.begin, order, std::move(text)});
  }
  std::string line(const ast::Node& n, const std::string& indent, const std::string& body) const {
    return fmt::format("{}{:<8} {}\n", indent, at(n.range), body);
  }
  // A continuation line without a position of its own, aligned with line()'s bodies.
  static std::string cont(const std::string& indent, const std::string& body) {
    return fmt::format("{}{:<8} {}\n", indent, "", body);
  }

  void collect() {
    if (m_.header) header(*m_.header, "agreement");
    for (const auto& h : m_.extraHeaders) header(h, "agreement (duplicate)");
    for (const auto& u : m_.uses) add(u, line(u, "", fmt::format("use {}", u.isFile ? quoted(u.path) : u.path)));
    for (const auto& c : m_.countries) add(c, line(c, "", fmt::format("country {} {}", c.code, quoted(c.name))));
    for (const auto& e : m_.enumerations)
      add(e, line(e, "", fmt::format("enumeration {} {{ {} }}", e.name, joined(e.values))));
    for (const auto& g : m_.groups) add(g, line(g, "", fmt::format("group {} = {}", g.name, groupText(g.expr.get()))));
    for (const auto& p : m_.parties) {
      std::string t = line(p, "", "parties");
      for (const auto& r : p.roles) t += line(r, "  ", fmt::format("role {}: {}", r.name, membersText(r.members)));
      add(p, std::move(t));
    }
    for (const auto& a : m_.attributes)
      add(a, line(a, "", fmt::format("attribute {}: {}{}", a.name, typeText(a.type),
                                     a.dflt ? " default " + sx(a.dflt) : "")));
    for (const auto& s : m_.scopes)
      add(s, line(s, "", fmt::format("scope {} = {} at {}{}", s.name, s.minerals.empty() ? "*" : joined(s.minerals, " | "),
                                     s.nodes.empty() ? "*" : joined(s.nodes, " | "),
                                     s.where ? " where " + sx(s.where) : "")));
    for (const auto& s : m_.series)
      add(s, line(s, "", fmt::format("series {} = {} in {}", s.name, quoted(s.key), typeText(s.unit))));
    for (const auto& l : m_.lets)
      add(l, line(l, "", fmt::format("{} {}{} = {}", l.isReference ? "reference" : "let", l.name,
                                     l.type ? ": " + typeText(*l.type) : "", sx(l.value))));
    for (const auto& s : m_.schedules) {
      std::string t = line(s, "", fmt::format("schedule {}: {} = {}", s.name, typeText(s.type), s.kind));
      for (const auto& pt : s.points)
        t += line(pt, "  ", fmt::format("{}: {}", pt.date ? *pt.date : "before", sx(pt.value)));
      add(s, std::move(t));
    }
    for (const auto& r : m_.registries) {
      std::string t;
      if (!r.builtin.empty()) {
        t = line(r, "", fmt::format("registry {}: {}", r.name, r.builtin));
      } else {
        t = line(r, "", fmt::format("registry {} by {}{}", r.name, r.key, r.effective ? " effective" : ""));
        for (const auto& c : r.columns) t += line(c, "  ", fmt::format("column {}: {}", c.name, typeText(c.type)));
      }
      add(r, std::move(t));
    }
    for (const auto& o : m_.originRules)
      add(o, line(o, "", fmt::format("origin rule {}{}{} when {} becomes {}", o.name,
                                     o.legal.empty() ? "" : " " + quoted(o.legal),
                                     o.scopes.empty() ? "" : " on " + joined(o.scopes), sx(o.when), sx(o.becomes))));
    for (const auto& b : m_.blocks)
      add(b, line(b, "", fmt::format("{}{}", b.kind, b.label.empty() ? "" : " " + quoted(b.label))), 0);
    for (const auto& ms : m_.measures) measure(ms);
    for (const auto& q : m_.quotas) add(q, line(q, "", fmt::format("quota {}", q.name)));
    for (const auto& ex : m_.examples) example(ex);
  }

  void header(const ast::Header& h, const char* what) {
    std::string t = line(h, "", fmt::format("{} {}", what, quoted(h.title)));
    if (h.version) t += cont("  ", "version " + quoted(*h.version));
    if (!h.legal.empty()) {
      std::vector<std::string> q;
      for (const auto& l : h.legal) q.push_back(quoted(l));
      t += cont("  ", "legal " + joined(q));
    }
    if (h.currency) t += cont("  ", "currency " + *h.currency);
    if (h.rounding)
      t += cont("  ", fmt::format("rounding {} to {} {}", h.rounding->mode, sx(h.rounding->quantum), h.rounding->stage));
    if (h.inForce)
      t += cont("  ", fmt::format("in force from {}{}", *h.inForce, h.expiry ? " until " + *h.expiry : ""));
    add(h, std::move(t));
  }

  void measure(const ast::MeasureDecl& ms) {
    const char* indent = ms.block >= 0 ? "  " : "";
    std::string t = line(ms, indent, fmt::format("measure {}{}{}{}", ms.name, ms.legal.empty() ? "" : " " + quoted(ms.legal),
                                                 ms.scopes.empty() ? "" : " on " + joined(ms.scopes),
                                                 ms.when ? " when " + sx(ms.when) : ""));
    std::string inner = std::string(indent) + "  ";
    for (const auto& s : ms.stmts) {
      std::string when = s.when ? " when " + sx(s.when) : "";
      std::string label = s.label.empty() ? "" : " " + quoted(s.label);
      switch (s.kind) {
        case ast::Stmt::Let:
          t += line(s, inner, fmt::format("let {}{} = {}", s.name, s.type ? ": " + typeText(*s.type) : "", sx(s.value)));
          break;
        case ast::Stmt::Duty: t += line(s, inner, fmt::format("duty{}{}: {}", label, when, sx(s.value))); break;
        case ast::Stmt::Outcome: t += line(s, inner, fmt::format("{}{}{}", s.outcome, label, when)); break;
        case ast::Stmt::Flag: t += line(s, inner, fmt::format("flag{}{}", label, when)); break;
      }
    }
    add(ms, std::move(t), 1);
  }

  void fields(std::string& t, const std::vector<ast::FieldInit>& fs, const std::string& indent) {
    for (const auto& f : fs) t += line(f, indent, fmt::format("{}: {}", f.field, sx(f.value)));
  }

  void example(const ast::Example& ex) {
    std::string t = line(ex, "", fmt::format("example {}", quoted(ex.title)));
    if (ex.hasShipment) {
      t += cont("  ", "shipment");
      fields(t, ex.shipment, "    ");
    }
    for (const auto& o : ex.market)
      t += line(o, "  ", fmt::format("market {} {}: {}", o.series, o.date, sx(o.value)));
    for (const auto& r : ex.registries) {
      t += line(r, "  ", fmt::format("registry {} ({} rows)", r.name, r.rows.size()));
      for (size_t i = 0; i < r.rows.size(); ++i) {
        t += cont("    ", fmt::format("row {}", i + 1));
        fields(t, r.rows[i], "      ");
      }
    }
    for (const auto& e : ex.expects) {
      std::string body;
      switch (e.kind) {
        case ast::Expectation::Line: body = fmt::format("expect {}: {}", e.name, sx(e.value)); break;
        case ast::Expectation::NoLine: body = fmt::format("expect no {}", e.name); break;
        case ast::Expectation::Total: body = fmt::format("expect total: {}", sx(e.value)); break;
        case ast::Expectation::Origin: body = fmt::format("expect origin: {}", sx(e.value)); break;
        case ast::Expectation::Outcome:
          body = fmt::format("expect outcome: {}{}", e.name, e.text.empty() ? "" : " " + quoted(e.text));
          break;
        case ast::Expectation::Flag: body = fmt::format("expect flag: {}", quoted(e.name)); break;
        case ast::Expectation::Error: body = fmt::format("expect error: {}", e.name); break;
        case ast::Expectation::InQuota: body = fmt::format("expect in quota {}: {}", e.name, sx(e.value)); break;
        case ast::Expectation::OverQuota:
          body = fmt::format("expect {} quota {}: {}", e.text.empty() ? "over" : e.text, e.name, sx(e.value));
          break;
      }
      t += line(e, "  ", body);
    }
    add(ex, std::move(t));
  }

  const ast::Module& m_;
  const SourceManager& sm_;
  std::vector<Entry> entries_;
};

}  // namespace

std::string exprSexpr(const ast::Expr& e) {
  using K = ast::ExprKind;
  switch (e.kind) {
    case K::Number: return e.unit.empty() ? e.text : fmt::format("{}[{}]", e.text, e.unit);
    case K::Hs: return "hs:" + e.text;
    case K::Date: return e.text;
    case K::String: return quoted(e.text);
    case K::Bool: return e.text.empty() ? "<missing>" : e.text;
    case K::Name: return e.text;
    case K::Call: return fmt::format("({}{})", e.text, kidsText(e));
    case K::Index: return fmt::format("(index{})", kidsText(e));
    case K::Field: return fmt::format("(. {} {})", e.kids.empty() ? "<none>" : sx(e.kids[0]), e.text);
    case K::List: {
      std::string s = kidsText(e);
      return "[" + (s.empty() ? s : s.substr(1)) + "]";
    }
    case K::Neg: return fmt::format("(-{})", kidsText(e));
    case K::Not: return fmt::format("(not{})", kidsText(e));
    case K::Binary: return fmt::format("({}{})", binOpText(e.op), kidsText(e));
    case K::In: return fmt::format("({}{})", e.negated ? "not-in" : "in", kidsText(e));
    case K::If: return fmt::format("(if{})", kidsText(e));
    case K::Otherwise: return fmt::format("(otherwise{})", kidsText(e));
    case K::Bands:
    case K::Progressive: {
      std::string s = fmt::format("({} {}", e.kind == K::Bands ? "bands" : "progressive",
                                  e.kids.empty() ? "<none>" : sx(e.kids[0]));
      for (const auto& b : e.bands) s += ' ' + bandText(b);
      return s + ')';
    }
  }
  return "?";
}

std::string dumpAst(const ast::Module& m, const SourceManager& sm) { return Dumper(m, sm).run(); }

}  // namespace lode::report
