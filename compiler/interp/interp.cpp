// The reference interpreter. Semantics live here first; the JIT must agree with it.
//
// An evaluation error (overflow, missing observation, ...) unwinds to the clause being evaluated
// through a C++ exception that never leaves this file; evaluate() turns it into an EvalError value.
// `otherwise` catches the "missing data" kinds only.
#include "compiler/interp/interp.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>

#include "runtime/date.h"
#include "runtime/thread_scratch.h"

namespace lode::interp {

using ir::Kind;
using ir::Op;
using rt::ErrCode;

namespace {

struct Failure {
  ErrCode code;
  uint32_t pos;
  std::string detail;
};

using Val = jit::Slot;
constexpr uint8_t kScopeUnknown = 0, kScopeOut = 1, kScopeIn = 2;
constexpr uint32_t kSmallStates = 16;  // state bytes cleared with fixed-size stores (Frame)

// Per-thread buffers an evaluation reuses, so pricing a shipment allocates nothing once warm.
struct Scratch {
  std::vector<Val> globals, locals;
  // Per shipment, reset with one memset: top-level value states, fired blocks, scope answers.
  std::vector<uint8_t> states;
  uint64_t sizedFor = 0;  // the Tables::id the buffers were last checked for (0: none)
  std::string jitDetail;  // detail of the last error a callback returned to compiled code
};
Scratch& scratch() { return rt::threadScratch<Scratch>(); }

bool isMissing(ErrCode c) {
  return c == ErrCode::MissingObservation || c == ErrCode::MissingField || c == ErrCode::NoRegistryRow ||
         c == ErrCode::ScheduleNotInEffect;
}

// The evaluation of one shipment. Its FrameView base is what compiled expressions read directly.
class Frame : public jit::FrameView {
 public:
  Frame(const ir::Program& p, const rt::Record& r, const Inputs& in, rt::Assessment& out, bool trace,
        const jit::CompiledProgram* compiled, const Interpreter::Tables& tables)
      : p_(p), r_(r), in_(in), out_(out), trace_(trace), scratch_(scratch()), tables_(tables),
        fns_(compiled ? compiled->table() : nullptr),
        measuresFn_(compiled && !trace ? compiled->measures() : nullptr) {
    // Top-level values are read only once their state says done, so only the states are reset. The
    // sizes come from the Interpreter (counted once), the buffers grow on a thread's first shipments.
    // A thread's buffers are checked once per interpreter (by its id, never reused), not per shipment.
    if (scratch_.sizedFor != tables.id) [[unlikely]]
      grow();
    uint8_t* states = scratch_.states.data();
    // 0: not computed, not fired, unknown. The buffer has room for at least kSmallStates bytes, so
    // the common small case is a fixed-size clear (two stores) rather than a call.
    if (tables.stateBytes <= kSmallStates) std::memset(states, 0, kSmallStates);
    else std::memset(states, 0, tables.stateBytes);
    values = r.values.data();
    globals = scratch_.globals.data();
    globalState = states;
    blockFired = states + tables.defs;
    scopeState = states + tables.defs + tables.blocks;
    locals = scratch_.locals.data();
  }

  void run();
  [[gnu::cold, gnu::noinline]] void grow() {
    if (scratch_.states.size() < statesRoom()) scratch_.states.resize(statesRoom());
    if (scratch_.globals.size() < tables_.defs) scratch_.globals.resize(tables_.defs);
    // The compiled measures write lets into these slots directly (zeroing a measure's slots first):
    // room for the largest measure.
    if (scratch_.locals.size() < tables_.compiledSlots) scratch_.locals.resize(tables_.compiledSlots);
    scratch_.sizedFor = tables_.id;
  }
  // The state buffer's size: this program's states, and never less than a fixed-size clear writes.
  uint32_t statesRoom() const { return std::max(tables_.stateBytes, kSmallStates); }
  // The JIT's way back in: evaluates one node here; an error is returned packed, never thrown.
  uint64_t callback(uint32_t idx, int64_t* out) {
    uint32_t missingAt = 0;
    if (absentFieldRead(idx, &missingAt)) {  // the common `otherwise` case, answered without a throw
      jitDetailFor_ = jit::packError(ErrCode::MissingField, p_.nodes[missingAt].pos);
      jitDetailField_ = int32_t(p_.nodes[missingAt].a);  // the name is copied only if the error leaves
      return jitDetailFor_;
    }
    return packed([&] { *out = evalNode(idx).i; });
  }

  // The compiled measures' ways back in (jit.h Callbacks).
  void measureFailed(uint64_t e, int32_t fieldIdx, int32_t mi) {
    std::string detail = fieldIdx >= 0 ? p_.shipment.fields[size_t(fieldIdx)].name : detailOf(e);
    dropOutputOf(mi);
    out_.errors.push_back({ErrCode(e >> 32), uint32_t(e), std::move(detail)});
  }
  // A failed measure contributes nothing; its error says why.
  void dropMeasure(uint32_t mi, rt::EvalError err) {
    dropOutputOf(int32_t(mi));
    if (p_.measures[mi].quota >= 0) out_.quotas.resize(quotaMark_);
    out_.errors.push_back(std::move(err));
  }
  // What measure mi added is at the end, since it ran last: its lines and outcomes, by its index.
  void dropOutputOf(int32_t mi) {
    while (!out_.lines.empty() && int32_t(out_.lines.back().measure) == mi) out_.lines.pop_back();
    while (!out_.outcomes.empty() && int32_t(out_.outcomes.back().measure) == mi) out_.outcomes.pop_back();
  }
  void line(uint64_t at, int64_t amount, int64_t rate, int64_t base, int64_t rounded) {
    rt::DutyLine& l = pushRoomy(out_.lines);
    l.measure = uint32_t(at >> 32);
    l.stmt = uint32_t(at) >> 1;
    l.hasRate = bool(at & 1);
    l.rate = rate;
    l.base = base;
    l.amount = amount;
    l.rounded = rounded;
  }
  // The compiled code has found no answer in the frame's memo (FrameView::shareEntity). A failed
  // query (a cycle, an overflow) is asked again through ownedShare, which builds its detail.
  uint64_t share(const rt::FieldValue& entity, uint32_t idx, int64_t* out) {
    if (in_.ownership && askShare(&entity.s, p_.nodes[idx].a, out) == ErrCode::Ok) return 0;
    return packed([&] { *out = ownedShare(&entity.s, p_.nodes[idx]); });
  }
  // A series window for compiled code: the value without a throw; an error (rare: a missing
  // observation) through the general callback, which builds its detail.
  uint64_t series(uint32_t idx, int64_t* out) {
    SeriesWindow w;
    if (seriesValue(p_.nodes[idx], w, out) == ErrCode::Ok) return 0;
    return callback(idx, out);
  }
  void outcome(uint32_t mi, uint32_t si) {
    rt::OutcomeRec& o = pushRoomy(out_.outcomes);
    o.kind = uint8_t(p_.measures[mi].stmts[si].outcome);
    o.measure = mi;
    o.stmt = si;
  }
  uint64_t let(uint32_t mi, uint32_t si) {
    const ir::Stmt& s = p_.measures[mi].stmts[si];
    return packed([&] { scratch_.locals[s.slot] = eval(uint32_t(s.value)); });
  }
  void measureStep(uint32_t mi);
  // Whether the record has every required field: the standard five tested at once (no loop), which
  // is what every program requires today.
  bool requiredPresent() const {
    const rt::FieldValue* v = r_.values.data();
    if (tables_.requiredAreStandard)
      return v[ir::kFieldDate].present & v[ir::kFieldHs].present & v[ir::kFieldOrigin].present &
             v[ir::kFieldQuantity].present & v[ir::kFieldValue].present;
    for (uint32_t f : tables_.required)
      if (!v[f].present) return false;
    return true;
  }
  // Top-level values read since a quota part began or ended are computed again when next read.
  void forgetPortionReaders() {
    for (uint32_t d : tables_.portionReaders) globalState[d] = 0;
  }

 private:
  // push_back for the compiled code's callbacks: the vector grows in a cold call, so the common case
  // (room left: the assessment is reused) is a few stores with no register saves around them. The
  // caller fills the new element in place: a record built on the stack and copied in was read back
  // with wide loads over its narrow stores, a store-forwarding stall that cost a sixth of the JIT's
  // time per shipment (perf, BM_JitE1PerShipment).
  template <typename T>
  [[gnu::flatten]] static T& pushRoomy(std::vector<T>& v) {
    if (v.size() == v.capacity()) [[unlikely]] return pushGrowing(v);
    if (v.size() == v.capacity()) __builtin_unreachable();  // tells the compiler emplace_back won't grow
    return v.emplace_back();
  }
  template <typename T>
  [[gnu::cold, gnu::noinline]] static T& pushGrowing(std::vector<T>& v) { return v.emplace_back(); }
  [[noreturn, gnu::cold, gnu::noinline]] void fail(ErrCode c, uint32_t pos, std::string detail = {}) {
    throw Failure{c, pos, std::move(detail)};
  }
  // Runs `work` for compiled code: 0, or its failure packed (keepDetail), never a throw.
  template <typename F>
  uint64_t packed(F&& work) {
    try {
      work();
      return 0;
    } catch (const Failure& f) {
      return keepDetail(f);
    }
  }
  // A callback's error goes back to compiled code packed; its detail waits here for the error to come
  // out of the compiled code (the same packed value), or to be handled there by `otherwise`.
  uint64_t keepDetail(const Failure& f) {
    scratch_.jitDetail = f.detail;
    jitDetailField_ = -1;
    jitDetailFor_ = jit::packError(f.code, f.pos);
    return jitDetailFor_;
  }
  std::string detailOf(uint64_t e) {
    if (e != jitDetailFor_) return {};
    return jitDetailField_ >= 0 ? p_.shipment.fields[size_t(jitDetailField_)].name : std::move(scratch_.jitDetail);
  }
  int64_t check(ErrCode c, int64_t v, uint32_t pos) { if (c != ErrCode::Ok) fail(c, pos); return v; }

  // A node with a compiled function runs it; the others are interpreted. Inlined into every caller:
  // the leaves (a third of the nodes evaluated) are read without a call, and before the test for a
  // compiled function, which a leaf never has (jit::compiledRoots).
  [[gnu::always_inline]] Val eval(uint32_t idx) {
    const ir::Node& n = p_.nodes[idx];
    switch (n.op) {
      case ir::Op::Const: return {n.imm, &n.str};
      case ir::Op::Origin: return {origin, nullptr};
      case ir::Op::Local: return scratch_.locals[n.a];
      case ir::Op::Field:
        if (!portion && n.a != ir::kFieldMineral && n.a != ir::kFieldNode && r_.values[n.a].present)
          return {r_.values[n.a].i, &r_.values[n.a].s};
        return evalField(n);
      default:
        if (fns_ && fns_[idx]) {
          int64_t v = 0;
          if (uint64_t e = fns_[idx](this, &v)) fail(ErrCode(e >> 32), uint32_t(e), detailOf(e));
          return {v, nullptr};
        }
        return evalNode(idx);
    }
  }
  Val evalNode(uint32_t idx);
  [[gnu::noinline]] Val evalRare(const ir::Node& n, const uint32_t* k);
  // Absent text is "". Views, not `a.s ? *a.s : std::string()`, which copies the string.
  static int compareText(Val a, Val b) {
    return (a.s ? std::string_view(*a.s) : std::string_view()).compare(b.s ? std::string_view(*b.s) : std::string_view());
  }
  bool absentFieldRead(uint32_t idx, uint32_t* fieldNode) const;
  Val evalField(const ir::Node& n);
  struct SeriesWindow { int32_t from = 0, to = 0; };
  ErrCode seriesValue(const ir::Node& n, SeriesWindow& w, int64_t* out) const;
  int64_t evalSeries(const ir::Node& n);
  int64_t evalSchedule(const ir::Node& n);
  std::string keyText(const ir::Node& n, Val key) const;
  bool inGroup(int64_t country, uint32_t g) const;
  int64_t ownedShare(const std::string* entity, const ir::Node& n);
  ErrCode askShare(const std::string* entity, uint32_t g, int64_t* out);
  const rt::FieldValue& field(int f) const { return f == ir::kFieldMineral ? *mineral : f == ir::kFieldNode ? *node : r_.values[f]; }
  void classify();
  void runQuota(uint32_t mi, const ir::Measure& m);
  void runStmts(uint32_t mi, const ir::Measure& m, uint8_t section);
  bool inScope(int scope, uint32_t pos);
  bool scopeHolds(int scope, uint32_t pos);
  bool applies(const std::vector<int>& scopes, int when, uint32_t pos, uint32_t clause);
  void runMeasure(uint32_t mi);
  bool runOriginRules();  // false when one failed (its error recorded)
  std::string show(uint32_t node, Val v) const;
  // Callers test trace_ first, so the untraced path builds no strings.
  void traceEv(rt::TraceEvent::Kind k, uint32_t clause, uint32_t pos, std::string name = {}, std::string value = {}) {
    out_.trace.push_back({k, clause, pos, std::move(name), std::move(value)});
  }

  const ir::Program& p_;
  const rt::Record& r_;
  const Inputs& in_;
  rt::Assessment& out_;
  bool trace_;
  int32_t date_ = 0;
  Scratch& scratch_;                // globals (state 0 not yet, 2 done), locals, fired blocks
  const Interpreter::Tables& tables_;  // the HS ranges and classification values, built once
  bool originSettled_ = false;      // the origin rules have run: scope answers can be kept
  const jit::ExprFn* fns_;          // compiled expressions by node, or null (interpreter only)
  const jit::MeasuresFn measuresFn_;  // compiled measures, or null (interpreter, or a traced run)
  uint64_t jitDetailFor_ = 0;       // ... and that error, packed
  int32_t jitDetailField_ = -1;     // ... or the absent field it names (the detail is its name)
  size_t quotaMark_ = 0;            // quota requests before the running quota measure
};

Val Frame::evalField(const ir::Node& n) {
  if (portion && n.a == ir::kFieldQuantity) return {portionQty, nullptr};
  if (portion && n.a == ir::kFieldValue) return {portionValue, nullptr};
  const rt::FieldValue& f = field(int(n.a));
  if (f.present) return {f.i, &f.s};
  if (p_.hasDefault[n.a]) return {p_.fieldDefaults[n.a], &p_.fieldDefaultTexts[n.a]};
  fail(ErrCode::MissingField, n.pos, p_.shipment.fields[n.a].name);
}

// Whether node idx is a read of an absent field that has no default (directly, as the entity of
// owned_share, or compared with a constant): it fails with E0004 before anything else can happen, so
// `otherwise` and the JIT's callback answer it without throwing (exceptions cost microseconds).
bool Frame::absentFieldRead(uint32_t idx, uint32_t* fieldNode) const {
  const ir::Node* n = &p_.nodes[idx];
  uint32_t at = idx;
  if (n->op == Op::OwnedShare || ((n->op == Op::Eq || n->op == Op::Ne) && p_.nodes[p_.kidsOf(*n)[1]].op == Op::Const)) {
    at = p_.kidsOf(*n)[0];
    n = &p_.nodes[at];
  }
  if (n->op != Op::Field) return false;
  if (portion && (n->a == ir::kFieldQuantity || n->a == ir::kFieldValue)) return false;
  if (field(int(n->a)).present || p_.hasDefault[n->a]) return false;
  *fieldNode = at;
  return true;
}

// owned_share(entity, group) of node n.
int64_t Frame::ownedShare(const std::string* entity, const ir::Node& n) {
  if (!in_.ownership) return 0;  // no ownership data: nobody is known to own anything
  uint32_t g = n.a;
  // Same entity text (owned by the record, a row or the program: stable for this frame), same group.
  if (entity && entity == shareEntity && g == shareGroup) return shareValue;
  int64_t out = 0;
  if (ErrCode c = askShare(entity, g, &out); c != ErrCode::Ok) {
    std::string detail = fmt::format("ownership of \"{}\"", entity ? std::string_view(*entity) : std::string_view());
    if (c == ErrCode::OwnershipCycle) detail += fmt::format(": {}", in_.ownership->lastCycle());
    fail(c, n.pos, std::move(detail));
  }
  return out;
}

// The ownership query itself (in_.ownership set), its answer kept in the frame's memo.
ErrCode Frame::askShare(const std::string* entity, uint32_t g, int64_t* out) {
  // A view: `entity ? *entity : std::string()` would copy the text into a temporary.
  std::string_view name = entity ? std::string_view(*entity) : std::string_view();
  // An undated group is its bit set, tested directly by the walk (one test per owner).
  const Interpreter::CountrySet& set = tables_.groupSets[g];
  auto inSet = [&set](int64_t country) { return set.has(country); };
  auto inDated = [&](int64_t country) { return inGroup(country, g); };
  ErrCode c = set.undated ? in_.ownership->share(name, inSet, out) : in_.ownership->share(name, inDated, out);
  if (c == ErrCode::Ok) {
    shareEntity = entity;
    shareGroup = g;
    shareValue = *out;
  }
  return c;
}

bool Frame::inGroup(int64_t country, uint32_t g) const {
  if (const Interpreter::CountrySet& set = tables_.groupSets[g]; set.undated) return set.has(country);
  for (const auto& m : p_.groups[g].members)
    if (m.country == country && m.from <= date_ && date_ <= m.until) return true;
  return false;
}

int64_t Frame::evalSeries(const ir::Node& n) {
  SeriesWindow w;
  int64_t out = 0;
  if (ErrCode c = seriesValue(n, w, &out); c != ErrCode::Ok)
    fail(c, n.pos, fmt::format("series \"{}\" between {} and {}", p_.series[n.a].key, rt::dateFormat(std::max(w.from, rt::kMinDate)),
                               rt::dateFormat(w.to)));
  return out;
}

// The value of a series window node on the entry date; w says which days the window covered.
ErrCode Frame::seriesValue(const ir::Node& n, SeriesWindow& w, int64_t* result) const {
  const rt::MarketData* md = in_.market;
  const ir::Series& s = p_.series[n.a];
  // Handles bound once by whoever built the inputs (InputSet); else looked up by the series' key.
  int h = !md ? -1 : n.a < in_.seriesHandles.size() ? in_.seriesHandles[n.a] : md->handle(s.key);
  int32_t to = date_ - int32_t(n.imm2);
  int32_t from = to;
  auto fn = ir::SeriesFn(n.b);
  if (fn == ir::SeriesFn::MonthAvg) {
    to = rt::dateMonthStart(date_) - 1;
    from = rt::dateMonthStart(to);
  } else if (n.imm > 0) {
    switch (ir::WindowUnit(n.c)) {
      case ir::WindowUnit::Days: from = to - int32_t(n.imm) + 1; break;
      case ir::WindowUnit::Months: from = rt::dateAddMonths(to, -int(n.imm)) + 1; break;
      case ir::WindowUnit::Years: from = rt::dateAddYears(to, -int(n.imm)) + 1; break;
    }
  } else {
    from = INT32_MIN / 2;
  }
  w = {from, to};
  ErrCode c = ErrCode::MissingObservation;
  if (md && h >= 0) {
    switch (fn) {
      case ir::SeriesFn::Avg: case ir::SeriesFn::MonthAvg: c = md->avg(h, from, to, result); break;
      case ir::SeriesFn::Min: c = md->min(h, from, to, result); break;
      case ir::SeriesFn::Max: c = md->max(h, from, to, result); break;
      case ir::SeriesFn::Latest: c = md->latest(h, to, from, result); break;
    }
  }
  return c;
}

// A progressive bracket's part times its rate (% or a plain number), brought to the result's unit
// by num/den (a % rate: 1/100) with one rounding, as a product is (rt::decMulScaled). A factor past
// rt::kMaxFactor, which no rate has, rounds the product and then scales it.
ErrCode bracketAmount(int64_t part, int64_t rate, int64_t num, int64_t den, int64_t* out) {
  if (num >= 1 && den >= 1 && num <= rt::kMaxFactor && den <= rt::kMaxFactor) return rt::decMulScaled(part, rate, num, den, out);
  if (ErrCode c = rt::decMul(part, rate, out); c != ErrCode::Ok) return c;
  return rt::decMulRatio(*out, num, den, out);
}

int64_t Frame::evalSchedule(const ir::Node& n) {
  const ir::Schedule& s = p_.schedules[n.a];
  const auto& pts = s.points;
  size_t k = 0;
  while (k < pts.size() && pts[k].date <= date_) ++k;  // pts[k-1] is the last point on or before the date
  if (k == 0) {
    if (s.hasBefore) return s.before;
    fail(ErrCode::ScheduleNotInEffect, n.pos, fmt::format("schedule {} starts {}", s.name, rt::dateFormat(pts.empty() ? 0 : pts[0].date)));
  }
  const ir::SchedulePoint& a = pts[k - 1];
  if (!s.linear || k == pts.size() || a.date == date_) return a.value;
  const ir::SchedulePoint& b = pts[k];
  int64_t diff = 0;
  check(rt::decSub(b.value, a.value, &diff), 0, n.pos);
  int64_t part = 0;
  check(rt::decMulRatio(diff, date_ - a.date, b.date - a.date, &part), 0, n.pos);
  int64_t v = 0;
  check(rt::decAdd(a.value, part, &v), 0, n.pos);
  return v;
}

std::string Frame::keyText(const ir::Node& n, Val key) const {
  if (n.imm == 1) return rt::countryText(key.i);
  if (n.imm == 2) return p_.enums[n.imm2].second[key.i];
  return key.s ? *key.s : std::string();
}

Val Frame::evalNode(uint32_t idx) {
  const ir::Node& n = p_.nodes[idx];
  const uint32_t* k = p_.kidsOf(n);
  int64_t out = 0;
  switch (n.op) {
    case Op::Const: return {n.imm, &n.str};
    case Op::Field: return evalField(n);
    case Op::Origin: return {origin, nullptr};
    case Op::UnitPrice: {
      int64_t v = r_.values[ir::kFieldValue].i, q = r_.values[ir::kFieldQuantity].i;
      ir::UnitFactor f = ir::unitFactorOf(n);
      ErrCode c = f.one() ? rt::decDiv(v, q, &out) : rt::decDivScaled(v, q, f.m, f.k, &out);
      if (c != ErrCode::Ok) fail(c, n.pos, "unit price = value / quantity");
      return {out, nullptr};
    }
    case Op::Local: return scratch_.locals[n.a];
    case Op::Global: {
      if (globalState[n.a] == 2) return scratch_.globals[n.a];
      Val v = eval(p_.defs[n.a].node);
      scratch_.globals[n.a] = v;
      globalState[n.a] = 2;
      if (trace_) traceEv(rt::TraceEvent::Value, 0, p_.defs[n.a].pos, p_.defs[n.a].name, show(p_.defs[n.a].node, v));
      return v;
    }
    // Operands left to right, each in its own statement (the order of a call's arguments is
    // unspecified in C++): when both fail, the left one's error is the one reported, as in the JIT.
    case Op::Add: case Op::Sub: case Op::Mul: case Op::Div: {
      int64_t a = eval(k[0]).i;
      int64_t c = eval(k[1]).i;
      // Mul and Div carry a unit factor m/k (ir::unitFactorOf); only a rare unit mix has m > 1.
      ir::UnitFactor f = ir::unitFactorOf(n);
      ErrCode e = n.op == Op::Add ? rt::decAdd(a, c, &out) : n.op == Op::Sub ? rt::decSub(a, c, &out)
                : n.op == Op::Mul ? (f.m > 1 ? rt::decMulScaled(a, c, f.m, f.k, &out) : rt::decMulDiv(a, c, f.k, &out))
                : f.one() ? rt::decDiv(a, c, &out) : rt::decDivScaled(a, c, f.m, f.k, &out);
      check(e, 0, n.pos);
      return {out, nullptr};
    }
    case Op::Neg: check(rt::decNeg(eval(k[0]).i, &out), 0, n.pos); return {out, nullptr};
    case Op::Abs: check(rt::decAbs(eval(k[0]).i, &out), 0, n.pos); return {out, nullptr};
    case Op::Scale: check(rt::decMulRatio(eval(k[0]).i, n.imm, n.imm2, &out), 0, n.pos); return {out, nullptr};
    case Op::Min:
    case Op::Max: {
      int64_t best = eval(k[0]).i;
      for (uint32_t j = 1; j < n.kidsCount; ++j) {
        int64_t v = eval(k[j]).i;
        best = n.op == Op::Min ? std::min(best, v) : std::max(best, v);
      }
      return {best, nullptr};
    }
    case Op::Round: check(rt::decRound(eval(k[0]).i, n.imm, rt::RoundingMode(n.a), &out), 0, n.pos); return {out, nullptr};
    case Op::Lt: case Op::Le: case Op::Gt: case Op::Ge: case Op::Eq: case Op::Ne: {
      Val a = eval(k[0]), b = eval(k[1]);
      int c = 0;
      if (Kind(n.b) == Kind::Text || Kind(n.b) == Kind::Hs) c = compareText(a, b);
      else if (n.imm > 0) c = rt::decCompareScaled(a.i, n.imm, b.i, n.imm2);
      else c = a.i < b.i ? -1 : a.i > b.i ? 1 : 0;
      bool r = n.op == Op::Lt ? c < 0 : n.op == Op::Le ? c <= 0 : n.op == Op::Gt ? c > 0 : n.op == Op::Ge ? c >= 0 : n.op == Op::Eq ? c == 0 : c != 0;
      return {r, nullptr};
    }
    case Op::And: return {eval(k[0]).i && eval(k[1]).i, nullptr};
    case Op::Or: return {eval(k[0]).i || eval(k[1]).i, nullptr};
    case Op::Not: return {!eval(k[0]).i, nullptr};
    case Op::If: return eval(k[0]).i ? eval(k[1]) : eval(k[2]);
    case Op::InGroup: return {inGroup(eval(k[0]).i, n.a), nullptr};
    case Op::InList: {
      Val v = eval(k[0]);
      bool text = Kind(n.b) == Kind::Text;
      for (uint32_t j = 1; j < n.kidsCount; ++j) {
        Val e = eval(k[j]);
        if (text ? (v.s && e.s && *v.s == *e.s) : v.i == e.i) return {1, nullptr};
      }
      return {0, nullptr};
    }
    case Op::HsIn: {
      Val v = eval(k[0]);
      if (v.i > 0) {  // the code's key (rt::hsKey): one range test per prefix
        for (const rt::HsRange& r : tables_.hsRanges[n.a])
          if (r.lo <= v.i && v.i < r.hi) return {1, nullptr};
        return {0, nullptr};
      }
      for (const auto& pre : p_.strLists[n.a])
        if (v.s && v.s->compare(0, pre.size(), pre) == 0) return {1, nullptr};
      return {0, nullptr};
    }
    case Op::SeriesAgg: return {evalSeries(n), nullptr};
    case Op::Schedule: return {evalSchedule(n), nullptr};
    case Op::DaysBetween: {
      int64_t from = eval(k[0]).i;  // left to right, as above
      int64_t d = eval(k[1]).i - from;
      return {d * rt::kOne, nullptr};
    }
    default: return evalRare(n, k);
  }
  fail(ErrCode::InvalidValue, n.pos, "unknown IR operation");
}

// The operations that read run-time data or catch failures: out of evalNode, so that the common
// arithmetic keeps a small stack frame and no exception landing pads.
Val Frame::evalRare(const ir::Node& n, const uint32_t* k) {
  switch (n.op) {
    case Op::RegLookup:
    case Op::RegHas: {
      Val key = eval(k[0]);
      std::string kt = keyText(n, key);
      const rt::RegistryTable* t = n.a < in_.tables.size() ? in_.tables[n.a] : nullptr;
      const rt::Record* row = t ? t->find(kt, date_) : nullptr;
      if (n.op == Op::RegHas) return {row != nullptr, nullptr};
      const std::string& reg = p_.registries[n.a].name;
      if (!row) fail(ErrCode::NoRegistryRow, n.pos, fmt::format("{}[\"{}\"] on {}", reg, kt, rt::dateFormat(date_)));
      const rt::FieldValue& f = row->values[n.b];
      if (!f.present) fail(ErrCode::MissingField, n.pos, fmt::format("{}[\"{}\"].{}", reg, kt, p_.registries[n.a].columns.fields[n.b].name));
      return {f.i, &f.s};
    }
    case Op::OwnedShare: return {ownedShare(eval(k[0]).s, n), nullptr};
    case Op::Bands: {
      int64_t x = eval(k[0]).i;
      for (const auto& b : p_.bandTables[n.a].bands) {
        bool aboveLo = b.loInf || x > b.lo || (b.loIncl && x == b.lo);
        bool belowHi = b.hiInf || x < b.hi || (b.hiIncl && x == b.hi);
        if (aboveLo && belowHi) return eval(b.value);
      }
      fail(ErrCode::NoBand, n.pos, rt::decFormat(x));
    }
    case Op::Progressive: {
      int64_t x = eval(k[0]).i, sum = 0;
      for (const auto& b : p_.bandTables[n.a].bands) {
        int64_t lo = b.loInf ? 0 : b.lo;
        if (x <= lo) continue;
        int64_t top = b.hiInf ? x : std::min(x, b.hi);
        int64_t part = 0, amount = 0;
        check(rt::decSub(top, lo, &part), 0, n.pos);
        check(bracketAmount(part, eval(b.value).i, n.imm, n.imm2, &amount), 0, n.pos);
        check(rt::decAdd(sum, amount, &sum), 0, n.pos);
      }
      return {sum, nullptr};
    }
    case Op::Otherwise: {
      uint32_t missingAt = 0;
      if (absentFieldRead(k[0], &missingAt)) return eval(k[1]);
      try {
        return eval(k[0]);
      } catch (const Failure& f) {
        if (!isMissing(f.code)) throw;
        return eval(k[1]);
      }
    }
    case Op::Present: {
      uint32_t missingAt = 0;
      if (absentFieldRead(k[0], &missingAt)) return {0, nullptr};
      try {
        eval(k[0]);
        return {1, nullptr};
      } catch (const Failure& f) {
        if (!isMissing(f.code)) throw;
        return {0, nullptr};
      }
    }
    case Op::DateAdd: {
      int32_t d = int32_t(eval(k[0]).i);
      int64_t moved = d;
      switch (ir::WindowUnit(n.c)) {
        case ir::WindowUnit::Days: moved = int64_t(d) + n.imm; break;
        case ir::WindowUnit::Months: moved = rt::dateAddMonths(d, int(n.imm)); break;
        case ir::WindowUnit::Years: moved = rt::dateAddYears(d, int(n.imm)); break;
      }
      if (moved < rt::kMinDate || moved > rt::kMaxDate) fail(ErrCode::OutOfRange, n.pos, "date outside 0001-01-01..9999-12-31");
      return {moved, nullptr};
    }
    default: break;
  }
  fail(ErrCode::InvalidValue, n.pos, "unknown IR operation");
}

std::string Frame::show(uint32_t node, Val v) const {
  const ir::Node& n = p_.nodes[node];
  switch (n.kind) {
    case Kind::Num: return rt::decFormat(v.i);
    case Kind::Bool: return v.i ? "yes" : "no";
    case Kind::Date: return rt::dateFormat(int32_t(v.i));
    case Kind::Country: return rt::countryText(v.i);
    case Kind::Text: case Kind::Hs: return v.s ? *v.s : "";
    case Kind::Enum: {
      int e = node < p_.nodeEnums.size() ? p_.nodeEnums[node] : -1;
      if (e >= 0 && v.i >= 0 && size_t(v.i) < p_.enums[size_t(e)].second.size()) return p_.enums[size_t(e)].second[size_t(v.i)];
      return fmt::format("#{}", v.i);
    }
    default: return "";
  }
}

bool Frame::inScope(int si, uint32_t pos) {
  // Once the origin is settled (the measures), a scope's answer is the same for every clause on it:
  // it depends on the shipment, the origin, the date and top-level values only; a scope that does not
  // read the origin has its answer from the origin rules on. Errors are not kept.
  uint8_t& known = scopeState[size_t(si)];
  if (known != kScopeUnknown) return known == kScopeIn;
  bool in = scopeHolds(si, pos);
  if (originSettled_ || tables_.originReaders.freeScopes[size_t(si)]) known = in ? kScopeIn : kScopeOut;
  return in;
}

bool Frame::scopeHolds(int si, uint32_t pos) {
  const ir::Scope& s = p_.scopes[si];
  auto member = [&](int fi, const std::vector<int>& allowed, const std::vector<int>& groups) {
    if (allowed.empty() && groups.empty()) return true;
    const rt::FieldValue& f = field(fi);
    if (!f.present) fail(ErrCode::MissingField, pos, p_.shipment.fields[fi].name);
    for (int a : allowed) if (a == f.i) return true;
    for (int g : groups) if (inGroup(f.i, uint32_t(g))) return true;
    return false;
  };
  if (!member(ir::kFieldMineral, s.minerals, s.mineralGroups) || !member(ir::kFieldNode, s.nodes, s.nodeGroups)) return false;
  return s.where < 0 || eval(uint32_t(s.where)).i != 0;
}

bool Frame::applies(const std::vector<int>& scopes, int when, uint32_t pos, uint32_t clause) {
  if (!scopes.empty()) {
    bool any = false;
    for (int s : scopes) if (inScope(s, pos)) { any = true; break; }
    if (!any) { if (trace_) traceEv(rt::TraceEvent::ScopeMiss, clause, pos); return false; }
  }
  if (when >= 0 && !eval(uint32_t(when)).i) { if (trace_) traceEv(rt::TraceEvent::ConditionFalse, clause, pos); return false; }
  return true;
}

void Frame::runMeasure(uint32_t mi) {
  const ir::Measure& m = p_.measures[mi];
  // Never shrinks: compiled measures may use slots up to the largest measure's (jit maxSlots).
  if (scratch_.locals.size() < m.slots) scratch_.locals.resize(m.slots);
  std::fill_n(scratch_.locals.begin(), m.slots, Val{});
  locals = scratch_.locals.data();
  if (m.quota >= 0) runQuota(mi, m);
  else runStmts(mi, m, 0);
}

// A quota splits the shipment against the balance left in its period, then prices each part with
// quantity and value scaled to that part (the unit price stays the shipment's).
void Frame::runQuota(uint32_t mi, const ir::Measure& m) {
  const ir::Quota& q = p_.quotas[size_t(m.quota)];
  rt::QuotaRec rec;
  rec.quota = uint32_t(m.quota);
  rec.period = rt::quotaPeriodStart(q.period, date_);
  if (q.key >= 0) {
    Val k = eval(uint32_t(q.key));
    rec.key = q.keyKind == 1 ? rt::countryText(k.i) : q.keyKind == 2 ? p_.enums[size_t(q.keyEnum)].second[size_t(k.i)] : (k.s ? *k.s : "");
  }
  rec.volume = eval(q.volume).i;
  rec.usedBefore = in_.quotas ? in_.quotas->used(q.name, rec.period, rec.key) : 0;
  int64_t qty = r_.values[ir::kFieldQuantity].i;
  int64_t value = r_.values[ir::kFieldValue].i;
  int64_t remaining = 0;
  check(rt::decSub(rec.volume, rec.usedBefore, &remaining), 0, q.pos);
  remaining = std::max<int64_t>(remaining, 0);
  rec.inQuota = std::min(qty, remaining);
  rec.overQuota = qty - rec.inQuota;
  out_.quotas.push_back(rec);
  // Top-level values read in a part are the part's; outside the quota, the shipment's again, also
  // when a part fails (the error leaves through here).
  struct WholeShipmentAfter {
    Frame& f;
    ~WholeShipmentAfter() {
      f.portion = 0;
      f.forgetPortionReaders();
    }
  } whole{*this};
  for (uint8_t section = 1; section <= 2; ++section) {
    int64_t part = section == 1 ? rec.inQuota : rec.overQuota;
    if (part <= 0) continue;
    forgetPortionReaders();
    portion = 1;
    portionQty = part;
    // value x part / quantity, exact to 6 places; the whole value when the part is everything.
    if (part == qty) portionValue = value;
    else check(rt::decMulRatio(value, part, qty, &portionValue), 0, q.pos);
    runStmts(mi, m, section);
  }
}

void Frame::runStmts(uint32_t mi, const ir::Measure& m, uint8_t section) {
  for (uint32_t si = 0; si < m.stmts.size(); ++si) {
    const ir::Stmt& s = m.stmts[si];
    if (s.section != section) continue;
    if (s.when >= 0 && !eval(uint32_t(s.when)).i) {
      if (trace_ && s.kind != ir::Stmt::Let) traceEv(rt::TraceEvent::DutySkipped, mi, s.pos);
      continue;
    }
    if (s.kind == ir::Stmt::Let) {
      scratch_.locals[s.slot] = eval(uint32_t(s.value));
      if (trace_) traceEv(rt::TraceEvent::Value, mi, s.pos, "", show(uint32_t(s.value), scratch_.locals[s.slot]));
    } else if (s.kind == ir::Stmt::Duty) {
      rt::DutyLine line;
      line.measure = mi;
      line.stmt = si;
      line.amount = eval(uint32_t(s.value)).i;
      if (s.rate >= 0) { line.hasRate = true; line.rate = eval(uint32_t(s.rate)).i; line.base = eval(uint32_t(s.base)).i; }
      line.rounded = line.amount;
      if (p_.rounding.declared && p_.rounding.perLine)
        check(rt::decRound(line.amount, p_.rounding.quantum, p_.rounding.mode, &line.rounded), 0, s.pos);
      out_.lines.push_back(line);
      if (trace_) traceEv(rt::TraceEvent::DutyLine, mi, s.pos, s.label, rt::decFormat(line.rounded));
    } else {
      out_.outcomes.push_back({uint8_t(s.outcome), mi, si});
      if (trace_) traceEv(rt::TraceEvent::Outcome, mi, s.pos, ir::outcomeName(s.outcome), s.label);
    }
  }
}

// HS classification: a shipment that does not declare its mineral (or node) gets them from the most
// specific `classify` rule whose prefix matches its HS code and whose condition holds.
void Frame::classify() {
  mineral = &r_.values[ir::kFieldMineral];
  node = &r_.values[ir::kFieldNode];
  if ((mineral->present && node->present) || p_.classifications.empty()) return;
  const rt::FieldValue& hs = r_.values[ir::kFieldHs];
  if (!hs.present) return;
  for (size_t i = 0; i < p_.classifications.size(); ++i) {
    const ir::Classification& c = p_.classifications[i];
    if (mineral->present && mineral->i != c.mineral) continue;  // a declared mineral is kept; find its node
    // The code's key (rt::hsKey) against the prefix's range: one test per rule (std.hs has over a
    // hundred); a code set without its key is compared as text.
    const rt::HsRange& r = tables_.classifiedRanges[i];
    if (hs.i > 0 ? !(r.lo <= hs.i && hs.i < r.hi) : hs.s.compare(0, c.prefix.size(), c.prefix) != 0) continue;
    if (c.when >= 0) {
      bool holds = false;
      try {
        holds = eval(uint32_t(c.when)).i != 0;
      } catch (const Failure& f) {
        if (!isMissing(f.code)) throw;  // a condition on an undeclared attribute just does not match
      }
      if (!holds) continue;
    }
    if (!mineral->present) mineral = &tables_.classified[i][0];
    if (!node->present && c.node >= 0) node = &tables_.classified[i][1];
    out_.classification = int(i);  // the assessment says which rule; no trace event needed
    // A condition may have read a value while the mineral or node was absent (`otherwise` caught
    // it): computed again when next read, with the rule's.
    for (uint32_t d : tables_.classificationReaders) globalState[d] = 0;
    return;
  }
}

// One measure in program order: shadowed, not applicable, applied, or failed.
void Frame::measureStep(uint32_t mi) {
  originSettled_ = true;  // measures run after the origin rules, natively or here
  const ir::Measure& m = p_.measures[mi];
  if (m.block >= 0 && blockFired[m.block] && p_.blocks[m.block].kind == "first") {
    if (trace_) traceEv(rt::TraceEvent::Shadowed, mi, m.pos);
    return;
  }
  if (m.quota >= 0) quotaMark_ = out_.quotas.size();
  try {
    if (!applies(m.scopes, m.when, m.pos, mi)) return;
    if (trace_) traceEv(rt::TraceEvent::Applied, mi, m.pos);
    if (m.block >= 0) blockFired[m.block] = 1;
    runMeasure(mi);
  } catch (const Failure& f) {
    dropMeasure(mi, {f.code, f.pos, f.detail});
  }
}

bool Frame::runOriginRules() {
  for (uint32_t i = 0; i < p_.originRules.size(); ++i) {
    const ir::OriginRule& o = p_.originRules[i];
    try {
      if (!applies(o.scopes, int(o.when), o.pos, i)) continue;
      int64_t now = eval(o.becomes).i;
      if (now != origin) {
        origin = now;
        originRule = int32_t(i);
        // Top-level values computed with the previous origin are computed again when next read.
        for (uint32_t d : tables_.originReaders.defs) globalState[d] = 0;
      }
      if (trace_) traceEv(rt::TraceEvent::OriginRule, i, o.pos, o.name, rt::countryText(now));
    } catch (const Failure& f) {
      out_.errors.push_back({f.code, f.pos, f.detail});
      return false;
    }
  }
  return true;
}

void Frame::run() {
  // The readers reject a row without a required field, but a record built otherwise (the C ABI's
  // setters, an embedder's own) may lack one: each missing one is an error and nothing is priced,
  // since a zero quantity or value would price as if it were an answer.
  if (!requiredPresent()) [[unlikely]] {
    for (uint32_t f : tables_.required)
      if (!r_.values[f].present) out_.errors.push_back({ErrCode::MissingField, 0, p_.shipment.fields[f].name});
    return;
  }
  date_ = int32_t(r_.values[ir::kFieldDate].i);
  date = date_;
  origin = r_.values[ir::kFieldOrigin].i;
  out_.declaredOrigin = origin;
  out_.origin = origin;
  if (date_ < p_.inForce || date_ > p_.expiry) {
    // Outside the agreement's term nothing in it applies; say so rather than price a zero.
    out_.errors.push_back({ErrCode::NotInForce, date_ < p_.inForce ? p_.inForcePos : p_.expiryPos,
                           fmt::format("entry date {} is outside the agreement's term", rt::dateFormat(date_))});
    return;
  }
  try {
    classify();
  } catch (const Failure& f) {
    out_.errors.push_back({f.code, f.pos, f.detail});
    return;
  }
  // Origin rules first, in order; each sees the origin the previous ones left. Without an origin no
  // measure can be judged: a failed rule ends the evaluation. The compiled clauses do the same, and
  // run the measures in the same call.
  bool settled = measuresFn_ ? measuresFn_(this) == 0 : runOriginRules();
  out_.originRule = originRule;
  if (!settled) return;
  out_.origin = origin;
  if (!measuresFn_)
    for (uint32_t mi = 0; mi < p_.measures.size(); ++mi) measureStep(mi);
  int64_t total = 0;
  for (const auto& l : out_.lines) {
    if (rt::decAdd(total, p_.rounding.perLine ? l.rounded : l.amount, &total) != ErrCode::Ok) {
      out_.errors.push_back({ErrCode::Overflow, 0, "total"});
      return;
    }
  }
  if (p_.rounding.declared && !p_.rounding.perLine &&
      rt::decRound(total, p_.rounding.quantum, p_.rounding.mode, &total) != ErrCode::Ok) {
    out_.errors.push_back({ErrCode::Overflow, p_.rounding.pos, "total"});
    return;
  }
  out_.total = total;
}

}  // namespace

Interpreter::Interpreter(const ir::Program& p, const jit::CompiledProgram* compiled) : p_(p), compiled_(compiled) {
  static std::atomic<uint64_t> lastId{0};
  tables_.id = ++lastId;
  tables_.defs = uint32_t(p.defs.size());
  tables_.blocks = uint32_t(p.blocks.size());
  tables_.stateBytes = uint32_t(p.defs.size() + p.blocks.size() + p.scopes.size());
  tables_.compiledSlots = compiled ? compiled->maxSlots() : 0;
  tables_.originReaders = ir::originReaders(p);
  tables_.portionReaders = ir::portionReaders(p);
  tables_.classificationReaders = ir::classificationReaders(p);
  for (uint32_t f = 0; f < p.shipment.fields.size(); ++f)
    if (p.shipment.fields[f].required) tables_.required.push_back(f);
  tables_.requiredAreStandard =
      tables_.required == std::vector<uint32_t>{ir::kFieldDate, ir::kFieldHs, ir::kFieldOrigin, ir::kFieldQuantity, ir::kFieldValue};
  tables_.hsRanges.reserve(p.strLists.size());
  for (const auto& list : p.strLists) {
    tables_.hsRanges.emplace_back();
    for (const std::string& pre : list) tables_.hsRanges.back().push_back(rt::hsPrefixRange(pre));
  }
  for (const ir::Group& g : p.groups) {
    CountrySet& set = tables_.groupSets.emplace_back();
    set.undated = g.enumId < 0;
    for (const auto& m : g.members) {
      const int bit = CountrySet::index(m.country);
      set.undated = set.undated && m.from <= rt::kMinDate && m.until >= rt::kMaxDate && bit >= 0;
      if (set.undated) set.bits[size_t(bit) / 64] |= uint64_t(1) << (bit % 64);
    }
  }
  for (const ir::Classification& c : p.classifications) {
    std::array<rt::FieldValue, 2>& v = tables_.classified.emplace_back();
    v[0].present = v[1].present = true;
    v[0].i = c.mineral;
    v[1].i = c.node;
    tables_.classifiedRanges.push_back(rt::hsPrefixRange(c.prefix));
  }
}

void Interpreter::evaluate(const rt::Record& shipment, const Inputs& in, rt::Assessment& out, bool trace) const {
  out.clear();
  Frame f(p_, shipment, in, out, trace, compiled_, tables_);
  f.run();
}

namespace {
Frame* frameOf(jit::FrameView* v) { return static_cast<Frame*>(v); }
extern "C" uint64_t lode_interp_jit_callback(jit::FrameView* f, uint32_t node, int64_t* out) { return frameOf(f)->callback(node, out); }
extern "C" void lode_interp_failed(jit::FrameView* f, uint64_t e, int32_t field, int32_t measure) {
  frameOf(f)->measureFailed(e, field, measure);
}
extern "C" void lode_interp_line(jit::FrameView* f, uint64_t at, int64_t amount, int64_t rate, int64_t base, int64_t rounded) {
  frameOf(f)->line(at, amount, rate, base, rounded);
}
extern "C" uint64_t lode_interp_share(jit::FrameView* f, const rt::FieldValue* cell, uint32_t node, int64_t* out) {
  return frameOf(f)->share(*cell, node, out);
}
extern "C" uint64_t lode_interp_series(jit::FrameView* f, uint32_t node, int64_t* out) { return frameOf(f)->series(node, out); }
extern "C" void lode_interp_outcome(jit::FrameView* f, uint32_t mi, uint32_t si) { frameOf(f)->outcome(mi, si); }
extern "C" uint64_t lode_interp_let(jit::FrameView* f, uint32_t mi, uint32_t si) { return frameOf(f)->let(mi, si); }
extern "C" void lode_interp_measure(jit::FrameView* f, uint32_t mi) { frameOf(f)->measureStep(mi); }
}  // namespace

jit::Callbacks jitCallback() {
  jit::Callbacks cb;
  cb.node = &lode_interp_jit_callback;
  cb.failed = &lode_interp_failed;
  cb.line = &lode_interp_line;
  cb.outcome = &lode_interp_outcome;
  cb.let = &lode_interp_let;
  cb.measure = &lode_interp_measure;
  cb.share = &lode_interp_share;
  cb.series = &lode_interp_series;
  return cb;
}

}  // namespace lode::interp
