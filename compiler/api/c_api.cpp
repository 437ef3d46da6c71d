// The C ABI (include/lode.h) over the compiler and the reference interpreter. Every entry point
// catches everything: no exception crosses into C. Handles start with a magic word so a wrong or
// freed handle is refused instead of dereferenced (as far as memory that was freed can tell).
#include "lode.h"

#include <fmt/format.h>

#include <cstring>
#include <exception>
#include <fstream>
#include <functional>
#include <unordered_map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "compiler/driver.h"
#include "compiler/interp/interp.h"
#include "compiler/report/report.h"
#include "compiler/testing/example_runner.h"
#include "runtime/market.h"
#include "runtime/registry.h"

namespace {

using namespace lode;

enum Magic : uint32_t {
  kAgreement = 0x4c41474e,  // "LAGN"
  kInputs = 0x4c494e50,
  kShipment = 0x4c534850,
  kResult = 0x4c525354,
  kBatch = 0x4c425443,
  kDead = 0xdeadc0de,
};

}  // namespace

struct lode_agreement {
  uint32_t magic = kAgreement;
  std::unique_ptr<Compilation> c;
  std::unique_ptr<jit::CompiledProgram> compiled;  // set by lode_agreement_jit
  std::unique_ptr<interp::Interpreter> interp;
  const ir::Program& p() const { return *c->program; }
};

struct lode_inputs {
  uint32_t magic = kInputs;
  const lode_agreement* a;
  testing::InputSet set;
  std::mutex quotaLock;  // quota balances: read, evaluate and commit as one step
  const interp::Inputs* view;  // built once: pricing threads only read it
  explicit lode_inputs(const lode_agreement* ag) : a(ag), set(ag->p()), view(&set.inputs()) {}
};

struct lode_shipment {
  uint32_t magic = kShipment;
  const lode_agreement* a;
  rt::Record rec;
};

struct lode_result {
  uint32_t magic = kResult;
  const lode_agreement* a = nullptr;  // the agreement that produced it (names of measures)
  rt::Assessment as;
  std::string text;                   // storage for texts handed out
  std::vector<std::string> texts;
};

struct lode_batch {
  uint32_t magic = kBatch;
  const lode_agreement* a;
  size_t n;
  std::vector<std::vector<std::string>> columns;  // per field: n cells ("" = absent)
  std::vector<uint8_t> hasColumn;
  std::vector<lode_result> results;
};

namespace {

template <class T>
bool live(const T* h, uint32_t magic) { return h && h->magic == magic; }

void copyOut(const std::string& s, char* buf, size_t cap) {
  if (!buf || cap == 0) return;
  size_t n = std::min(s.size(), cap - 1);
  std::memcpy(buf, s.data(), n);
  buf[n] = '\0';
}

lode_status copySized(const std::string& s, char* buf, size_t cap, size_t* needed) {
  if (needed) *needed = s.size() + 1;
  if (!buf || cap < s.size() + 1) return LODE_ERR_BUFFER;
  std::memcpy(buf, s.data(), s.size() + 1);
  return LODE_OK;
}

// Runs f, turning any exception into LODE_ERR_INTERNAL (the message goes to msg when given).
template <class F>
lode_status guarded(F&& f, char* msg = nullptr, size_t cap = 0) {
  try {
    return f();
  } catch (const std::exception& e) {
    copyOut(std::string("internal error: ") + e.what(), msg, cap);
  } catch (...) {
    copyOut("internal error", msg, cap);
  }
  return LODE_ERR_INTERNAL;
}

std::string rowErrorsText(const std::vector<rt::RowError>& errs) {
  std::string s;
  for (size_t i = 0; i < errs.size() && i < 5; ++i) s += (s.empty() ? "" : "\n") + report::rowErrorText(errs[i]);
  if (errs.size() > 5) s += fmt::format("\n... {} more", errs.size() - 5);
  return s;
}

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
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    copyOut(fmt::format("cannot read '{}'", path), msg, cap);
    return LODE_ERR_IO;
  }
  std::vector<rt::RowError> errs = load(f);
  copyOut(rowErrorsText(errs), msg, cap);
  return errs.empty() ? LODE_OK : LODE_ERR_DATA;
}

}  // namespace

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
        std::ifstream probe(path, std::ios::binary);
        if (!probe) {
          copyOut(fmt::format("cannot read '{}'", path), diag, diag_cap);
          return LODE_ERR_IO;
        }
        auto a = std::make_unique<lode_agreement>();
        a->c = compileFile(path, opts);
        std::string text;
        for (const Diagnostic& d : a->c->diags.all()) text += formatDiagnostic(a->c->sm, d);
        copyOut(text, diag, diag_cap);
        if (!a->c->program) return LODE_ERR_COMPILE;
        a->interp = std::make_unique<interp::Interpreter>(*a->c->program);
        *out = a.release();
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
        return loadWith(in, path, msg, msg_cap, [&](std::istream& f) { return in->set.quotas().loadCsv(f, path); });
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
    auto* s = new lode_shipment{kShipment, a, {}};
    s->rec.values.assign(a->p().shipment.fields.size(), {});
    *out = s;
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
  for (rt::FieldValue& v : s->rec.values) {
    v.present = false;
    v.i = 0;
    v.s.clear();
  }
  return LODE_OK;
}

lode_status lode_shipment_set(lode_shipment* s, int32_t field, const char* text, char* msg, size_t msg_cap) {
  if (!s || !text) return LODE_ERR_NULL;
  if (!live(s, kShipment)) return LODE_ERR_HANDLE;
  return guarded(
      [&] {
        const ir::Program& p = s->a->p();
        if (field < 0 || static_cast<size_t>(field) >= p.shipment.fields.size()) {
          copyOut(fmt::format("no field with handle {}", field), msg, msg_cap);
          return LODE_ERR_ARGUMENT;
        }
        rt::FieldValue& v = s->rec.values[static_cast<size_t>(field)];
        rt::RowError err;
        rt::FieldValue parsed;
        if (!rt::parseCell(p.shipment.fields[static_cast<size_t>(field)], text, parsed, err,
                           p.countries.empty() ? nullptr : &p.countries)) {
          v = {};
          copyOut(fmt::format("{}: {}", p.shipment.fields[static_cast<size_t>(field)].name, err.message), msg, msg_cap);
          return LODE_ERR_VALUE;
        }
        v = std::move(parsed);
        return LODE_OK;
      },
      msg, msg_cap);
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
    rt::Record rec = s->rec;
    testing::applyFieldDefaults(a->p(), rec);
    evaluate(a, in, rec, r->as);
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
    return copySized(report::assessmentJson(r->a->p(), r->a->c->sm, r->as, 0, ""), buf, cap, needed);
  });
}

// ---- batches -------------------------------------------------------------------------------------

lode_status lode_batch_new(const lode_agreement* a, size_t n, lode_batch** out) {
  if (out) *out = nullptr;
  if (!a || !out) return LODE_ERR_NULL;
  if (!live(a, kAgreement)) return LODE_ERR_HANDLE;
  if (n == 0 || n > LODE_BATCH_MAX) return LODE_ERR_ARGUMENT;  // not an allocation failure deep inside
  return guarded([&] {
    size_t fields = a->p().shipment.fields.size();
    auto* b = new lode_batch{kBatch, a, n, std::vector<std::vector<std::string>>(fields), std::vector<uint8_t>(fields, 0),
                             std::vector<lode_result>(n)};
    *out = b;
    return LODE_OK;
  });
}

void lode_batch_free(lode_batch* b) {
  if (!live(b, kBatch)) return;
  b->magic = kDead;
  delete b;
}

lode_status lode_batch_set_column(lode_batch* b, int32_t field, const char* const* cells, size_t n) {
  if (!b || !cells) return LODE_ERR_NULL;
  if (!live(b, kBatch)) return LODE_ERR_HANDLE;
  if (field < 0 || static_cast<size_t>(field) >= b->columns.size() || n != b->n) return LODE_ERR_ARGUMENT;
  return guarded([&] {
    auto& col = b->columns[static_cast<size_t>(field)];
    col.assign(n, {});
    for (size_t i = 0; i < n; ++i)
      if (cells[i]) col[i] = cells[i];
    b->hasColumn[static_cast<size_t>(field)] = 1;
    return LODE_OK;
  });
}

lode_status lode_batch_price(lode_batch* b, lode_inputs* in, size_t* priced) {
  if (!b || !in) return LODE_ERR_NULL;
  if (!live(b, kBatch) || !live(in, kInputs)) return LODE_ERR_HANDLE;
  if (in->a != b->a) return LODE_ERR_ARGUMENT;
  return guarded([&] {
    const ir::Program& p = b->a->p();
    const std::vector<std::string>* countries = p.countries.empty() ? nullptr : &p.countries;
    size_t ok = 0;
    rt::Record rec;
    rec.values.resize(p.shipment.fields.size());
    for (size_t i = 0; i < b->n; ++i) {
      lode_result& r = b->results[i];
      r.a = b->a;
      r.as.clear();
      rec.row = i + 1;
      // A bad cell is reported in the row's result as E0009-style errors; the row is not evaluated.
      for (size_t f = 0; f < rec.values.size(); ++f) {
        rt::FieldValue& v = rec.values[f];
        v = {};
        if (!b->hasColumn[f] || b->columns[f][i].empty()) continue;
        rt::RowError err;
        if (!rt::parseCell(p.shipment.fields[f], b->columns[f][i], v, err, countries)) {
          v = {};
          r.as.errors.push_back({err.code, 0, p.shipment.fields[f].name + ": " + err.message});
        }
      }
      for (size_t f = 0; f < rec.values.size(); ++f)
        if (p.shipment.fields[f].required && !rec.values[f].present) {
          bool reported = false;
          for (const auto& e : r.as.errors) reported = reported || e.detail.rfind(p.shipment.fields[f].name + ":", 0) == 0;
          if (!reported) r.as.errors.push_back({rt::ErrCode::MissingField, 0, p.shipment.fields[f].name + ": required field is missing"});
        }
      if (!r.as.errors.empty()) continue;
      testing::applyFieldDefaults(p, rec);
      evaluate(b->a, in, rec, r.as);
      if (r.as.ok()) ++ok;
    }
    if (priced) *priced = ok;
    return LODE_OK;
  });
}

const lode_result* lode_batch_result(const lode_batch* b, size_t i) {
  if (!live(b, kBatch) || i >= b->n) return nullptr;
  return &b->results[i];
}

}  // extern "C"
