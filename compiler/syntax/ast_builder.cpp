// Builds the AST from the ANTLR parse tree. One function per grammar rule; the rule it implements
// is quoted above it. This file and parse.cpp are the only ones that see ANTLR types.
#include "compiler/syntax/ast_builder.h"

#include <fmt/format.h>

#include <algorithm>

#include "compiler/diag/codes.h"
#include "compiler/diag/limits.h"

namespace lode::syntax {

using P = lode_gen::LodeParser;
using antlr4::ParserRuleContext;
using antlr4::tree::TerminalNode;

AstBuilder::AstBuilder(uint32_t file, const std::string& source, const std::vector<uint32_t>& cpToByte, Diagnostics& diags)
    : file_(file), source_(source), cpToByte_(cpToByte), diags_(diags), nextId_((file << 22) + 1) {}

// A token's text, cut from the UTF-8 source (ANTLR's own getText converts back from code points,
// and a rule context's builds a stringstream).
std::string AstBuilder::text(antlr4::Token* t) const {
  size_t start = t->getStartIndex(), stop = t->getStopIndex();
  if (t->getType() == antlr4::Token::EOF || start == INVALID_INDEX || stop == INVALID_INDEX || stop < start)
    return t->getText();  // not a piece of the source
  uint32_t b = byteOf(start), e = byteOf(stop + 1);
  return source_.substr(b, e - b);
}
std::string AstBuilder::text(TerminalNode* t) const { return text(t->getSymbol()); }
// A rule context's text: its tokens' texts joined without the spaces between them.
std::string AstBuilder::text(antlr4::tree::ParseTree* t) const {
  std::string out;
  appendText(t, out);
  return out;
}
void AstBuilder::appendText(antlr4::tree::ParseTree* t, std::string& out) const {
  if (auto* term = dynamic_cast<TerminalNode*>(t)) {
    out += text(term);
    return;
  }
  for (auto* child : t->children) appendText(child, out);
}

uint32_t AstBuilder::byteOf(size_t cp) const {
  if (cpToByte_.empty()) return uint32_t(cp);
  return cp < cpToByte_.size() ? cpToByte_[cp] : cpToByte_.back();
}

SourceRange AstBuilder::rangeOf(antlr4::Token* a, antlr4::Token* b) const {
  if (!a) return {file_, 0, 0};
  if (!b) b = a;
  size_t stop = b->getStopIndex() + 1;
  if (b->getType() == antlr4::Token::EOF || stop < b->getStartIndex()) stop = b->getStartIndex();
  return {file_, byteOf(a->getStartIndex()), byteOf(stop)};
}
SourceRange AstBuilder::rangeOf(ParserRuleContext* c) const { return c ? rangeOf(c->getStart(), c->getStop()) : SourceRange{file_, 0, 0}; }
SourceRange AstBuilder::rangeOf(TerminalNode* t) const { return t ? rangeOf(t->getSymbol(), t->getSymbol()) : SourceRange{file_, 0, 0}; }

template <class N>
N AstBuilder::node(SourceRange r) {
  N n;
  n.id = nextId_++;
  n.range = r;
  return n;
}

// A string's contents. The lexer (like the grammar's STRING rule) takes a backslash before any
// character, but only `\"` and `\\` are escapes (docs/language.md, Lexical rules): any other is
// reported here, at its backslash, instead of silently dropping the backslash.
std::string AstBuilder::unquote(TerminalNode* t) const {
  if (!t) return {};
  std::string s = text(t);
  std::string out;
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    if (s[i] != '\\' || i + 2 >= s.size()) {
      out += s[i];
      continue;
    }
    char c = s[++i];
    if (c != '"' && c != '\\') badEscape(t, s, i - 1);
    out += c;
  }
  return out;
}

// The escape starting at byte `at` of the string token t (text s) is not `\"` or `\\`.
void AstBuilder::badEscape(TerminalNode* t, const std::string& s, size_t at) const {
  size_t start = t->getSymbol()->getStartIndex();
  if (start == INVALID_INDEX) return;  // a token made up by error recovery: not in the source
  // The escaped character may take several bytes (UTF-8): the range and the message show it whole.
  auto lead = static_cast<unsigned char>(s[at + 1]);
  size_t len = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
  len = std::min(len, s.size() - 1 - (at + 1));
  uint32_t b = byteOf(start) + uint32_t(at);
  diags_.error(code::kBadChar, {file_, b, b + 1 + uint32_t(len)},
               fmt::format("unknown escape '{}' in a string: only \\\" (a quote) and \\\\ (a backslash) are escapes",
                           s.substr(at, 1 + len)));
}

AstBuilder::Level::Level(AstBuilder& builder, ParserRuleContext* c) : b(builder), counted(c != nullptr) {
  if (!counted) return;  // not a nesting construct
  ok = ++b.depth_ <= limits::kMaxNesting;
  if (!ok && !b.tooDeep_) {
    b.tooDeep_ = true;
    b.diags_.error(code::kTooDeep, b.rangeOf(c->getStart(), c->getStart()),
                   fmt::format("expression nested more than {} levels deep (the limit)", limits::kMaxNesting));
  }
}

ast::ExprPtr AstBuilder::tooDeep(ParserRuleContext* c) { return make(ast::ExprKind::Bool, c); }

// file : decl* EOF
ast::Module AstBuilder::build(P::FileContext* f) {
  ast::Module m;
  m.file = file_;
  for (auto* d : f->decl()) decl(d, m);
  if (tooDeep_ || tooMany_) m.broken = true;
  return m;
}

void AstBuilder::decl(P::DeclContext* d, ast::Module& m) {
  // Each declaration counts, and each measure of a `first`/`exclusive` block (limits::kMaxDeclarations).
  size_t count = 1;
  if (auto* cb = d->combineBlock()) {
    count = cb->measureDecl().size();
    if (count > limits::kMaxBlockMeasures && !tooMany_) {
      tooMany_ = true;
      diags_.error(code::kTooMany, rangeOf(cb->measureDecl()[limits::kMaxBlockMeasures]->getStart(), nullptr),
                   fmt::format("more than {} measures in one `{}` block (the limit)", limits::kMaxBlockMeasures,
                               cb->FIRST() ? "first" : "exclusive"));
    }
  }
  if (declarations_ + count > limits::kMaxDeclarations && !tooMany_) {
    tooMany_ = true;
    diags_.error(code::kTooMany, rangeOf(d->getStart(), nullptr),
                 fmt::format("more than {} declarations in one file (the limit): split the agreement into modules with `use`",
                             limits::kMaxDeclarations));
  }
  declarations_ += count;
  if (tooMany_) return;
  if (auto* a = d->agreementDecl()) {
    ast::Header h = header(a);
    if (m.header) m.extraHeaders.push_back(std::move(h)); else m.header = std::move(h);
  } else if (auto* u = d->useDecl()) {
    auto use = node<ast::Use>(rangeOf(u));
    if (u->STRING()) { use.path = unquote(u->STRING()); use.isFile = true; }
    else use.path = text(u->modulePath());
    m.uses.push_back(std::move(use));
  } else if (auto* c = d->countryDecl()) {
    auto cd = node<ast::CountryDecl>(rangeOf(c));
    cd.code = text(c->IDENT());
    cd.name = unquote(c->STRING());
    m.countries.push_back(std::move(cd));
  } else if (auto* e = d->enumerationDecl()) {
    auto ed = node<ast::EnumerationDecl>(rangeOf(e));
    auto ids = e->IDENT();
    ed.name = text(ids[0]);
    for (size_t i = 1; i < ids.size(); ++i) ed.values.push_back(text(ids[i]));
    m.enumerations.push_back(std::move(ed));
  } else if (auto* g = d->groupDecl()) {
    auto gd = node<ast::GroupDecl>(rangeOf(g));
    gd.name = text(g->IDENT(0));
    if (g->IDENT().size() > 1) { gd.elemType = text(g->IDENT(1)); gd.elemRange = rangeOf(g->IDENT(1)); }
    gd.expr = groupExpr(g->groupExpr());
    m.groups.push_back(std::move(gd));
  } else if (auto* p = d->partiesDecl()) {
    auto pd = node<ast::PartiesDecl>(rangeOf(p));
    for (auto* r : p->partyRole()) {
      auto role = node<ast::PartiesDecl::Role>(rangeOf(r));
      role.name = text(r->IDENT());
      for (auto* mem : r->member()) role.members.push_back(member(mem));
      pd.roles.push_back(std::move(role));
    }
    m.parties.push_back(std::move(pd));
  } else if (auto* a = d->attributeDecl()) {
    auto ad = node<ast::AttributeDecl>(rangeOf(a));
    ad.name = text(a->IDENT());
    ad.type = typeRef(a->typeRef());
    if (a->expr()) ad.dflt = expr(a->expr());
    m.attributes.push_back(std::move(ad));
  } else if (auto* s = d->scopeDecl()) {
    m.scopes.push_back(scope(s));
  } else if (auto* s = d->seriesDecl()) {
    auto sd = node<ast::SeriesDecl>(rangeOf(s));
    sd.name = text(s->IDENT());
    sd.key = unquote(s->STRING());
    sd.unit = typeRef(s->typeRef());
    m.series.push_back(std::move(sd));
  } else if (auto* l = d->letDecl()) {
    auto ld = node<ast::LetDecl>(rangeOf(l));
    ld.name = text(l->IDENT());
    ld.isReference = l->REFERENCE() != nullptr;
    if (l->typeRef()) ld.type = typeRef(l->typeRef());
    ld.value = expr(l->expr());
    m.lets.push_back(std::move(ld));
  } else if (auto* s = d->scheduleDecl()) {
    m.schedules.push_back(schedule(s));
  } else if (auto* r = d->registryDecl()) {
    m.registries.push_back(registry(r));
  } else if (auto* o = d->originRule()) {
    auto od = node<ast::OriginRule>(rangeOf(o));
    od.name = text(o->IDENT());
    od.legal = unquote(o->STRING());
    scopeList(o->scopeList(), od.scopes, od.scopeRanges);
    od.when = expr(o->expr(0));
    od.becomes = expr(o->expr(1));
    m.originRules.push_back(std::move(od));
  } else if (auto* ms = d->measureDecl()) {
    m.measures.push_back(measure(ms, -1));
  } else if (auto* cb = d->combineBlock()) {
    auto blk = node<ast::CombineBlock>(rangeOf(cb));
    blk.kind = cb->FIRST() ? "first" : "exclusive";
    blk.label = unquote(cb->STRING());
    int idx = int(m.blocks.size());
    m.blocks.push_back(std::move(blk));
    for (auto* ms : cb->measureDecl()) m.measures.push_back(measure(ms, idx));
  } else if (auto* q = d->quotaDecl()) {
    m.quotas.push_back(quota(q));
  } else if (auto* c = d->classifyDecl()) {
    auto cd = node<ast::ClassifyDecl>(rangeOf(c));
    for (auto* h : c->hsItem()) cd.prefixes.push_back(text(h));
    cd.mineral = text(c->IDENT(0));
    if (c->IDENT().size() > 1) cd.node = text(c->IDENT(1));
    if (c->expr()) cd.when = expr(c->expr());
    m.classifications.push_back(std::move(cd));
  } else if (auto* ex = d->exampleDecl()) {
    m.examples.push_back(example(ex));
  }
}

// agreementDecl : AGREEMENT STRING LBRACE headerItem* RBRACE
ast::Header AstBuilder::header(P::AgreementDeclContext* a) {
  auto h = node<ast::Header>(rangeOf(a));
  h.title = unquote(a->STRING());
  // An item given twice is kept as first written and recorded for the checker: letting the last
  // one win silently would change the currency or the dates without a word. `legal` lists add up.
  auto first = [&](bool given, const char* item, P::HeaderItemContext* at) {
    if (given) h.repeated.push_back({item, rangeOf(at)});
    return !given;
  };
  for (auto* item : a->headerItem()) {
    if (auto* v = dynamic_cast<P::HeaderVersionContext*>(item)) {
      if (first(h.version.has_value(), "version", item)) h.version = unquote(v->STRING());
    } else if (auto* l = dynamic_cast<P::HeaderLegalContext*>(item)) {
      for (auto* s : l->STRING()) h.legal.push_back(unquote(s));
    } else if (auto* c = dynamic_cast<P::HeaderCurrencyContext*>(item)) {
      if (first(h.currency.has_value(), "currency", item)) { h.currency = text(c->IDENT()); h.currencyRange = rangeOf(c->IDENT()); }
    } else if (auto* r = dynamic_cast<P::HeaderRoundingContext*>(item)) {
      if (!first(h.rounding.has_value(), "rounding", item)) continue;
      ast::Header::Rounding rd;
      rd.range = rangeOf(r);
      rd.mode = text(r->IDENT(0));
      rd.modeRange = rangeOf(r->IDENT(0));
      rd.quantum = quantity(r->quantityLit());
      rd.stage = r->PER() ? "per " + text(r->IDENT(1)) : "on total";
      h.rounding = std::move(rd);
    } else if (auto* f = dynamic_cast<P::HeaderInForceContext*>(item)) {
      if (!first(h.inForce.has_value(), "in force", item)) continue;
      auto dates = f->DATE();
      h.inForce = text(dates[0]);
      h.inForceRange = rangeOf(dates[0]);
      if (dates.size() > 1) { h.expiry = text(dates[1]); h.expiryRange = rangeOf(dates[1]); }
    }
  }
  return h;
}

// member : IDENT (FROM DATE)? (UNTIL DATE)?
ast::Member AstBuilder::member(P::MemberContext* c) {
  auto m = node<ast::Member>(rangeOf(c));
  m.name = text(c->IDENT());
  size_t di = 0;
  auto dates = c->DATE();
  if (c->FROM()) { m.from = text(dates[di]); m.fromRange = rangeOf(dates[di]); ++di; }
  if (c->UNTIL() && di < dates.size()) { m.until = text(dates[di]); m.untilRange = rangeOf(dates[di]); }
  return m;
}

// groupExpr : groupExpr op groupExpr | [ members ] | IDENT | ( groupExpr )
std::shared_ptr<ast::GroupExpr> AstBuilder::groupExpr(P::GroupExprContext* c) {
  auto g = std::make_shared<ast::GroupExpr>(node<ast::GroupExpr>(rangeOf(c)));
  // A union, difference or parenthesis contains group expressions: one nesting level.
  bool nests = dynamic_cast<P::GroupBinaryContext*>(c) || dynamic_cast<P::GroupParenContext*>(c);
  Level level(*this, nests ? c : nullptr);
  if (nests && !level.ok) { g->kind = ast::GroupExpr::List; return g; }
  if (auto* b = dynamic_cast<P::GroupBinaryContext*>(c)) {
    g->kind = ast::GroupExpr::Binary;
    g->op = text(b->op)[0];
    g->lhs = groupExpr(b->groupExpr(0));
    g->rhs = groupExpr(b->groupExpr(1));
  } else if (auto* l = dynamic_cast<P::GroupListContext*>(c)) {
    g->kind = ast::GroupExpr::List;
    for (auto* m : l->member()) g->members.push_back(member(m));
  } else if (auto* r = dynamic_cast<P::GroupRefContext*>(c)) {
    g->kind = ast::GroupExpr::Ref;
    g->name = text(r);
  } else if (auto* p = dynamic_cast<P::GroupParenContext*>(c)) {
    return groupExpr(p->groupExpr());
  }
  return g;
}

// typeRef : ONE OF { IDENT, ... } | typeAtom ((/|*) typeAtom)*
ast::TypeRef AstBuilder::typeRef(P::TypeRefContext* c) {
  auto t = node<ast::TypeRef>(rangeOf(c));
  if (auto* e = dynamic_cast<P::TypeEnumContext*>(c)) {
    t.isEnum = true;
    for (auto* id : e->IDENT()) { t.enumValues.push_back(text(id)); t.enumRanges.push_back(rangeOf(id)); }
  } else {
    t.text = text(c);  // tokens joined without spaces: "USD/t"
  }
  return t;
}

// scopeDecl : SCOPE IDENT = nameList (AT nameList)? (WHERE expr)?
ast::ScopeDecl AstBuilder::scope(P::ScopeDeclContext* s) {
  auto sd = node<ast::ScopeDecl>(rangeOf(s));
  sd.name = text(s->IDENT());
  auto lists = s->nameList();
  for (auto* id : lists[0]->IDENT()) { sd.minerals.push_back(text(id)); sd.mineralRanges.push_back(rangeOf(id)); }
  if (lists.size() > 1)
    for (auto* id : lists[1]->IDENT()) { sd.nodes.push_back(text(id)); sd.nodeRanges.push_back(rangeOf(id)); }
  if (s->expr()) sd.where = expr(s->expr());
  return sd;
}

// scheduleDecl : SCHEDULE IDENT : typeRef = kind { schedulePoint, ... }
ast::ScheduleDecl AstBuilder::schedule(P::ScheduleDeclContext* s) {
  auto sd = node<ast::ScheduleDecl>(rangeOf(s));
  sd.name = text(s->IDENT(0));
  sd.type = typeRef(s->typeRef());
  sd.kind = text(s->kind);
  sd.kindRange = rangeOf(s->kind, s->kind);
  for (auto* p : s->schedulePoint()) {
    auto pt = node<ast::SchedulePoint>(rangeOf(p));
    if (auto* at = dynamic_cast<P::PointAtContext*>(p)) { pt.date = text(at->DATE()); pt.value = expr(at->expr()); }
    else if (auto* bf = dynamic_cast<P::PointBeforeContext*>(p)) pt.value = expr(bf->expr());
    sd.points.push_back(std::move(pt));
  }
  return sd;
}

// registryDecl : REGISTRY IDENT : IDENT | REGISTRY IDENT BY IDENT EFFECTIVE? { column, ... }
ast::RegistryDecl AstBuilder::registry(P::RegistryDeclContext* r) {
  auto rd = node<ast::RegistryDecl>(rangeOf(r));
  if (auto* b = dynamic_cast<P::RegistryBuiltinContext*>(r)) {
    rd.name = text(b->IDENT(0));
    rd.builtin = text(b->IDENT(1));
    rd.keyRange = rangeOf(b->IDENT(1));
  } else if (auto* t = dynamic_cast<P::RegistryTableContext*>(r)) {
    rd.name = text(t->IDENT());
    rd.key = text(t->registryKey());
    rd.keyRange = rangeOf(t->registryKey());
    rd.effective = t->EFFECTIVE() != nullptr;
    for (auto* col : t->column()) {
      auto c = node<ast::Column>(rangeOf(col));
      c.name = text(col->IDENT());
      c.type = typeRef(col->typeRef());
      rd.columns.push_back(std::move(c));
    }
  }
  return rd;
}

// scopeList : IDENT (, IDENT)*   (optional where it is used: no list leaves both vectors empty)
void AstBuilder::scopeList(P::ScopeListContext* c, std::vector<std::string>& names, std::vector<SourceRange>& ranges) {
  if (!c) return;
  for (auto* id : c->IDENT()) {
    names.push_back(text(id));
    ranges.push_back(rangeOf(id));
  }
}

// measureDecl : MEASURE IDENT STRING? (ON scopeList)? (WHEN expr)? { stmt* }
ast::MeasureDecl AstBuilder::measure(P::MeasureDeclContext* c, int block) {
  auto md = node<ast::MeasureDecl>(rangeOf(c));
  md.name = text(c->IDENT());
  md.legal = unquote(c->STRING());
  md.block = block;
  scopeList(c->scopeList(), md.scopes, md.scopeRanges);
  if (c->expr()) md.when = expr(c->expr());
  for (auto* s : c->stmt()) md.stmts.push_back(stmt(s));
  return md;
}

// quotaDecl : QUOTA IDENT STRING? (ON scopeList)? (WHEN expr)? { quotaItem* }
ast::QuotaDecl AstBuilder::quota(P::QuotaDeclContext* c) {
  auto q = node<ast::QuotaDecl>(rangeOf(c));
  q.name = text(c->IDENT());
  q.legal = unquote(c->STRING());
  scopeList(c->scopeList(), q.scopes, q.scopeRanges);
  if (c->expr()) q.when = expr(c->expr());
  for (auto* item : c->quotaItem()) {
    if (auto* s = dynamic_cast<P::QuotaSettingContext*>(item)) {
      auto f = node<ast::FieldInit>(rangeOf(s));
      f.field = text(s->getStart());
      f.value = expr(s->expr());
      q.settings.push_back(std::move(f));
    } else if (auto* in = dynamic_cast<P::QuotaInContext*>(item)) {
      if (q.hasIn) { q.repeatedParts.push_back({"in quota", rangeOf(in)}); continue; }
      q.hasIn = true;
      for (auto* st : in->stmt()) q.inQuota.push_back(stmt(st));
    } else if (auto* over = dynamic_cast<P::QuotaOverContext*>(item)) {
      // `over quota { ... }`: the grammar takes any word so that a typo gets a clear message.
      if (text(over->IDENT()) != "over") {
        auto f = node<ast::FieldInit>(rangeOf(over->IDENT()));
        f.field = "?" + text(over->IDENT());
        q.settings.push_back(std::move(f));
        continue;
      }
      if (q.hasOver) { q.repeatedParts.push_back({"over quota", rangeOf(over)}); continue; }
      q.hasOver = true;
      for (auto* st : over->stmt()) q.overQuota.push_back(stmt(st));
    }
  }
  return q;
}

ast::Stmt AstBuilder::stmt(P::StmtContext* c) {
  auto s = node<ast::Stmt>(rangeOf(c));
  if (auto* l = dynamic_cast<P::StmtLetContext*>(c)) {
    s.kind = ast::Stmt::Let;
    s.name = text(l->IDENT());
    if (l->typeRef()) s.type = typeRef(l->typeRef());
    s.value = expr(l->expr());
  } else if (auto* d = dynamic_cast<P::StmtDutyContext*>(c)) {
    s.kind = ast::Stmt::Duty;
    s.label = unquote(d->STRING());
    auto es = d->expr();
    if (d->WHEN()) { s.when = expr(es[0]); s.value = expr(es[1]); }
    else s.value = expr(es[0]);
  } else if (auto* o = dynamic_cast<P::StmtOutcomeContext*>(c)) {
    s.kind = ast::Stmt::Outcome;
    s.outcome = text(o->outcome);
    s.label = unquote(o->STRING());
    if (o->expr()) s.when = expr(o->expr());
  } else if (auto* f = dynamic_cast<P::StmtFlagContext*>(c)) {
    s.kind = ast::Stmt::Flag;
    s.label = unquote(f->STRING());
    if (f->expr()) s.when = expr(f->expr());
  }
  return s;
}

// exampleDecl : EXAMPLE STRING { exampleItem* }
ast::Example AstBuilder::example(P::ExampleDeclContext* c) {
  auto ex = node<ast::Example>(rangeOf(c));
  ex.title = unquote(c->STRING());
  for (auto* item : c->exampleItem()) {
    if (auto* s = dynamic_cast<P::ExShipmentContext*>(item)) {
      ex.hasShipment = true;
      for (auto* f : s->fieldInit()) ex.shipment.push_back(fieldInit(f));
    } else if (auto* m = dynamic_cast<P::ExMarketContext*>(item)) {
      for (auto* o : m->observation()) {
        auto ob = node<ast::Example::Obs>(rangeOf(o));
        ob.series = o->STRING() ? unquote(o->STRING()) : text(o->IDENT());
        ob.date = text(o->DATE());
        ob.value = expr(o->expr());
        ex.market.push_back(std::move(ob));
      }
    } else if (auto* r = dynamic_cast<P::ExRegistryContext*>(item)) {
      auto rr = node<ast::Example::RegistryRows>(rangeOf(r));
      rr.name = text(r->IDENT());
      for (auto* row : r->rowInit()) {
        std::vector<ast::FieldInit> cells;
        for (auto* f : row->fieldInit()) cells.push_back(fieldInit(f));
        rr.rows.push_back(std::move(cells));
      }
      ex.registries.push_back(std::move(rr));
    } else if (auto* qs = dynamic_cast<P::ExQuotaContext*>(item)) {
      auto st = node<ast::Example::QuotaState>(rangeOf(qs));
      st.name = text(qs->IDENT());
      for (auto* f : qs->fieldInit()) st.fields.push_back(fieldInit(f));
      ex.quotas.push_back(std::move(st));
    } else if (auto* e = dynamic_cast<P::ExExpectContext*>(item)) {
      for (auto* x : e->expectation()) ex.expects.push_back(expectation(x));
    }
  }
  return ex;
}

ast::FieldInit AstBuilder::fieldInit(P::FieldInitContext* c) {
  auto f = node<ast::FieldInit>(rangeOf(c));
  f.field = text(c->fieldName());
  f.value = expr(c->expr());
  return f;
}

ast::Expectation AstBuilder::expectation(P::ExpectationContext* c) {
  auto e = node<ast::Expectation>(rangeOf(c));
  using K = ast::Expectation::Kind;
  if (auto* l = dynamic_cast<P::ExpectLineContext*>(c)) { e.kind = K::Line; e.name = text(l->IDENT()); e.value = expr(l->expr()); }
  else if (auto* n = dynamic_cast<P::ExpectNoLineContext*>(c)) { e.kind = K::NoLine; e.name = text(n->IDENT()); }
  else if (auto* t = dynamic_cast<P::ExpectTotalContext*>(c)) { e.kind = K::Total; e.value = expr(t->expr()); }
  else if (auto* o = dynamic_cast<P::ExpectOriginContext*>(c)) { e.kind = K::Origin; e.value = expr(o->expr()); }
  else if (auto* oc = dynamic_cast<P::ExpectOutcomeContext*>(c)) { e.kind = K::Outcome; e.name = text(oc->outcomeWord()); e.text = unquote(oc->STRING()); }
  else if (auto* f = dynamic_cast<P::ExpectFlagContext*>(c)) { e.kind = K::Flag; e.name = unquote(f->STRING()); }
  else if (auto* er = dynamic_cast<P::ExpectErrorContext*>(c)) { e.kind = K::Error; e.name = text(er->IDENT()); }
  else if (auto* iq = dynamic_cast<P::ExpectInQuotaContext*>(c)) { e.kind = K::InQuota; e.name = text(iq->IDENT()); e.value = expr(iq->expr()); }
  else if (auto* oq = dynamic_cast<P::ExpectOverQuotaContext*>(c)) {
    e.kind = K::OverQuota;
    e.name = text(oq->IDENT(1));
    e.value = expr(oq->expr());
    if (text(oq->IDENT(0)) != "over") e.text = text(oq->IDENT(0));  // the checker reports it
  }
  return e;
}

ast::ExprPtr AstBuilder::quantity(P::QuantityLitContext* q) {
  auto e = std::make_shared<ast::Expr>(node<ast::Expr>(rangeOf(q)));
  e->kind = ast::ExprKind::Number;
  e->text = text(q->NUMBER());
  if (q->unitExpr()) { e->unit = text(q->unitExpr()); e->unitRange = rangeOf(q->unitExpr()); }
  return e;
}

ast::ExprPtr AstBuilder::make(ast::ExprKind k, ParserRuleContext* c) {
  auto e = std::make_shared<ast::Expr>(node<ast::Expr>(rangeOf(c)));
  e->kind = k;
  return e;
}

// expr: the binary and unary layers (see the grammar for precedence).
ast::ExprPtr AstBuilder::expr(P::ExprContext* c) {
  using K = ast::ExprKind;
  if (!c) return make(K::Bool, nullptr);
  if (auto* p = dynamic_cast<P::PrimaryExprContext*>(c)) return primary(p->primary());
  Level level(*this, c);
  if (!level.ok) return tooDeep(c);
  if (auto* o = dynamic_cast<P::OtherwiseExprContext*>(c)) return binaryLike(K::Otherwise, c, o->expr(0), o->expr(1));
  if (auto* n = dynamic_cast<P::NotExprContext*>(c)) { auto e = make(K::Not, c); e->kids.push_back(expr(n->expr())); return e; }
  if (auto* n = dynamic_cast<P::NegExprContext*>(c)) { auto e = make(K::Neg, c); e->kids.push_back(expr(n->expr())); return e; }
  if (auto* i = dynamic_cast<P::InExprContext*>(c)) {
    auto e = binaryLike(K::In, c, i->expr(0), i->expr(1));
    e->negated = i->NOT() != nullptr;
    return e;
  }
  ast::BinOp op = ast::BinOp::Add;
  P::ExprContext *l = nullptr, *r = nullptr;
  if (auto* a = dynamic_cast<P::OrExprContext*>(c)) { op = ast::BinOp::Or; l = a->expr(0); r = a->expr(1); }
  else if (auto* a = dynamic_cast<P::AndExprContext*>(c)) { op = ast::BinOp::And; l = a->expr(0); r = a->expr(1); }
  else if (auto* a = dynamic_cast<P::CompareExprContext*>(c)) {
    std::string t = text(a->op);
    op = t == "<" ? ast::BinOp::Lt : t == "<=" ? ast::BinOp::Le : t == ">" ? ast::BinOp::Gt
       : t == ">=" ? ast::BinOp::Ge : t == "==" ? ast::BinOp::Eq : ast::BinOp::Ne;
    l = a->expr(0); r = a->expr(1);
  } else if (auto* a = dynamic_cast<P::AddExprContext*>(c)) {
    op = text(a->op) == "+" ? ast::BinOp::Add : ast::BinOp::Sub; l = a->expr(0); r = a->expr(1);
  } else if (auto* a = dynamic_cast<P::MulExprContext*>(c)) {
    std::string t = text(a->op);
    op = t == "*" ? ast::BinOp::Mul : t == "/" ? ast::BinOp::Div : ast::BinOp::Of; l = a->expr(0); r = a->expr(1);
  }
  auto e = binaryLike(K::Binary, c, l, r);
  e->op = op;
  return e;
}

ast::ExprPtr AstBuilder::binaryLike(ast::ExprKind k, ParserRuleContext* c, P::ExprContext* l, P::ExprContext* r) {
  auto e = make(k, c);
  e->kids.push_back(expr(l));
  e->kids.push_back(expr(r));
  return e;
}

// primary: literals, calls, names, indexing, field access, lists, if, bands.
ast::ExprPtr AstBuilder::primary(P::PrimaryContext* c) {
  using K = ast::ExprKind;
  if (auto* n = dynamic_cast<P::NumberLitContext*>(c)) {
    auto e = make(K::Number, c);
    e->text = text(n->NUMBER());
    if (n->unitExpr()) { e->unit = text(n->unitExpr()); e->unitRange = rangeOf(n->unitExpr()); }
    return e;
  }
  if (auto* h = dynamic_cast<P::HsLitContext*>(c)) { auto e = make(K::Hs, c); e->text = text(h); return e; }
  if (auto* d = dynamic_cast<P::DateLitContext*>(c)) { auto e = make(K::Date, c); e->text = text(d); return e; }
  if (auto* s = dynamic_cast<P::StringLitContext*>(c)) { auto e = make(K::String, c); e->text = unquote(s->STRING()); return e; }
  if (auto* b = dynamic_cast<P::BoolLitContext*>(c)) { auto e = make(K::Bool, c); e->text = text(b); return e; }
  if (auto* n = dynamic_cast<P::NameExprContext*>(c)) { auto e = make(K::Name, c); e->text = text(n); return e; }
  // Everything below contains expressions: one nesting level.
  Level level(*this, c);
  if (!level.ok) return tooDeep(c);
  if (auto* i = dynamic_cast<P::IfExprContext*>(c)) {
    auto e = make(K::If, c);
    for (auto* x : i->expr()) e->kids.push_back(expr(x));
    return e;
  }
  if (auto* b = dynamic_cast<P::BandsExprContext*>(c)) return bands(K::Bands, c, b->expr(), b->band());
  if (auto* b = dynamic_cast<P::ProgressiveExprContext*>(c)) return bands(K::Progressive, c, b->expr(), b->band());
  if (auto* call = dynamic_cast<P::CallExprContext*>(c)) {
    auto e = make(K::Call, c);
    e->text = text(call->IDENT());
    for (auto* x : call->expr()) e->kids.push_back(expr(x));
    return e;
  }
  if (auto* ix = dynamic_cast<P::IndexExprContext*>(c)) {
    auto e = make(K::Index, c);
    e->kids.push_back(primary(ix->primary()));
    e->kids.push_back(expr(ix->expr()));
    return e;
  }
  if (auto* f = dynamic_cast<P::FieldExprContext*>(c)) {
    auto e = make(K::Field, c);
    e->text = text(f->IDENT());
    e->kids.push_back(primary(f->primary()));
    return e;
  }
  if (auto* l = dynamic_cast<P::ListExprContext*>(c)) {
    auto e = make(K::List, c);
    for (auto* x : l->expr()) e->kids.push_back(expr(x));
    return e;
  }
  if (auto* p = dynamic_cast<P::ParenExprContext*>(c)) return expr(p->expr());
  return make(K::Bool, c);
}

// band : bandRange : expr ; bandRange : BELOW expr | (FROM|ABOVE) expr ((TO|THROUGH) expr)?
ast::ExprPtr AstBuilder::bands(ast::ExprKind k, ParserRuleContext* c, P::ExprContext* scrutinee,
                               const std::vector<P::BandContext*>& list) {
  auto e = make(k, c);
  e->kids.push_back(expr(scrutinee));
  for (auto* b : list) {
    auto band = node<ast::Band>(rangeOf(b));
    band.value = expr(b->expr());
    if (auto* below = dynamic_cast<P::BandBelowContext*>(b->bandRange())) {
      band.hi = expr(below->expr());
      band.hiIncl = false;
    } else if (auto* from = dynamic_cast<P::BandFromContext*>(b->bandRange())) {
      band.lo = expr(from->expr(0));
      band.loIncl = from->FROM() != nullptr;
      if (from->expr().size() > 1) {
        band.hi = expr(from->expr(1));
        band.hiIncl = from->THROUGH() != nullptr;
      }
    }
    e->bands.push_back(std::move(band));
  }
  return e;
}

}  // namespace lode::syntax
