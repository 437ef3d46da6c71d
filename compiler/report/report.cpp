#include "compiler/report/report.h"

#include <fmt/format.h>

#include <cctype>
#include <utility>

#include "runtime/date.h"
#include "runtime/decimal.h"
#include "runtime/errors.h"

namespace lode::report {

namespace {

// ---- JSON and CSV writing -----------------------------------------------------------------------
// Hand-written rather than through nlohmann::json: the batch path writes millions of small objects
// with a fixed key order, and building a json tree per row would dominate the run time.

void appendJsonString(std::string& out, std::string_view s) {
  out += '"';
  size_t run = 0;  // start of the pending run of characters that need no escape (appended in one go)
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;  // UTF-8 bytes pass through unchanged
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: out += fmt::format("\\u{:04x}", c);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

void appendJsonStringOrNull(std::string& out, std::string_view s) {
  if (s.empty()) out += "null";
  else appendJsonString(out, s);
}

void appendKey(std::string& out, std::string_view key) {
  appendJsonString(out, key);
  out += ':';
}

void appendCsvCell(std::string& out, std::string_view s) {
  bool quote = s.find_first_of(",\"\r\n") != std::string_view::npos ||
               (!s.empty() && (s.front() == ' ' || s.back() == ' '));
  if (!quote) {
    out += s;
    return;
  }
  out += '"';
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

const ir::Measure* measureAt(const ir::Program& p, uint32_t m) {
  return m < p.measures.size() ? &p.measures[m] : nullptr;
}

const ir::Stmt* stmtAt(const ir::Program& p, uint32_t m, uint32_t s) {
  const ir::Measure* ms = measureAt(p, m);
  return ms && s < ms->stmts.size() ? &ms->stmts[s] : nullptr;
}

std::string measureName(const ir::Program& p, uint32_t m) {
  const ir::Measure* ms = measureAt(p, m);
  return ms ? ms->name : fmt::format("measure#{}", m);
}


const char* traceKindName(rt::TraceEvent::Kind k) {
  switch (k) {
    case rt::TraceEvent::OriginRule: return "origin_rule";
    case rt::TraceEvent::ScopeMiss: return "scope_miss";
    case rt::TraceEvent::ConditionFalse: return "condition_false";
    case rt::TraceEvent::Applied: return "applied";
    case rt::TraceEvent::Value: return "value";
    case rt::TraceEvent::DutyLine: return "duty_line";
    case rt::TraceEvent::DutySkipped: return "duty_skipped";
    case rt::TraceEvent::Outcome: return "outcome";
    case rt::TraceEvent::Shadowed: return "shadowed";
  }
  return "unknown";
}

const char* roundingModeName(rt::RoundingMode m) {
  switch (m) {
    case rt::RoundingMode::HalfEven: return "half_even";
    case rt::RoundingMode::HalfUp: return "half_up";
    case rt::RoundingMode::Down: return "down";
  }
  return "?";
}

// Line amounts as printed in every format: rounded with the quantum's digits (never fewer).
std::string lineRounded(const ir::Program& p, const rt::DutyLine& l) { return formatMoney(p, l.rounded); }

std::optional<rt::Unit> unitOfStmtPart(const ir::Program& p, int node, uint32_t measure) {
  return node >= 0 ? nodeUnit(p, node, static_cast<int>(measure)) : std::nullopt;
}

bool sameUnitText(const rt::Unit& a, const rt::Unit& b) { return rt::unitText(a) == rt::unitText(b); }

// `measure` (or -1) resolves Local nodes: slots are numbered per measure.
std::optional<rt::Unit> inferUnit(const ir::Program& p, uint32_t idx, int measure, int depth) {
  if (idx >= p.nodes.size() || depth > 16) return std::nullopt;
  const ir::Node& n = p.nodes[idx];
  if (n.kind != ir::Kind::Num) return std::nullopt;
  // The checker records every numeric node's unit; the inference below is for programs built
  // without it (hand-made IR in tests, future front ends).
  if (idx < p.nodeUnits.size()) return p.nodeUnits[idx];
  const uint32_t* kids = p.kidsOf(n);
  // All kids (from `first`) agree on one unit: used by operators that keep their operands' unit.
  auto common = [&](uint32_t first) -> std::optional<rt::Unit> {
    std::optional<rt::Unit> out;
    for (uint32_t k = first; k < n.kidsCount; ++k) {
      auto u = inferUnit(p, kids[k], measure, depth + 1);
      if (!u) return std::nullopt;
      if (out && !sameUnitText(*out, *u)) return std::nullopt;
      out = std::move(u);
    }
    return out;
  };
  switch (n.op) {
    case ir::Op::Field:
      if (n.a < p.shipment.fields.size() && p.shipment.fields[n.a].kind == rt::FieldKind::Decimal)
        return p.shipment.fields[n.a].unit;
      return std::nullopt;
    case ir::Op::Global:
      if (n.a < p.defs.size() && p.defs[n.a].type.kind == ir::Kind::Num) return p.defs[n.a].type.unit;
      return std::nullopt;
    case ir::Op::UnitPrice:
      return p.currency.empty() ? std::nullopt : rt::unitParse(p.currency + "/t");
    case ir::Op::SeriesAgg:
      if (n.a < p.series.size()) return p.series[n.a].unit;
      return std::nullopt;
    case ir::Op::RegLookup:
      if (n.a < p.registries.size() && n.b < p.registries[n.a].columns.fields.size())
        return p.registries[n.a].columns.fields[n.b].unit;
      return std::nullopt;
    case ir::Op::OwnedShare:
      return rt::unitParse("%");
    case ir::Op::Local:
      if (measure >= 0 && static_cast<size_t>(measure) < p.measures.size())
        for (const ir::Stmt& st : p.measures[static_cast<size_t>(measure)].stmts)
          if (st.kind == ir::Stmt::Let && st.slot == n.a && st.value >= 0)
            return inferUnit(p, static_cast<uint32_t>(st.value), measure, depth + 1);
      return std::nullopt;
    case ir::Op::Neg:
    case ir::Op::Abs:
    case ir::Op::Round:
      return n.kidsCount > 0 ? inferUnit(p, kids[0], measure, depth + 1) : std::nullopt;
    case ir::Op::Add:
    case ir::Op::Sub:
    case ir::Op::Min:
    case ir::Op::Max:
    case ir::Op::Otherwise:
      return common(0);
    case ir::Op::If:
      return n.kidsCount == 3 ? common(1) : std::nullopt;
    case ir::Op::Bands: {
      if (n.a >= p.bandTables.size()) return std::nullopt;
      std::optional<rt::Unit> out;
      for (const ir::Band& b : p.bandTables[n.a].bands) {
        auto u = inferUnit(p, b.value, measure, depth + 1);
        if (!u || (out && !sameUnitText(*out, *u))) return std::nullopt;
        out = std::move(u);
      }
      return out;
    }
    default:
      // Const, Local, Scale, Mul, Div, Schedule, Progressive...: the unit is not recorded in the IR.
      return std::nullopt;
  }
}

std::string formatFieldValue(const rt::FieldSpec& spec, const rt::FieldValue& v) {
  switch (spec.kind) {
    case rt::FieldKind::Decimal: return formatWithUnit(v.i, spec.unit);
    case rt::FieldKind::Bool: return v.i ? "yes" : "no";
    case rt::FieldKind::Date: return rt::dateFormat(static_cast<int32_t>(v.i));
    case rt::FieldKind::Country: return rt::countryText(v.i);
    case rt::FieldKind::Enum:
      return v.i >= 0 && static_cast<size_t>(v.i) < spec.enumValues.size() ? spec.enumValues[static_cast<size_t>(v.i)]
                                                                           : fmt::format("#{}", v.i);
    case rt::FieldKind::Text:
    case rt::FieldKind::Hs: return v.s;
  }
  return v.s;
}

}  // namespace

const char* outcomeKindName(uint8_t kind) {
  // Mirrors ir::outcomeName; kept local so an out-of-range kind from a buggy executor cannot crash
  // the writer.
  switch (static_cast<ir::OutcomeKind>(kind)) {
    case ir::OutcomeKind::Admit: return "admit";
    case ir::OutcomeKind::Refuse: return "refuse";
    case ir::OutcomeKind::Detain: return "detain";
    case ir::OutcomeKind::Licence: return "licence";
    case ir::OutcomeKind::Flag: return "flag";
    case ir::OutcomeKind::Prohibit: return "prohibit";
  }
  return "unknown";
}

// ---- helpers ------------------------------------------------------------------------------------

int quantumDigits(int64_t q) {
  if (q <= 0) return 2;  // no sensible quantum: cents are the least surprising display
  int digits = rt::kScale;
  while (digits > 0 && q % 10 == 0) {
    q /= 10;
    --digits;
  }
  return digits;
}

std::string formatMoney(const ir::Program& p, int64_t raw) {
  return rt::decFormat(raw, quantumDigits(p.rounding.quantum));
}

std::string formatMoneyUnit(const ir::Program& p, int64_t raw) {
  std::string s = formatMoney(p, raw);
  if (!p.currency.empty()) s += ' ' + p.currency;
  return s;
}

std::string clausePosition(const ir::Program& p, const SourceManager& sm, uint32_t pos) {
  if (pos == 0 || pos >= p.positions.size()) return {};  // 0: no clause (a missing field, the term)
  const SourceRange& r = p.positions[pos];
  if (r.file >= sm.size()) return {};
  LineCol lc = sm.lineCol(r.file, r.begin);
  return fmt::format("{}:{}:{}", sm.path(r.file), lc.line, lc.col);
}

std::string errorMessage(const rt::EvalError& e) {
  std::string m(rt::errCodeText(e.code));
  if (!e.detail.empty()) m += ": " + e.detail;
  return m;
}

std::string countryOrEmpty(int64_t packed) { return packed == 0 ? std::string() : rt::countryText(packed); }

std::optional<rt::Unit> nodeUnit(const ir::Program& p, int node, int measure) {
  if (node < 0) return std::nullopt;
  return inferUnit(p, static_cast<uint32_t>(node), measure, 0);
}

std::string formatWithUnit(int64_t raw, const std::optional<rt::Unit>& unit) {
  std::string s = rt::decFormat(raw);
  if (!unit || rt::unitIsInvalid(*unit)) return s;
  std::string text = unit->text.empty() ? rt::unitText(*unit) : unit->text;
  if (text.empty() || text == "1") return s;  // dimensionless number
  return s + ' ' + text;
}

std::string rowErrorText(const rt::RowError& e) {
  std::string out = e.file;
  if (e.row > 0) out += fmt::format(":{}", e.row);
  out += ": ";
  if (!e.field.empty()) out += e.field + ": ";
  out += e.message;
  return out;
}

// ---- JSON ---------------------------------------------------------------------------------------

void appendAssessmentJson(std::string& out, const ir::Program& p, const SourceManager& sm, const rt::Assessment& a,
                          uint64_t row, std::string_view id) {
  // Row 0: a shipment that is not a row of a file (one priced through the C ABI).
  out += row > 0 ? fmt::format("{{\"row\":{},\"id\":", row) : std::string("{\"row\":null,\"id\":");
  appendJsonStringOrNull(out, id);
  out += ",\"origin\":";
  appendJsonStringOrNull(out, countryOrEmpty(a.origin));
  out += ",\"declared_origin\":";
  appendJsonStringOrNull(out, countryOrEmpty(a.declaredOrigin));
  out += ",\"origin_rule\":";
  if (a.originRule >= 0 && static_cast<size_t>(a.originRule) < p.originRules.size())
    appendJsonString(out, p.originRules[static_cast<size_t>(a.originRule)].name);
  else
    out += "null";

  out += ",\"lines\":[";
  bool first = true;
  for (const rt::DutyLine& l : a.lines) {
    if (!first) out += ',';
    first = false;
    const ir::Measure* m = measureAt(p, l.measure);
    const ir::Stmt* s = stmtAt(p, l.measure, l.stmt);
    out += '{';
    appendKey(out, "measure");
    appendJsonString(out, measureName(p, l.measure));
    out += ',';
    appendKey(out, "legal");
    appendJsonStringOrNull(out, m ? std::string_view(m->legal) : std::string_view());
    out += ',';
    appendKey(out, "label");
    appendJsonStringOrNull(out, s ? std::string_view(s->label) : std::string_view());
    out += ',';
    appendKey(out, "rate");
    if (l.hasRate) appendJsonString(out, formatWithUnit(l.rate, unitOfStmtPart(p, s ? s->rate : -1, l.measure)));
    else out += "null";
    out += ',';
    appendKey(out, "base");
    if (l.hasRate) appendJsonString(out, formatWithUnit(l.base, unitOfStmtPart(p, s ? s->base : -1, l.measure)));
    else out += "null";
    out += ',';
    appendKey(out, "amount");
    appendJsonString(out, rt::decFormat(l.amount));
    out += ',';
    appendKey(out, "rounded");
    appendJsonString(out, lineRounded(p, l));
    out += '}';
  }

  out += "],\"outcomes\":[";
  first = true;
  for (const rt::OutcomeRec& o : a.outcomes) {
    if (!first) out += ',';
    first = false;
    const ir::Stmt* s = stmtAt(p, o.measure, o.stmt);
    out += '{';
    appendKey(out, "kind");
    appendJsonString(out, outcomeKindName(o.kind));
    out += ',';
    appendKey(out, "measure");
    appendJsonString(out, measureName(p, o.measure));
    out += ',';
    appendKey(out, "text");
    appendJsonStringOrNull(out, s ? std::string_view(s->label) : std::string_view());
    out += '}';
  }

  out += ']';
  if (!a.quotas.empty()) {
    // Quota requests: what each shipment took from which balance (the caller commits in order).
    out += ",\"quotas\":[";
    first = true;
    for (const rt::QuotaRec& q : a.quotas) {
      if (!first) out += ',';
      first = false;
      const ir::Quota* qd = q.quota < p.quotas.size() ? &p.quotas[q.quota] : nullptr;
      out += '{';
      appendKey(out, "quota");
      appendJsonString(out, qd ? qd->name : std::string("?"));
      out += ',';
      appendKey(out, "order");
      appendJsonStringOrNull(out, qd ? std::string_view(qd->order) : std::string_view());
      out += ',';
      appendKey(out, "period");
      if (q.period == INT32_MIN) out += "null";
      else appendJsonString(out, rt::dateFormat(q.period));
      out += ',';
      appendKey(out, "key");
      appendJsonStringOrNull(out, q.key);
      for (auto [k, v] : {std::pair{"volume", q.volume}, std::pair{"used_before", q.usedBefore},
                          std::pair{"in_quota", q.inQuota}, std::pair{"over_quota", q.overQuota}}) {
        out += ',';
        appendKey(out, k);
        appendJsonString(out, rt::decFormat(v) + " t");
      }
      out += '}';
    }
    out += ']';
  }
  out += ",\"total\":";
  if (a.ok()) appendJsonString(out, formatMoney(p, a.total));
  else out += "null";
  out += ",\"currency\":";
  appendJsonStringOrNull(out, p.currency);

  out += ",\"errors\":[";
  first = true;
  for (const rt::EvalError& e : a.errors) {
    if (!first) out += ',';
    first = false;
    out += '{';
    appendKey(out, "code");
    appendJsonString(out, rt::errCodeName(e.code));
    out += ',';
    appendKey(out, "message");
    appendJsonString(out, errorMessage(e));
    out += ',';
    appendKey(out, "at");
    appendJsonStringOrNull(out, clausePosition(p, sm, e.pos));
    out += '}';
  }
  out += ']';

  if (!a.trace.empty()) {
    out += ",\"trace\":[";
    first = true;
    for (const rt::TraceEvent& t : a.trace) {
      if (!first) out += ',';
      first = false;
      out += '{';
      appendKey(out, "kind");
      appendJsonString(out, traceKindName(t.kind));
      out += fmt::format(",\"clause\":{}", t.clause);
      // Name the clause when the kind says which table the index refers to (Value does not).
      if (t.kind == rt::TraceEvent::OriginRule) {
        out += ',';
        appendKey(out, "rule");
        appendJsonStringOrNull(out, t.clause < p.originRules.size() ? std::string_view(p.originRules[t.clause].name)
                                                                    : std::string_view());
      } else if (t.kind != rt::TraceEvent::Value) {
        out += ',';
        appendKey(out, "measure");
        appendJsonString(out, measureName(p, t.clause));
      }
      out += ',';
      appendKey(out, "name");
      appendJsonStringOrNull(out, t.name);
      out += ',';
      appendKey(out, "value");
      appendJsonStringOrNull(out, t.value);
      out += ',';
      appendKey(out, "at");
      appendJsonStringOrNull(out, clausePosition(p, sm, t.pos));
      out += '}';
    }
    out += ']';
  }
  out += '}';
}

std::string assessmentJson(const ir::Program& p, const SourceManager& sm, const rt::Assessment& a, uint64_t row,
                           std::string_view id) {
  std::string out;
  appendAssessmentJson(out, p, sm, a, row, id);
  return out;
}

void appendInputErrorsJson(std::string& out, const ir::Program& p, uint64_t row, std::string_view id,
                           const std::vector<rt::RowError>& errs) {
  out += fmt::format("{{\"row\":{},\"id\":", row);
  appendJsonStringOrNull(out, id);
  out += ",\"origin\":null,\"declared_origin\":null,\"origin_rule\":null,\"lines\":[],\"outcomes\":[],"
         "\"total\":null,\"currency\":";
  appendJsonStringOrNull(out, p.currency);
  out += ",\"errors\":[";
  bool first = true;
  for (const rt::RowError& e : errs) {
    if (!first) out += ',';
    first = false;
    out += '{';
    appendKey(out, "code");
    appendJsonString(out, rt::errCodeName(e.code));
    out += ',';
    appendKey(out, "field");
    appendJsonStringOrNull(out, e.field);
    out += ',';
    appendKey(out, "message");
    appendJsonString(out, e.message);
    out += ',';
    appendKey(out, "at");
    appendJsonStringOrNull(out, e.row > 0 ? fmt::format("{}:{}", e.file, e.row) : e.file);
    out += '}';
  }
  out += "]}";
}

// ---- CSV ----------------------------------------------------------------------------------------

std::string csvHeader() { return "row,id,origin,total,currency,lines,outcomes,errors,quotas"; }

void appendAssessmentCsv(std::string& out, const ir::Program& p, const SourceManager& sm, const rt::Assessment& a,
                         uint64_t row, std::string_view id) {
  out += fmt::format("{},", row);
  appendCsvCell(out, id);
  out += ',';
  out += countryOrEmpty(a.origin);
  out += ',';
  if (a.ok()) out += formatMoney(p, a.total);
  out += ',';
  appendCsvCell(out, p.currency);
  out += ',';

  std::string cell;
  for (const rt::DutyLine& l : a.lines) {
    if (!cell.empty()) cell += ';';
    cell += measureName(p, l.measure) + '=' + lineRounded(p, l);
  }
  appendCsvCell(out, cell);
  out += ',';

  cell.clear();
  for (const rt::OutcomeRec& o : a.outcomes) {
    if (!cell.empty()) cell += ';';
    cell += outcomeKindName(o.kind);
    cell += ':' + measureName(p, o.measure);
    const ir::Stmt* s = stmtAt(p, o.measure, o.stmt);
    if (s && !s->label.empty()) cell += ':' + s->label;
  }
  appendCsvCell(out, cell);
  out += ',';

  cell.clear();
  for (const rt::EvalError& e : a.errors) {
    if (!cell.empty()) cell += ';';
    cell += rt::errCodeName(e.code);
    std::string at = clausePosition(p, sm, e.pos);
    if (!at.empty()) cell += '@' + at;
    cell += ' ' + errorMessage(e);
  }
  appendCsvCell(out, cell);
  out += ',';

  cell.clear();  // quota=in/over, e.g. co_trq=10 t/15 t
  for (const rt::QuotaRec& q : a.quotas) {
    if (!cell.empty()) cell += ';';
    cell += (q.quota < p.quotas.size() ? p.quotas[q.quota].name : std::string("?")) + '=' + rt::decFormat(q.inQuota) +
            " t/" + rt::decFormat(q.overQuota) + " t";
  }
  appendCsvCell(out, cell);
}

std::string assessmentCsv(const ir::Program& p, const SourceManager& sm, const rt::Assessment& a, uint64_t row,
                          std::string_view id) {
  std::string out;
  appendAssessmentCsv(out, p, sm, a, row, id);
  return out;
}

void appendInputErrorsCsv(std::string& out, const ir::Program& p, uint64_t row, std::string_view id,
                          const std::vector<rt::RowError>& errs) {
  out += fmt::format("{},", row);
  appendCsvCell(out, id);
  out += ",,,";  // origin, total: unknown
  appendCsvCell(out, p.currency);
  out += ",,,";  // lines, outcomes: none
  std::string cell;
  for (const rt::RowError& e : errs) {
    if (!cell.empty()) cell += ';';
    cell += rt::errCodeName(e.code);
    if (!e.field.empty()) cell += '@' + e.field;
    cell += ' ' + e.message;
  }
  appendCsvCell(out, cell);
  out += ',';  // quotas: none
}

// ---- explanation --------------------------------------------------------------------------------

namespace {

struct MeasureStory {
  enum State { NotEvaluated, Applied, ScopeMiss, ConditionFalse, Shadowed } state = NotEvaluated;
  uint32_t conditionPos = 0;
  bool hasConditionPos = false;
  std::string shadowedBy;
  std::vector<std::pair<std::string, std::string>> values;
  std::vector<uint32_t> skippedDuties;  // statement positions
};

struct RuleStory {
  enum State { NoEvent, Fired, ScopeMiss, ConditionFalse } state = NoEvent;
  std::string becomes;
  std::vector<std::pair<std::string, std::string>> values;
};

// Positions in the agreement itself read as "line 83"; only those in used modules need the file.
std::string shortPosition(const ir::Program& p, const SourceManager& sm, uint32_t pos) {
  if (pos >= p.positions.size()) return {};
  const SourceRange& r = p.positions[pos];
  if (r.file != 0 || r.file >= sm.size()) return clausePosition(p, sm, pos);
  return fmt::format("line {}", sm.lineCol(r.file, r.begin).line);
}

// True when position `inner` lies inside the source range of position `outer` (same file).
bool within(const ir::Program& p, uint32_t inner, uint32_t outer) {
  if (inner >= p.positions.size() || outer >= p.positions.size()) return false;
  const SourceRange& i = p.positions[inner];
  const SourceRange& o = p.positions[outer];
  return i.file == o.file && i.begin >= o.begin && i.end <= o.end && o.end > o.begin;
}

// HS codes are stored as digits; customs staff read them grouped: 3801.90.00.00.
std::string hsText(const std::string& digits) {
  if (digits.size() <= 4) return digits;
  std::string out = digits.substr(0, 4);
  for (size_t i = 4; i < digits.size(); i += 2) out += '.' + digits.substr(i, 2);
  return out;
}

std::string measureHeading(const ir::Program& p, const SourceManager& sm, size_t m) {
  const ir::Measure& ms = p.measures[m];
  std::string h = ms.name;
  std::string where = shortPosition(p, sm, ms.pos);
  if (!ms.legal.empty() && !where.empty()) h += fmt::format(" ({}, {})", ms.legal, where);
  else if (!ms.legal.empty()) h += fmt::format(" ({})", ms.legal);
  else if (!where.empty()) h += fmt::format(" ({})", where);
  return h;
}

// The source text at a position id, on one line with runs of blanks squeezed.
std::string sourceSnippet(const ir::Program& p, const SourceManager& sm, uint32_t pos) {
  if (pos >= p.positions.size()) return {};
  const SourceRange& r = p.positions[pos];
  if (r.file >= sm.size()) return {};
  const std::string& text = sm.text(r.file);
  std::string out;
  for (uint32_t i = r.begin; i < r.end && i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// A measure-level `let` traced without its name: read the name from the statement's source.
std::string letName(const ir::Program& p, const SourceManager& sm, uint32_t pos) {
  std::string src = sourceSnippet(p, sm, pos);
  if (src.rfind("let ", 0) == 0) {
    size_t e = 4;
    while (e < src.size() && (std::isalnum(static_cast<unsigned char>(src[e])) || src[e] == '_')) ++e;
    if (e > 4) return src.substr(4, e - 4);
  }
  return src;
}

// Traced values are bare numbers; add the unit when it is known.
std::string withUnit(const std::string& value, const std::optional<rt::Unit>& unit) {
  if (!unit || rt::decParse(value).code != rt::ErrCode::Ok) return value;
  return formatWithUnit(rt::decParse(value).raw, unit);
}

std::string letValue(const ir::Program& p, uint32_t measure, uint32_t pos, const std::string& value) {
  for (const ir::Stmt& st : p.measures[measure].stmts)
    if (st.kind == ir::Stmt::Let && st.pos == pos) return withUnit(value, nodeUnit(p, st.value, static_cast<int>(measure)));
  return value;
}

std::string defValue(const ir::Program& p, const std::string& name, const std::string& value) {
  for (const ir::Def& d : p.defs)
    if (d.name == name) return withUnit(value, d.type.kind == ir::Kind::Num ? std::optional<rt::Unit>(d.type.unit) : std::nullopt);
  return value;
}

std::string scopeNames(const ir::Program& p, const std::vector<int>& scopes) {
  std::string s;
  for (int sc : scopes) {
    if (!s.empty()) s += ", ";
    s += sc >= 0 && static_cast<size_t>(sc) < p.scopes.size() ? p.scopes[static_cast<size_t>(sc)].name : "?";
  }
  return s;
}

void appendValues(std::string& out, const std::vector<std::pair<std::string, std::string>>& values,
                  const char* indent) {
  for (const auto& [name, value] : values) {
    if (name.empty()) out += fmt::format("{}value: {}\n", indent, value);
    else out += fmt::format("{}{} = {}\n", indent, name, value);
  }
}

}  // namespace

std::string explainText(const ir::Program& p, const SourceManager& sm, const rt::Record& shipment,
                        const rt::Assessment& a) {
  std::string out;

  // -- the shipment as read
  std::string id;
  if (ir::kFieldId < static_cast<int>(shipment.values.size()) && shipment.values[ir::kFieldId].present)
    id = shipment.values[ir::kFieldId].s;
  out += id.empty() ? "Shipment\n" : fmt::format("Shipment {}\n", id);
  for (size_t f = 0; f < shipment.values.size() && f < p.shipment.fields.size(); ++f) {
    if (!shipment.values[f].present || f == static_cast<size_t>(ir::kFieldId)) continue;
    const rt::FieldSpec& spec = p.shipment.fields[f];
    out += fmt::format("  {}: {}\n", spec.name,
                       spec.kind == rt::FieldKind::Hs ? hsText(shipment.values[f].s) : formatFieldValue(spec, shipment.values[f]));
  }
  if (a.classification >= 0 && static_cast<size_t>(a.classification) < p.classifications.size()) {
    const ir::Classification& c = p.classifications[static_cast<size_t>(a.classification)];
    auto enumText = [&](const char* name, int v) -> std::string {
      for (const auto& [n, vals] : p.enums)
        if (n == name && v >= 0 && static_cast<size_t>(v) < vals.size()) return vals[static_cast<size_t>(v)];
      return "?";
    };
    std::string where = shortPosition(p, sm, c.pos);
    out += fmt::format("  classified from HS {}: {}{}{}\n", hsText(c.prefix), enumText("mineral", c.mineral),
                       c.node >= 0 ? " at " + enumText("node", c.node) : std::string(), where.empty() ? "" : " (" + where + ")");
  }
  if (!p.title.empty())
    out += p.version.empty() ? fmt::format("Assessed under \"{}\"\n", p.title)
                             : fmt::format("Assessed under \"{}\" (version {})\n", p.title, p.version);

  // -- sort trace events into stories per origin rule and measure
  std::vector<RuleStory> rules(p.originRules.size());
  std::vector<MeasureStory> measures(p.measures.size());
  // How events map to clauses (see the contract in report.h):
  //  - Origin rules run first, in order, and each ends with one decision event: OriginRule when it
  //    fires, else ScopeMiss / ConditionFalse carrying the rule's index. Those share their kinds with
  //    measure events, so the decisions are matched to rules in rule order until the rules are done.
  //  - A named Value is a definition computed on first use; its clause says nothing, so it goes to
  //    the event that follows it (the decision or statement that needed it). An unnamed Value is a
  //    measure's `let` (clause = the measure), named from its source text.
  size_t nextRule = 0;
  std::vector<std::pair<std::string, std::string>> pending;
  auto takePending = [&](std::vector<std::pair<std::string, std::string>>& into) {
    for (auto& v : pending) into.push_back(std::move(v));
    pending.clear();
  };
  for (const rt::TraceEvent& t : a.trace) {
    if (t.kind == rt::TraceEvent::Value) {
      if (t.name.empty() && t.clause < measures.size()) {
        // Definitions first used inside this let were computed just before it: keep them in order.
        takePending(measures[t.clause].values);
        measures[t.clause].values.emplace_back(letName(p, sm, t.pos), letValue(p, t.clause, t.pos, t.value));
      } else {
        pending.emplace_back(t.name, defValue(p, t.name, t.value));
      }
      continue;
    }
    bool ruleDecision = t.kind == rt::TraceEvent::OriginRule ||
                        (nextRule < rules.size() && t.clause == nextRule &&
                         (t.kind == rt::TraceEvent::ScopeMiss || t.kind == rt::TraceEvent::ConditionFalse));
    if (ruleDecision) {
      if (t.clause >= rules.size()) continue;
      RuleStory& r = rules[t.clause];
      takePending(r.values);
      if (t.kind == rt::TraceEvent::OriginRule) {
        r.state = RuleStory::Fired;
        r.becomes = t.value;
      } else {
        r.state = t.kind == rt::TraceEvent::ScopeMiss ? RuleStory::ScopeMiss : RuleStory::ConditionFalse;
      }
      nextRule = t.clause + 1;
      continue;
    }
    nextRule = rules.size();  // the first measure event ends the origin phase
    if (t.clause >= measures.size()) continue;
    MeasureStory& m = measures[t.clause];
    takePending(m.values);
    switch (t.kind) {
      case rt::TraceEvent::ScopeMiss: m.state = MeasureStory::ScopeMiss; break;
      case rt::TraceEvent::ConditionFalse:
        m.state = MeasureStory::ConditionFalse;
        m.conditionPos = t.pos;
        m.hasConditionPos = true;
        break;
      case rt::TraceEvent::Applied: m.state = MeasureStory::Applied; break;
      case rt::TraceEvent::Shadowed:
        m.state = MeasureStory::Shadowed;
        m.shadowedBy = t.name;
        break;
      case rt::TraceEvent::DutySkipped: m.skippedDuties.push_back(t.pos); break;
      case rt::TraceEvent::DutyLine:
      case rt::TraceEvent::Outcome:
        // Producing a line or an outcome implies the measure applied, even if the executor did not
        // record Applied itself.
        if (m.state == MeasureStory::NotEvaluated) m.state = MeasureStory::Applied;
        break;
      default: break;
    }
  }
  // Lines and outcomes in the assessment are authoritative even without trace events.
  for (const rt::DutyLine& l : a.lines)
    if (l.measure < measures.size() && measures[l.measure].state == MeasureStory::NotEvaluated)
      measures[l.measure].state = MeasureStory::Applied;
  for (const rt::OutcomeRec& o : a.outcomes)
    if (o.measure < measures.size() && measures[o.measure].state == MeasureStory::NotEvaluated)
      measures[o.measure].state = MeasureStory::Applied;
  // A shadowed measure names the block member that fired before it.
  for (size_t m = 0; m < measures.size(); ++m) {
    if (measures[m].state != MeasureStory::Shadowed || !measures[m].shadowedBy.empty()) continue;
    for (size_t e = 0; e < m; ++e)
      if (p.measures[e].block == p.measures[m].block && measures[e].state == MeasureStory::Applied) {
        measures[m].shadowedBy = p.measures[e].name;
        break;
      }
  }

  // -- origin
  out += "\nOrigin\n";
  std::string declared = countryOrEmpty(a.declaredOrigin);
  out += fmt::format("  declared origin: {}\n", declared.empty() ? "unknown" : declared);
  for (size_t r = 0; r < p.originRules.size(); ++r) {
    const ir::OriginRule& rule = p.originRules[r];
    std::string head = rule.name;
    if (!rule.legal.empty()) head += fmt::format(" ({})", rule.legal);
    const RuleStory& st = rules[r];
    switch (st.state) {
      case RuleStory::Fired:
        out += fmt::format("  rule {} applies: origin becomes {}\n", head,
                           st.becomes.empty() ? countryOrEmpty(a.origin) : st.becomes);
        break;
      case RuleStory::ScopeMiss:
        out += fmt::format("  rule {} does not apply: the shipment is not in {}\n", head, scopeNames(p, rule.scopes));
        break;
      case RuleStory::ConditionFalse:
        out += fmt::format("  rule {} does not apply: its condition is false\n", head);
        break;
      case RuleStory::NoEvent:
        if (static_cast<int>(r) == a.originRule) out += fmt::format("  rule {} applies\n", head);
        else if (!a.ok()) out += fmt::format("  rule {} was not evaluated (see the errors below)\n", head);
        else out += fmt::format("  rule {} does not change the origin\n", head);
        break;
    }
    appendValues(out, st.values, "    ");
  }
  std::string effective = countryOrEmpty(a.origin);
  if (a.originRule >= 0 && static_cast<size_t>(a.originRule) < p.originRules.size())
    out += fmt::format("  effective origin: {} (set by rule {})\n", effective.empty() ? "unknown" : effective,
                       p.originRules[static_cast<size_t>(a.originRule)].name);
  else
    out += fmt::format("  effective origin: {} (as declared)\n", effective.empty() ? "unknown" : effective);
  if (!pending.empty()) appendValues(out, pending, "  ");  // values no decision claimed

  // -- measures that apply
  bool any = false;
  for (size_t m = 0; m < p.measures.size(); ++m) {
    const MeasureStory& st = measures[m];
    if (st.state != MeasureStory::Applied) continue;
    if (!any) out += "\nMeasures that apply\n";
    any = true;
    out += fmt::format("  {}\n", measureHeading(p, sm, m));
    appendValues(out, st.values, "    ");
    for (const rt::QuotaRec& q : a.quotas) {
      if (q.quota >= p.quotas.size() || p.quotas[q.quota].measure != m) continue;
      const ir::Quota& qd = p.quotas[q.quota];
      out += fmt::format("    quota{}{}{}: volume {} t, used before {} t -> in quota {} t, over quota {} t\n",
                         qd.order.empty() ? "" : " " + qd.order,
                         q.period == INT32_MIN ? "" : " for the period from " + rt::dateFormat(q.period),
                         q.key.empty() ? "" : " (" + q.key + ")", rt::decFormat(q.volume), rt::decFormat(q.usedBefore),
                         rt::decFormat(q.inQuota), rt::decFormat(q.overQuota));
    }
    bool produced = !a.quotas.empty() && p.measures[m].quota >= 0;
    for (const rt::DutyLine& l : a.lines) {
      if (l.measure != m) continue;
      produced = true;
      const ir::Stmt* s = stmtAt(p, l.measure, l.stmt);
      std::string label = s && !s->label.empty() ? fmt::format("duty \"{}\"", s->label) : "duty";
      std::string calc;
      if (l.hasRate)
        calc = fmt::format("{} x {} = ", formatWithUnit(l.rate, unitOfStmtPart(p, s ? s->rate : -1, l.measure)),
                           formatWithUnit(l.base, unitOfStmtPart(p, s ? s->base : -1, l.measure)));
      std::string exact = rt::decFormat(l.amount) + (p.currency.empty() ? "" : " " + p.currency);
      if (l.rounded != l.amount)
        out += fmt::format("    {}: {}{}, rounded to {}\n", label, calc, exact, formatMoneyUnit(p, l.rounded));
      else
        out += fmt::format("    {}: {}{}\n", label, calc, formatMoneyUnit(p, l.rounded));
    }
    for (uint32_t pos : st.skippedDuties) {
      const ir::Stmt* s = nullptr;
      for (const ir::Stmt& cand : p.measures[m].stmts)
        if (cand.pos == pos && cand.kind != ir::Stmt::Let) s = &cand;
      std::string what = "a statement";
      if (s && s->kind == ir::Stmt::Duty) what = s->label.empty() ? "duty" : fmt::format("duty \"{}\"", s->label);
      else if (s && s->outcome == ir::OutcomeKind::Flag) what = fmt::format("flag \"{}\"", s->label);
      else if (s) what = s->label.empty() ? ir::outcomeName(s->outcome) : fmt::format("{} \"{}\"", ir::outcomeName(s->outcome), s->label);
      std::string where = shortPosition(p, sm, pos);
      out += fmt::format("    {}: not applied, its condition is false{}\n", what, where.empty() ? "" : " (" + where + ")");
    }
    for (const rt::OutcomeRec& o : a.outcomes) {
      if (o.measure != m) continue;
      produced = true;
      const ir::Stmt* s = stmtAt(p, o.measure, o.stmt);
      std::string text = s ? s->label : std::string();
      if (o.kind == static_cast<uint8_t>(ir::OutcomeKind::Flag)) out += fmt::format("    flag: \"{}\"\n", text);
      else if (text.empty()) out += fmt::format("    outcome: {}\n", outcomeKindName(o.kind));
      else out += fmt::format("    outcome: {} (\"{}\")\n", outcomeKindName(o.kind), text);
    }
    // An error inside the measure discards its lines (the interpreter's rule); say so right here.
    const rt::EvalError* failed = nullptr;
    for (const rt::EvalError& e : a.errors)
      if (within(p, e.pos, p.measures[m].pos)) failed = &e;
    if (failed)
      out += fmt::format("    stopped by error {} ({}): nothing charged\n", rt::errCodeName(failed->code),
                         errorMessage(*failed));
    else if (!produced && st.skippedDuties.empty())
      out += "    (no duty and no outcome)\n";
  }
  if (!any) out += "\nNo measure applies.\n";

  // -- measures that do not apply
  any = false;
  for (size_t m = 0; m < p.measures.size(); ++m) {
    const MeasureStory& st = measures[m];
    if (st.state == MeasureStory::Applied) continue;
    if (!any) out += "\nMeasures that do not apply\n";
    any = true;
    const ir::Measure& ms = p.measures[m];
    std::string why;
    switch (st.state) {
      case MeasureStory::ScopeMiss:
        why = fmt::format("the shipment is not in {}", ms.scopes.empty() ? "its scopes" : scopeNames(p, ms.scopes));
        break;
      case MeasureStory::ConditionFalse: {
        // The measure's own position is already in the heading.
        std::string where = st.hasConditionPos && st.conditionPos != ms.pos ? shortPosition(p, sm, st.conditionPos) : "";
        why = "its condition is false" + (where.empty() ? "" : " (" + where + ")");
        break;
      }
      case MeasureStory::Shadowed: {
        std::string block;
        if (ms.block >= 0 && static_cast<size_t>(ms.block) < p.blocks.size()) {
          const ir::Block& b = p.blocks[static_cast<size_t>(ms.block)];
          block = b.label.empty() ? fmt::format(" of its `{}` block", b.kind)
                                  : fmt::format(" of the `{}` block \"{}\"", b.kind, b.label);
        }
        why = st.shadowedBy.empty() ? fmt::format("an earlier measure{} applies", block)
                                    : fmt::format("the earlier measure {}{} applies", st.shadowedBy, block);
        break;
      }
      default: why = a.ok() ? "not evaluated" : "could not be evaluated (see the errors below)"; break;
    }
    out += fmt::format("  {}: {}\n", measureHeading(p, sm, m), why);
    appendValues(out, st.values, "    ");
  }

  // -- errors and total
  if (!a.errors.empty()) {
    out += "\nErrors\n";
    for (const rt::EvalError& e : a.errors) {
      std::string where = shortPosition(p, sm, e.pos);
      out += fmt::format("  {} {}{}\n", rt::errCodeName(e.code), errorMessage(e), where.empty() ? "" : " (" + where + ")");
    }
  }
  out += '\n';
  if (a.ok()) {
    out += fmt::format("Total duty: {}", formatMoneyUnit(p, a.total));
    if (p.rounding.declared)
      out += fmt::format(" ({} rounded {} to {})", p.rounding.perLine ? "each line" : "the total",
                         roundingModeName(p.rounding.mode), formatMoneyUnit(p, p.rounding.quantum));
    out += '\n';
  } else {
    out += "Total duty: not determined, the evaluation had errors\n";
  }
  return out;
}

}  // namespace lode::report
