// The C ABI (include/lode.h) over the compiler and the reference interpreter. Every entry point
// catches everything: no exception crosses into C. Handles start with a magic word so a wrong or
// freed handle is refused instead of dereferenced (as far as memory that was freed can tell).
//
// The per-shipment path does no allocation and no lookup once warm: a shipment keeps its record with
// the agreement's field defaults already applied (so pricing reads it in place), cells of the common
// shapes are converted without re-parsing units or searching the country list (anything unusual goes
// through the runtime's parseCell, which also writes every error message), and typed setters skip text
// altogether. Batches are in batch.cpp.
#include "lode.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "compiler/api/handles.h"
#include "compiler/driver.h"
#include "compiler/interp/interp.h"
#include "compiler/report/report.h"
#include "compiler/testing/example_runner.h"
#include "runtime/csv.h"
#include "runtime/date.h"
#include "runtime/decimal.h"
#include "runtime/market.h"
#include "runtime/registry.h"
#include "runtime/thread_scratch.h"

using namespace lode;
using namespace lode::capi;

namespace lode::capi {

lode_status copySized(const std::string& s, char* buf, size_t cap, size_t* needed) {
  if (needed) *needed = s.size() + 1;
  if (!buf || cap < s.size() + 1) return LODE_ERR_BUFFER;
  std::memcpy(buf, s.data(), s.size() + 1);
  return LODE_OK;
}

std::string rowErrorsText(const std::vector<rt::RowError>& errs) {
  std::string s;
  for (size_t i = 0; i < errs.size() && i < 5; ++i) s += (s.empty() ? "" : "\n") + report::rowErrorText(errs[i]);
  if (errs.size() > 5) s += fmt::format("\n... {} more", errs.size() - 5);
  return s;
}

// ---- the agreement's precomputed field information ----------------------------------------------

void prepare(lode_agreement& a) {
  const ir::Program& p = a.p();
  a.countries = p.countries.empty() ? nullptr : &p.countries;
  a.countryOk.assign(26 * 26, a.countries ? 0 : 1);
  for (const std::string& c : p.countries)
    if (c.size() == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z') a.countryOk[size_t((c[0] - 'A') * 26 + (c[1] - 'A'))] = 1;
  static const char* const kAtoms[] = {"t", "kg", "g", "mg", "lb", "mAh", "Ah", "Wh", "kWh", "MWh", "l", "m3", "tCO2", "kgCO2", "pcs", "%"};
  a.fields.assign(p.shipment.fields.size(), {});
  for (size_t f = 0; f < p.shipment.fields.size(); ++f) {
    const rt::FieldSpec& spec = p.shipment.fields[f];
    FieldInfo& info = a.fields[f];
    info.hs = spec.kind == rt::FieldKind::Hs;
    for (lode_code c : {LODE_CODE_DAYS, LODE_CODE_YYYYMMDD, LODE_CODE_COUNTRY, LODE_CODE_INDEX, LODE_CODE_BOOL})
      if (fits(spec.kind, c)) info.codes |= uint8_t(1u << c);
    switch (spec.kind) {
      case rt::FieldKind::Date: info.lo = rt::kMinDate, info.hi = rt::kMaxDate; break;
      case rt::FieldKind::Enum: info.lo = 0, info.hi = int64_t(spec.enumValues.size()) - 1; break;
      case rt::FieldKind::Bool: info.lo = 0, info.hi = 1; break;
      case rt::FieldKind::Decimal:  // the sign rules of typedDecimal; INT64_MIN is out of range
        info.decimal = true;
        info.lo = spec.sign == rt::Sign::Positive ? 1 : spec.sign == rt::Sign::NonNegative ? 0 : INT64_MIN + 1;
        info.hi = INT64_MAX;
        break;
      default: break;
    }
    if (spec.kind != rt::FieldKind::Decimal) continue;
    info.unitText = spec.unit.text.empty() ? rt::unitText(spec.unit) : spec.unit.text;
    info.dimensionless = spec.unit.dimensionless();
    std::vector<std::string> candidates(std::begin(kAtoms), std::end(kAtoms));
    candidates.push_back(info.unitText);
    if (!spec.unit.currency.empty()) candidates.push_back(spec.unit.currency);
    for (const std::string& text : candidates) {
      if (std::any_of(info.units.begin(), info.units.end(), [&](const CellUnit& u) { return u.text == text; })) continue;
      std::optional<rt::Unit> u = rt::unitParse(text);
      if (!u || !u->sameDimension(spec.unit)) continue;
      std::optional<rt::Rational> factor = rt::unitFactorChecked(*u, spec.unit);
      if (factor) info.units.push_back({text, *factor});
    }
  }
  a.blank.values.assign(p.shipment.fields.size(), {});
  testing::applyFieldDefaults(p, a.blank);
  a.textDefaults = std::any_of(a.blank.values.begin(), a.blank.values.end(), [](const rt::FieldValue& v) { return !v.s.empty(); });
  // Evaluation reads the standard fields it prices by (entry date, HS code, origin, quantity, value,
  // mineral and node) and the fields the agreement's expressions name; nothing else of a record.
  a.read.assign(p.shipment.fields.size(), 0);
  for (int f : {ir::kFieldDate, ir::kFieldHs, ir::kFieldOrigin, ir::kFieldQuantity, ir::kFieldValue, ir::kFieldMineral, ir::kFieldNode})
    a.read[size_t(f)] = 1;
  for (const ir::Node& n : p.nodes)
    if (n.op == ir::Op::Field && n.a < a.read.size()) a.read[n.a] = 1;
}

// ---- cells from text -----------------------------------------------------------------------------

size_t memoSlot(std::string_view t) {
  uint64_t head = 0, tail = 0;
  if (t.size() >= 8) {  // fixed-size copies: single loads
    std::memcpy(&head, t.data(), 8);
    std::memcpy(&tail, t.data() + t.size() - 8, 8);
  } else {
    for (size_t k = 0; k < t.size(); ++k) head |= uint64_t(static_cast<unsigned char>(t[k])) << (8 * k);
  }
  uint64_t h = (head * 0x9E3779B97F4A7C15ull) ^ (tail * 0xC2B2AE3D27D4EB4Full) ^ t.size();
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ull;
  static_assert(kCellMemo == 32);
  return static_cast<size_t>(h >> 59);
}

std::string_view trimCell(std::string_view s) {
  auto isSpace = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool isAscii(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

// The common well-formed cells, converted exactly as rt::parseCell converts them but without parsing
// the unit again or searching the country list. Returns false when unsure: the caller then runs
// parseCell, which handles everything else and writes the error messages.
bool quickCell(const lode_agreement& a, size_t f, std::string_view t, rt::FieldValue& out) {
  const rt::FieldSpec& spec = a.p().shipment.fields[f];
  switch (spec.kind) {
    case rt::FieldKind::Decimal: {
      if (!isAscii(t)) return false;
      size_t i = 0;
      if (i < t.size() && (t[i] == '-' || t[i] == '+')) ++i;
      size_t digits = i;
      while (i < t.size() && ((t[i] >= '0' && t[i] <= '9') || t[i] == '.')) ++i;
      if (i == digits) return false;
      std::string_view num = t.substr(0, i);
      if (num.front() == '+') num.remove_prefix(1);
      std::string_view unit = trimCell(t.substr(i));
      rt::DecParse d = rt::decParse(num);
      if (d.code != rt::ErrCode::Ok) return false;
      int64_t v = d.raw;
      if (unit.empty()) {
        if (!a.fields[f].dimensionless) return false;
      } else {
        // Units start with a letter or '%' (anything else is a malformed number, said by parseCell).
        if (!(unit[0] == '%' || ((unit[0] | 0x20) >= 'a' && (unit[0] | 0x20) <= 'z'))) return false;
        const CellUnit* cu = nullptr;
        for (const CellUnit& u : a.fields[f].units)
          if (u.text == unit) { cu = &u; break; }
        if (!cu || rt::decMulRatio(d.raw, cu->factor.num, cu->factor.den, &v) != rt::ErrCode::Ok) return false;
      }
      if ((spec.sign == rt::Sign::Positive && v <= 0) || (spec.sign == rt::Sign::NonNegative && v < 0)) return false;
      out.i = v;
      break;
    }
    case rt::FieldKind::Country:
      if (t.size() != 2 || t[0] < 'A' || t[0] > 'Z' || t[1] < 'A' || t[1] > 'Z' || !a.countryOk[size_t((t[0] - 'A') * 26 + (t[1] - 'A'))])
        return false;
      out.i = rt::countryCode(t[0], t[1]);
      break;
    case rt::FieldKind::Date: {
      std::optional<int32_t> d = rt::dateParse(t);
      if (!d) return false;
      out.i = *d;
      break;
    }
    case rt::FieldKind::Enum: {
      size_t k = 0;
      while (k < spec.enumValues.size() && spec.enumValues[k] != t) ++k;
      if (k == spec.enumValues.size()) return false;
      out.i = static_cast<int64_t>(k);
      break;
    }
    case rt::FieldKind::Bool:
      if (t == "true" || t == "yes" || t == "1") out.i = 1;
      else if (t == "false" || t == "no" || t == "0") out.i = 0;
      else return false;
      break;
    case rt::FieldKind::Hs:  // the runtime's own reading, without the reasons (parseCell writes them)
      return rt::parseHs(t, out, nullptr);
    case rt::FieldKind::Text:
      if (rt::utf8Invalid(t) != std::string_view::npos) return false;
      out.s.assign(t.data(), t.size());
      out.i = 0;
      break;
  }
  out.present = true;
  return true;
}

// Converts one text cell into `out`. An empty cell is absent (true). false: err says why and `out`
// is absent.
bool textCell(const lode_agreement& a, size_t f, std::string_view text, rt::FieldValue& out, rt::RowError& err) {
  std::string_view t = trimCell(text);
  if (t.empty()) {
    out.present = false;
    out.i = 0;
    out.s.clear();
    return true;
  }
  rt::FieldKind kind = a.p().shipment.fields[f].kind;
  if (kind != rt::FieldKind::Hs && kind != rt::FieldKind::Text) out.s.clear();
  if (quickCell(a, f, t, out)) return true;
  if (rt::parseCell(a.p().shipment.fields[f], text, out, err, a.countries)) return true;
  out = {};
  return false;
}

// ---- typed values ----------------------------------------------------------------------------------

bool fits(rt::FieldKind kind, lode_code code) {
  switch (code) {
    case LODE_CODE_DAYS:
    case LODE_CODE_YYYYMMDD: return kind == rt::FieldKind::Date;
    case LODE_CODE_COUNTRY: return kind == rt::FieldKind::Country;
    case LODE_CODE_INDEX: return kind == rt::FieldKind::Enum;
    case LODE_CODE_BOOL: return kind == rt::FieldKind::Bool;
    default: return false;  // not a format (any int32_t is a lode_code)
  }
}

std::string withUnit(int64_t micros, const FieldInfo& info) {
  std::string s = rt::decFormat(micros);
  return info.unitText.empty() || info.unitText == "1" ? s : s + " " + info.unitText;
}

// A decimal in the field's unit: the text reader's sign rules. false: err says why.
bool typedDecimal(const lode_agreement& a, size_t f, int64_t v, rt::FieldValue& out, rt::RowError& err) {
  const rt::FieldSpec& spec = a.p().shipment.fields[f];
  if (v == INT64_MIN) {
    err.code = rt::ErrCode::OutOfRange;
    err.message = "-9223372036854.775808 is out of range (numbers lie between -9223372036854.775807 and 9223372036854.775807)";
    return false;
  }
  if ((spec.sign == rt::Sign::Positive && v <= 0) || (spec.sign == rt::Sign::NonNegative && v < 0)) {
    err.code = rt::ErrCode::InvalidValue;
    err.message = std::string(spec.sign == rt::Sign::Positive ? "must be more than zero" : "must not be negative") +
                  ", got '" + withUnit(v, a.fields[f]) + "'";
    return false;
  }
  out.present = true;
  out.i = v;
  out.s.clear();
  return true;
}

// A code in a format that fits the field (checked by the caller). false: err says why.
bool typedCode(const lode_agreement& a, size_t f, lode_code code, int64_t v, rt::FieldValue& out, rt::RowError& err) {
  const rt::FieldSpec& spec = a.p().shipment.fields[f];
  auto fail = [&](std::string m) {
    err.code = rt::ErrCode::InvalidValue;
    err.message = std::move(m);
    return false;
  };
  int64_t value = 0;
  switch (code) {
    case LODE_CODE_DAYS:
      if (!rt::dateInRange(static_cast<int32_t>(v)) || v != static_cast<int32_t>(v))
        return fail(fmt::format("day {} is not a date between 0001-01-01 and 9999-12-31 (days since 1970-01-01)", v));
      value = v;
      break;
    case LODE_CODE_YYYYMMDD: {
      int64_t y = v / 10000, m = v / 100 % 100, d = v % 100;
      if (v <= 0 || y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > rt::daysInMonth(int(y), int(m)))
        return fail(fmt::format("{} is not a calendar date (expected YYYYMMDD)", v));
      value = rt::daysFromCivil(int(y), int(m), int(d));
      break;
    }
    case LODE_CODE_COUNTRY: {
      char c0 = static_cast<char>((v >> 8) & 0xff), c1 = static_cast<char>(v & 0xff);
      if ((v >> 16) != 0 || c0 < 'A' || c0 > 'Z' || c1 < 'A' || c1 > 'Z')
        return fail(fmt::format("invalid country code 0x{:x} (expected two uppercase letters packed as LODE_COUNTRY('C', 'N'))", v));
      if (!a.countryOk[size_t((c0 - 'A') * 26 + (c1 - 'A'))]) return fail(fmt::format("unknown country '{}{}'", c0, c1));
      value = rt::countryCode(c0, c1);
      break;
    }
    case LODE_CODE_INDEX:
      if (v < 0 || static_cast<uint64_t>(v) >= spec.enumValues.size())
        return fail(fmt::format("enum index {} is out of range (0 to {}: {})", v, int64_t(spec.enumValues.size()) - 1,
                                fmt::join(spec.enumValues, ", ")));
      value = v;
      break;
    case LODE_CODE_BOOL:
      if (v != 0 && v != 1) return fail(fmt::format("expected 0 or 1, got {}", v));
      value = v;
      break;
    default:
      return fail(fmt::format("unknown code format {}", int(code)));  // callers check fits() first
  }
  out.present = true;
  out.i = value;
  out.s.clear();
  return true;
}

// ---- pricing -------------------------------------------------------------------------------------

// Evaluates and commits the quota part under the inputs' lock when the agreement has quotas.
void evaluate(const lode_agreement* a, lode_inputs* in, const rt::Record& rec, rt::Assessment& out) {
  const ir::Program& p = a->p();
  if (p.quotas.empty()) {
    a->interp->evaluate(rec, *in->view, out, false);
    return;
  }
  std::lock_guard<std::mutex> lock(in->quotaLock);
  a->interp->evaluate(rec, *in->view, out, false);
  testing::commitQuotas(p, out, in->set.quotas());
}

lode_status loadWith(lode_inputs* in, const char* path, char* msg, size_t cap,
                     const std::function<std::vector<rt::RowError>(std::istream&)>& load) {
  std::ifstream f;
  if (!rt::openDataFile(f, path)) {
    copyOut(fmt::format("cannot read '{}'", path), msg, cap);
    return LODE_ERR_IO;
  }
  std::vector<rt::RowError> errs = load(f);
  copyOut(rowErrorsText(errs), msg, cap);
  return errs.empty() ? LODE_OK : LODE_ERR_DATA;
}

// A shipment field back to "no cell": absent, or its default, text included (a text field's default
// is its text: clearing it priced `broker != "none"` as true for a shipment with no broker).
void unsetField(const lode_agreement& a, rt::FieldValue& v, size_t f) {
  resetTo(v, a.blank.values[f]);
}

void setId(lode_result& r, const rt::Record& rec) {
  const rt::FieldValue& id = rec.values[ir::kFieldId];
  if (id.present) r.id.assign(id.s);
  else r.id.clear();
}

bool validField(const lode_agreement* a, int32_t field) {
  return field >= 0 && static_cast<size_t>(field) < a->p().shipment.fields.size();
}

// The error a setter reports, reused per thread: a RowError holds three strings, and building and
// destroying them on every call cost more than setting a typed value.
rt::RowError& setterError() { return rt::threadScratch<rt::RowError>(); }

// The typed setters' fast path (FieldInfo::lo, hi, codes): the field's information, or null for a
// handle that is not a field (the full path says so).
const FieldInfo* fastField(const lode_agreement* a, int32_t field) {
  return field >= 0 && size_t(field) < a->fields.size() ? &a->fields[size_t(field)] : nullptr;
}
void setAsIs(rt::FieldValue& v, int64_t value) {
  v.present = true;
  v.i = value;
  if (!v.s.empty()) v.s.clear();
}

// The typed setters' full checks, for the values their fast path does not take: out of line, so that
// the fast path saves no registers.
[[gnu::noinline]] lode_status setDecimalChecked(lode_shipment* s, int32_t field, int64_t micros, char* msg, size_t msg_cap) {
  return guarded(
      [&] {
        const ir::Program& p = s->a->p();
        if (!validField(s->a, field) || p.shipment.fields[size_t(field)].kind != rt::FieldKind::Decimal) {
          copyOut(fmt::format("field handle {} is not a decimal field", field), msg, msg_cap);
          return LODE_ERR_ARGUMENT;
        }
        const size_t f = static_cast<size_t>(field);
        rt::RowError& err = setterError();
        if (!typedDecimal(*s->a, f, micros, s->rec.values[f], err)) {
          unsetField(*s->a, s->rec.values[f], f);
          copyOut(fmt::format("{}: {}", p.shipment.fields[f].name, err.message), msg, msg_cap);
          return LODE_ERR_VALUE;
        }
        return LODE_OK;
      },
      msg, msg_cap);
}

[[gnu::noinline]] lode_status setCodeChecked(lode_shipment* s, int32_t field, lode_code format, int32_t code, char* msg,
                                             size_t msg_cap) {
  return guarded(
      [&] {
        const ir::Program& p = s->a->p();
        if (!validField(s->a, field) || !fits(p.shipment.fields[size_t(field)].kind, format)) {
          copyOut(fmt::format("field handle {} does not take code format {}", field, int(format)), msg, msg_cap);
          return LODE_ERR_ARGUMENT;
        }
        const size_t f = static_cast<size_t>(field);
        rt::RowError& err = setterError();
        if (!typedCode(*s->a, f, format, code, s->rec.values[f], err)) {
          unsetField(*s->a, s->rec.values[f], f);
          copyOut(fmt::format("{}: {}", p.shipment.fields[f].name, err.message), msg, msg_cap);
          return LODE_ERR_VALUE;
        }
        return LODE_OK;
      },
      msg, msg_cap);
}

std::unique_ptr<lode_agreement> agreementOf(std::unique_ptr<Compilation> c) {
  auto a = std::make_unique<lode_agreement>();
  a->c = std::move(c);
  a->interp = std::make_unique<interp::Interpreter>(*a->c->program);
  prepare(*a);
  return a;
}

}  // namespace lode::capi

extern "C" {

const char* lode_status_text(lode_status s) {
  switch (s) {
    case LODE_OK: return "ok";
    case LODE_ERR_NULL: return "a required argument is NULL";
    case LODE_ERR_HANDLE: return "not a live handle of the expected kind";
    case LODE_ERR_COMPILE: return "the agreement has errors";
    case LODE_ERR_IO: return "a file cannot be read or written";
    case LODE_ERR_ARGUMENT: return "invalid argument";
    case LODE_ERR_VALUE: return "a value does not parse for its field";
    case LODE_ERR_BUFFER: return "buffer too small";
    case LODE_ERR_DATA: return "a data file had bad rows";
    case LODE_ERR_INTERNAL: return "internal error";
  }
  return "unknown status";
}

// ---- agreements ----------------------------------------------------------------------------------

lode_status lode_agreement_compile(const char* path, const char* stdlib_dir, lode_agreement** out, char* diag,
                                   size_t diag_cap) {
  if (out) *out = nullptr;
  if (!path || !out) return LODE_ERR_NULL;
  return guarded(
      [&] {
        CompileOptions opts;
        if (stdlib_dir) opts.stdlibDir = stdlib_dir;
        std::ifstream probe;
        if (!rt::openDataFile(probe, path)) {
          copyOut(fmt::format("cannot read '{}'", path), diag, diag_cap);
          return LODE_ERR_IO;
        }
        std::unique_ptr<Compilation> c = compileFile(path, opts);
        std::string text;
        for (const Diagnostic& d : c->diags.all()) text += formatDiagnostic(c->sm, d);
        copyOut(text, diag, diag_cap);
        if (!c->program) return LODE_ERR_COMPILE;
        *out = agreementOf(std::move(c)).release();
        return LODE_OK;
      },
      diag, diag_cap);
}

lode_status lode_agreement_jit(lode_agreement* a, const char* cache_dir, char* msg, size_t msg_cap) {
  if (!a) return LODE_ERR_NULL;
  if (!live(a, kAgreement)) return LODE_ERR_HANDLE;
  return guarded(
      [&] {
        jit::CompileOptions opts;
        opts.level = jit::OptLevel::Tiered;
        if (cache_dir) opts.cacheDir = cache_dir;
        std::string error;
        auto compiled = jit::CompiledProgram::compile(a->p(), interp::jitCallback(), &error, opts);
        copyOut(error, msg, msg_cap);
        if (!compiled) return LODE_ERR_COMPILE;
        a->interp = std::make_unique<interp::Interpreter>(a->p(), compiled.get());
        a->compiled = std::move(compiled);
        return LODE_OK;
      },
      msg, msg_cap);
}

lode_status lode_agreement_jit_wait(const lode_agreement* a, char* msg, size_t msg_cap) {
  if (!a) return LODE_ERR_NULL;
  if (!live(a, kAgreement)) return LODE_ERR_HANDLE;
  copyOut("", msg, msg_cap);
  if (!a->compiled) return LODE_OK;
  bool installed = a->compiled->waitOptimised();
  std::string error = a->compiled->backgroundError();
  if (installed && error.empty()) return LODE_OK;
  copyOut(error, msg, msg_cap);
  return installed ? LODE_ERR_IO : LODE_ERR_COMPILE;  // installed with an error: the cache was not written
}

int lode_agreement_engine(const lode_agreement* a) {
  if (!live(a, kAgreement) || !a->compiled) return 0;
  return a->compiled->fromCache() ? 2 : 1;
}

void lode_agreement_free(lode_agreement* a) {
  if (!live(a, kAgreement)) return;
  a->magic = kDead;
  delete a;
}

int32_t lode_field(const lode_agreement* a, const char* name) {
  if (!live(a, kAgreement) || !name) return -1;
  return a->p().shipment.find(name);
}

int32_t lode_field_count(const lode_agreement* a) {
  return live(a, kAgreement) ? static_cast<int32_t>(a->p().shipment.fields.size()) : -1;
}

int lode_field_kind(const lode_agreement* a, int32_t field) {
  if (!live(a, kAgreement) || !validField(a, field)) return -1;
  switch (a->p().shipment.fields[size_t(field)].kind) {
    case rt::FieldKind::Decimal: return LODE_KIND_DECIMAL;
    case rt::FieldKind::Bool: return LODE_KIND_BOOL;
    case rt::FieldKind::Date: return LODE_KIND_DATE;
    case rt::FieldKind::Country: return LODE_KIND_COUNTRY;
    case rt::FieldKind::Text: return LODE_KIND_TEXT;
    case rt::FieldKind::Enum: return LODE_KIND_ENUM;
    case rt::FieldKind::Hs: return LODE_KIND_HS;
  }
  return -1;
}

const char* lode_field_unit(const lode_agreement* a, int32_t field) {
  if (!live(a, kAgreement) || !validField(a, field)) return "";
  return a->fields[size_t(field)].unitText.c_str();
}

const char* lode_field_enum_value(const lode_agreement* a, int32_t field, int32_t index) {
  if (!live(a, kAgreement) || !validField(a, field)) return nullptr;
  const rt::FieldSpec& spec = a->p().shipment.fields[size_t(field)];
  if (spec.kind != rt::FieldKind::Enum || index < 0 || size_t(index) >= spec.enumValues.size()) return nullptr;
  return spec.enumValues[size_t(index)].c_str();
}

const char* lode_agreement_title(const lode_agreement* a) { return live(a, kAgreement) ? a->p().title.c_str() : ""; }
const char* lode_agreement_currency(const lode_agreement* a) { return live(a, kAgreement) ? a->p().currency.c_str() : ""; }

// ---- inputs --------------------------------------------------------------------------------------

lode_status lode_inputs_new(const lode_agreement* a, lode_inputs** out) {
  if (out) *out = nullptr;
  if (!a || !out) return LODE_ERR_NULL;
  if (!live(a, kAgreement)) return LODE_ERR_HANDLE;
  return guarded([&] {
    *out = new lode_inputs(a);
    return LODE_OK;
  });
}

void lode_inputs_free(lode_inputs* in) {
  if (!live(in, kInputs)) return;
  in->magic = kDead;
  delete in;
}

lode_status lode_inputs_load_market(lode_inputs* in, const char* path, char* msg, size_t msg_cap) {
  if (!in || !path) return LODE_ERR_NULL;
  if (!live(in, kInputs)) return LODE_ERR_HANDLE;
  return guarded(
      [&] {
        std::unordered_map<std::string, rt::Unit> units;
        for (const ir::Series& s : in->a->p().series) units.emplace(s.key, s.unit);
        return loadWith(in, path, msg, msg_cap, [&](std::istream& f) { return in->set.market().loadCsv(f, path, units); });
      },
      msg, msg_cap);
}

lode_status lode_inputs_load_registry(lode_inputs* in, const char* registry, const char* path, char* msg,
                                      size_t msg_cap) {
  if (!in || !registry || !path) return LODE_ERR_NULL;
  if (!live(in, kInputs)) return LODE_ERR_HANDLE;
  return guarded(
      [&] {
        const ir::Program& p = in->a->p();
        const std::vector<std::string>* countries = p.countries.empty() ? nullptr : &p.countries;
        for (size_t r = 0; r < p.registries.size(); ++r) {
          if (p.registries[r].name != registry) continue;
          if (p.registries[r].ownership)
            return loadWith(in, path, msg, msg_cap, [&](std::istream& f) { return in->set.ownership().loadCsv(f, path, countries); });
          rt::RegistryTable* t = in->set.table(r);
          if (!t) break;
          return loadWith(in, path, msg, msg_cap, [&](std::istream& f) { return t->loadCsv(f, path, countries); });
        }
        copyOut(fmt::format("the agreement declares no registry '{}'", registry), msg, msg_cap);
        return LODE_ERR_ARGUMENT;
      },
      msg, msg_cap);
}

lode_status lode_inputs_load_quotas(lode_inputs* in, const char* path, char* msg, size_t msg_cap) {
  if (!in || !path) return LODE_ERR_NULL;
  if (!live(in, kInputs)) return LODE_ERR_HANDLE;
  return guarded(
      [&] {
        std::lock_guard<std::mutex> lock(in->quotaLock);
        return loadWith(in, path, msg, msg_cap, [&](std::istream& f) { return in->set.loadQuotaState(f, path); });
      },
      msg, msg_cap);
}

lode_status lode_inputs_save_quotas(const lode_inputs* cin, const char* path) {
  if (!cin || !path) return LODE_ERR_NULL;
  if (!live(cin, kInputs)) return LODE_ERR_HANDLE;
  auto* in = const_cast<lode_inputs*>(cin);  // the lock is not part of the observable state
  return guarded([&] {
    std::lock_guard<std::mutex> lock(in->quotaLock);
    std::ofstream f(path, std::ios::binary);
    if (!f) return LODE_ERR_IO;
    in->set.quotas().writeCsv(f);
    return f.good() ? LODE_OK : LODE_ERR_IO;
  });
}

// ---- shipments and results ---------------------------------------------------------------------

lode_status lode_shipment_new(const lode_agreement* a, lode_shipment** out) {
  if (out) *out = nullptr;
  if (!a || !out) return LODE_ERR_NULL;
  if (!live(a, kAgreement)) return LODE_ERR_HANDLE;
  return guarded([&] {
    *out = new lode_shipment{kShipment, a, a->blank};
    return LODE_OK;
  });
}

void lode_shipment_free(lode_shipment* s) {
  if (!live(s, kShipment)) return;
  s->magic = kDead;
  delete s;
}

lode_status lode_shipment_clear(lode_shipment* s) {
  if (!s) return LODE_ERR_NULL;
  if (!live(s, kShipment)) return LODE_ERR_HANDLE;
  const rt::FieldValue* blank = s->a->blank.values.data();
  if (s->a->textDefaults) {
    for (rt::FieldValue& v : s->rec.values) resetTo(v, *blank++);  // unsetField, field after field
    return LODE_OK;
  }
  for (rt::FieldValue& v : s->rec.values) {  // the same without text defaults: no default to test
    v.present = blank->present;
    v.i = blank->i;
    if (!v.s.empty()) v.s.clear();
    ++blank;
  }
  return LODE_OK;
}

lode_status lode_shipment_unset(lode_shipment* s, int32_t field) {
  if (!s) return LODE_ERR_NULL;
  if (!live(s, kShipment)) return LODE_ERR_HANDLE;
  if (!validField(s->a, field)) return LODE_ERR_ARGUMENT;
  unsetField(*s->a, s->rec.values[size_t(field)], size_t(field));
  return LODE_OK;
}

lode_status lode_shipment_set(lode_shipment* s, int32_t field, const char* text, char* msg, size_t msg_cap) {
  if (!s || !text) return LODE_ERR_NULL;
  if (!live(s, kShipment)) return LODE_ERR_HANDLE;
  return guarded(
      [&] {
        if (!validField(s->a, field)) {
          copyOut(fmt::format("no field with handle {}", field), msg, msg_cap);
          return LODE_ERR_ARGUMENT;
        }
        const size_t f = static_cast<size_t>(field);
        rt::FieldValue& v = s->rec.values[f];
        lode_shipment::HsSeen* seen = nullptr;
        if (s->a->fields[f].hs) {
          std::string_view t = trimCell(text);
          seen = &s->hsSeen[memoSlot(t)];
          if (!t.empty() && seen->text == t) {
            v.present = true;
            v.i = seen->value.i;
            v.s = seen->value.s;
            return LODE_OK;
          }
        }
        rt::RowError& err = setterError();
        if (!textCell(*s->a, f, text, v, err)) {
          unsetField(*s->a, v, f);
          copyOut(fmt::format("{}: {}", s->a->p().shipment.fields[f].name, err.message), msg, msg_cap);
          return LODE_ERR_VALUE;
        }
        if (!v.present) unsetField(*s->a, v, f);  // an empty cell: the default, if any
        else if (seen) {
          seen->text.assign(trimCell(text));
          seen->value = v;
        }
        return LODE_OK;
      },
      msg, msg_cap);
}

lode_status lode_shipment_set_decimal(lode_shipment* s, int32_t field, int64_t micros, char* msg, size_t msg_cap) {
  if (!s) return LODE_ERR_NULL;
  if (!live(s, kShipment)) return LODE_ERR_HANDLE;
  if (const FieldInfo* info = fastField(s->a, field); info && info->decimal && micros >= info->lo && micros <= info->hi) {
    setAsIs(s->rec.values[size_t(field)], micros);
    return LODE_OK;
  }
  return setDecimalChecked(s, field, micros, msg, msg_cap);
}

lode_status lode_shipment_set_code(lode_shipment* s, int32_t field, lode_code format, int32_t code, char* msg,
                                   size_t msg_cap) {
  if (!s) return LODE_ERR_NULL;
  if (!live(s, kShipment)) return LODE_ERR_HANDLE;
  if (const FieldInfo* info = fastField(s->a, field); info && uint32_t(format) < 8 && (info->codes >> format & 1)) {
    const bool asIs = format == LODE_CODE_COUNTRY ? knownCountry(*s->a, code)
                                                  : format != LODE_CODE_YYYYMMDD && code >= info->lo && code <= info->hi;
    if (asIs) {
      setAsIs(s->rec.values[size_t(field)], code);
      return LODE_OK;
    }
  }
  return setCodeChecked(s, field, format, code, msg, msg_cap);
}

lode_status lode_result_new(lode_result** out) {
  if (!out) return LODE_ERR_NULL;
  *out = nullptr;
  return guarded([&] {
    *out = new lode_result();
    return LODE_OK;
  });
}

void lode_result_free(lode_result* r) {
  if (!live(r, kResult)) return;
  r->magic = kDead;
  delete r;
}

lode_status lode_price(const lode_agreement* a, lode_inputs* in, const lode_shipment* s, lode_result* r) {
  if (!a || !in || !s || !r) return LODE_ERR_NULL;
  if (!live(a, kAgreement) || !live(in, kInputs) || !live(s, kShipment) || !live(r, kResult)) return LODE_ERR_HANDLE;
  if (in->a != a || s->a != a) return LODE_ERR_ARGUMENT;  // inputs and shipment of another agreement
  return guarded([&] {
    r->a = a;
    r->row = 0;
    r->batch = nullptr;
    setId(*r, s->rec);
    evaluate(a, in, s->rec, r->as);  // defaults are already in the record
    return LODE_OK;
  });
}

int lode_result_ok(const lode_result* r) { return live(r, kResult) && r->a && r->as.ok() ? 1 : 0; }

lode_status lode_result_total(const lode_result* r, char* buf, size_t cap, size_t* needed) {
  if (!r) return LODE_ERR_NULL;
  if (!live(r, kResult)) return LODE_ERR_HANDLE;
  if (!r->a || !r->as.ok()) return LODE_ERR_ARGUMENT;
  return copySized(report::formatMoney(r->a->p(), r->as.total), buf, cap, needed);
}

lode_status lode_result_total_micros(const lode_result* r, int64_t* out) {
  if (!r || !out) return LODE_ERR_NULL;
  if (!live(r, kResult)) return LODE_ERR_HANDLE;
  if (!r->a || !r->as.ok()) return LODE_ERR_ARGUMENT;
  *out = r->as.total;
  return LODE_OK;
}

size_t lode_result_line_count(const lode_result* r) { return live(r, kResult) && r->a ? r->as.lines.size() : 0; }

lode_status lode_result_line(const lode_result* r, size_t i, const char** measure, const char** legal,
                             int64_t* amount_micros) {
  if (!r) return LODE_ERR_NULL;
  if (!live(r, kResult)) return LODE_ERR_HANDLE;
  if (!r->a || i >= r->as.lines.size()) return LODE_ERR_ARGUMENT;
  const rt::DutyLine& l = r->as.lines[i];
  const ir::Measure& m = r->a->p().measures[l.measure];
  if (measure) *measure = m.name.c_str();
  if (legal) *legal = m.legal.c_str();
  if (amount_micros) *amount_micros = l.rounded;
  return LODE_OK;
}

size_t lode_result_outcome_count(const lode_result* r) { return live(r, kResult) && r->a ? r->as.outcomes.size() : 0; }

lode_status lode_result_outcome(const lode_result* r, size_t i, const char** kind, const char** measure,
                                const char** legal, const char** text) {
  if (!r) return LODE_ERR_NULL;
  if (!live(r, kResult)) return LODE_ERR_HANDLE;
  if (!r->a || i >= r->as.outcomes.size()) return LODE_ERR_ARGUMENT;
  const rt::OutcomeRec& o = r->as.outcomes[i];
  const ir::Measure& m = r->a->p().measures[o.measure];
  if (kind) *kind = report::outcomeKindName(o.kind);
  if (measure) *measure = m.name.c_str();
  if (legal) *legal = m.legal.c_str();
  if (text) *text = m.stmts[o.stmt].label.c_str();
  return LODE_OK;
}

size_t lode_result_error_count(const lode_result* r) { return live(r, kResult) ? r->as.errors.size() : 0; }

lode_status lode_result_error(const lode_result* r, size_t i, const char** code, const char** message) {
  if (!r) return LODE_ERR_NULL;
  if (!live(r, kResult)) return LODE_ERR_HANDLE;
  if (i >= r->as.errors.size()) return LODE_ERR_ARGUMENT;
  auto* mr = const_cast<lode_result*>(r);  // message storage, not observable state
  return guarded([&] {
    const rt::EvalError& e = mr->as.errors[i];
    mr->texts.resize(2);
    mr->texts[0] = std::string(rt::errCodeName(e.code));
    mr->texts[1] = report::errorMessage(e);
    if (code) *code = mr->texts[0].c_str();
    if (message) *message = mr->texts[1].c_str();
    return LODE_OK;
  });
}

lode_status lode_result_json(const lode_result* r, char* buf, size_t cap, size_t* needed) {
  if (!r) return LODE_ERR_NULL;
  if (!live(r, kResult)) return LODE_ERR_HANDLE;
  if (!r->a) return LODE_ERR_ARGUMENT;
  return guarded([&] {
    return copySized(report::assessmentJson(r->a->p(), r->a->c->sm, r->as, r->row, r->batch ? batchRowId(r->batch, r->row) : std::string_view(r->id)), buf, cap, needed);
  });
}

}  // extern "C"
