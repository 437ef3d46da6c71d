// Columnar batches (lode_batch_*): cells in one buffer per column, rows assembled in a per-thread
// record and, for agreements without quotas, split between worker threads the batch owns.
#include "compiler/api/handles.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <stdexcept>
#include <thread>

#ifdef __linux__
#include <sched.h>
#endif

#include "runtime/date.h"

using namespace lode;
using namespace lode::capi;

namespace {

// One column of a batch, in the form it was set.
struct Column {
  enum class Form : uint8_t { None, Text, Decimal, Code } form = Form::None;
  lode_code code = LODE_CODE_DAYS;
  std::string chars;               // Text: the cells back to back
  std::vector<size_t> ends;        // Text: cell i is chars[ends[i-1], ends[i])
  std::vector<int64_t> values;     // Decimal (micros) or Code
  std::vector<uint8_t> present;    // typed: empty = every row has a value

  std::string_view text(size_t i) const {
    size_t b = i == 0 ? 0 : ends[i - 1];
    return std::string_view(chars).substr(b, ends[i] - b);
  }
};

// What one pricing thread reuses from row to row.
struct RowScratch {
  enum State : uint8_t { Given, Bad, Absent };
  rt::Record rec;              // fields without a column stay as set up for the whole pricing
  std::vector<uint8_t> state;  // per field, for the current row
  rt::RowError err;
  // HS cells parsed before by this thread (a batch has few distinct codes): direct-mapped by a hash
  // of the text, per field. Parsing depends only on the agreement and the text, so entries stay
  // valid for the batch's life.
  struct Memo {
    std::string text;
    rt::FieldValue value;
    bool used = false;
  };
  static constexpr size_t kMemo = 32;
  std::vector<Memo> memo;  // field * kMemo + slot
};

// One column as a pricing reads it: a compact list over the fields that have one, built per call.
struct PlanField {
  uint32_t f;
  Column::Form form;
  lode_code code;
  bool hs;                 // Text form of an HS field: parsed cells are memoised
  bool plainText;          // Text form of a text field: plain ASCII cells are taken as they are
  bool country;            // LODE_CODE_COUNTRY: a known country's code is the value as it is
  const int64_t* values;   // typed
  const uint8_t* present;  // typed; null: every row
  const Column* col;
  int64_t lo, hi;          // typed values in [lo, hi] need no check (DAYS, INDEX, BOOL, decimals)
};

// Worker threads owned by a batch: started on first use, ended when the batch is freed.
class Pool {
 public:
  ~Pool() {
    {
      std::lock_guard<std::mutex> l(m_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
  }
  size_t size() const { return threads_.size(); }
  // Runs job(k) for k = 1..workers on the pool's threads and job(0) on the caller; returns when all
  // have finished. Exceptions are caught per thread; the first message is returned ("" when none).
  std::string run(size_t workers, const std::function<void(size_t)>& job) {
    while (threads_.size() < workers) {
      size_t k = threads_.size() + 1;
      threads_.emplace_back([this, k] { loop(k); });
    }
    {
      std::lock_guard<std::mutex> l(m_);
      job_ = &job;
      active_ = workers;
      pending_ = workers;
      error_.clear();
      ++generation_;
    }
    wake_.notify_all();
    guardedRun(job, 0);
    std::unique_lock<std::mutex> l(m_);
    done_.wait(l, [&] { return pending_ == 0; });
    job_ = nullptr;
    return error_;
  }

 private:
  void guardedRun(const std::function<void(size_t)>& job, size_t k) {
    try {
      job(k);
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> l(m_);
      if (error_.empty()) error_ = e.what();
    } catch (...) {
      std::lock_guard<std::mutex> l(m_);
      if (error_.empty()) error_ = "unknown exception";
    }
  }
  void loop(size_t k) {
    uint64_t seen = 0;
    for (;;) {
      const std::function<void(size_t)>* job;
      {
        std::unique_lock<std::mutex> l(m_);
        wake_.wait(l, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        job = k <= active_ ? job_ : nullptr;
      }
      if (!job) continue;
      guardedRun(*job, k);
      std::lock_guard<std::mutex> l(m_);
      if (--pending_ == 0) done_.notify_one();
    }
  }

  std::vector<std::thread> threads_;
  std::mutex m_;
  std::condition_variable wake_, done_;
  const std::function<void(size_t)>* job_ = nullptr;
  uint64_t generation_ = 0;
  size_t active_ = 0, pending_ = 0;
  bool stop_ = false;
  std::string error_;
};

}  // namespace

struct lode_batch {
  uint32_t magic = kBatch;
  const lode_agreement* a;
  size_t n;
  unsigned threads = 0;              // lode_batch_set_threads: 0 = every CPU available
  std::vector<Column> columns;       // per field
  std::vector<lode_result> results;
  std::vector<RowScratch> scratch;   // per pricing thread
  std::vector<PlanField> plan;       // fields with a column, in field order
  std::vector<uint32_t> required;    // required fields
  std::unique_ptr<Pool> pool;
};

namespace {

unsigned hardwareThreads() { return std::max(1u, std::thread::hardware_concurrency()); }

// CPUs this process may run on (its affinity mask), at most hardware_concurrency.
unsigned availableCpus() {
  unsigned hw = hardwareThreads();
#ifdef __linux__
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return std::min(hw, static_cast<unsigned>(n));
  }
#endif
  return hw;
}

constexpr size_t kMinRowsPerThread = 64;
constexpr size_t kChunkRows = 32;  // rows a thread takes at a time

}  // namespace

extern "C" {

// ---- batches -------------------------------------------------------------------------------------

lode_status lode_batch_new(const lode_agreement* a, size_t n, lode_batch** out) {
  if (out) *out = nullptr;
  if (!a || !out) return LODE_ERR_NULL;
  if (!live(a, kAgreement)) return LODE_ERR_HANDLE;
  if (n == 0 || n > LODE_BATCH_MAX) return LODE_ERR_ARGUMENT;  // not an allocation failure deep inside
  return guarded([&] {
    auto b = std::make_unique<lode_batch>();
    b->a = a;
    b->n = n;
    b->columns.resize(a->p().shipment.fields.size());
    b->results.resize(n);
    *out = b.release();
    return LODE_OK;
  });
}

void lode_batch_free(lode_batch* b) {
  if (!live(b, kBatch)) return;
  b->magic = kDead;
  delete b;  // joins the worker threads, if any
}

lode_status lode_batch_set_column(lode_batch* b, int32_t field, const char* const* cells, size_t n) {
  if (!b || !cells) return LODE_ERR_NULL;
  if (!live(b, kBatch)) return LODE_ERR_HANDLE;
  if (!validField(b->a, field) || n != b->n) return LODE_ERR_ARGUMENT;
  return guarded([&] {
    Column& col = b->columns[static_cast<size_t>(field)];
    col.form = Column::Form::Text;
    col.chars.clear();
    col.ends.resize(n);
    col.values.clear();
    col.present.clear();
    for (size_t i = 0; i < n; ++i) {
      if (cells[i]) col.chars += cells[i];
      col.ends[i] = col.chars.size();
    }
    return LODE_OK;
  });
}

namespace {

lode_status setTyped(lode_batch* b, int32_t field, Column::Form form, lode_code code, const void* values,
                     const uint8_t* present, size_t n) {
  if (!b || !values) return LODE_ERR_NULL;
  if (!live(b, kBatch)) return LODE_ERR_HANDLE;
  if (!validField(b->a, field) || n != b->n) return LODE_ERR_ARGUMENT;
  rt::FieldKind kind = b->a->p().shipment.fields[size_t(field)].kind;
  if (form == Column::Form::Decimal ? kind != rt::FieldKind::Decimal : !fits(kind, code)) return LODE_ERR_ARGUMENT;
  return guarded([&] {
    Column& col = b->columns[static_cast<size_t>(field)];
    col.form = form;
    col.code = code;
    col.chars.clear();
    col.ends.clear();
    if (form == Column::Form::Decimal) {
      const auto* v = static_cast<const int64_t*>(values);
      col.values.assign(v, v + n);
    } else {
      const auto* v = static_cast<const int32_t*>(values);
      col.values.assign(v, v + n);
    }
    if (present) col.present.assign(present, present + n);
    else col.present.clear();
    return LODE_OK;
  });
}

}  // namespace

lode_status lode_batch_set_decimal_column(lode_batch* b, int32_t field, const int64_t* micros, const uint8_t* present,
                                          size_t n) {
  return setTyped(b, field, Column::Form::Decimal, LODE_CODE_DAYS, micros, present, n);
}

lode_status lode_batch_set_code_column(lode_batch* b, int32_t field, lode_code format, const int32_t* codes,
                                       const uint8_t* present, size_t n) {
  return setTyped(b, field, Column::Form::Code, format, codes, present, n);
}

lode_status lode_batch_clear_column(lode_batch* b, int32_t field) {
  if (!b) return LODE_ERR_NULL;
  if (!live(b, kBatch)) return LODE_ERR_HANDLE;
  if (!validField(b->a, field)) return LODE_ERR_ARGUMENT;
  Column& col = b->columns[static_cast<size_t>(field)];
  col.form = Column::Form::None;
  col.chars.clear();
  col.ends.clear();
  col.values.clear();
  col.present.clear();
  return LODE_OK;
}

lode_status lode_batch_set_threads(lode_batch* b, unsigned threads) {
  if (!b) return LODE_ERR_NULL;
  if (!live(b, kBatch)) return LODE_ERR_HANDLE;
  b->threads = threads;
  return LODE_OK;
}

namespace {

// A slot in a memo of kMemo entries for a cell text: its first and last 8 bytes and its length,
// mixed (cheaper than hashing every byte; a collision only costs a parse).
size_t memoSlot(std::string_view t) {
  uint64_t head = 0, tail = 0;
  std::memcpy(&head, t.data(), std::min<size_t>(t.size(), 8));
  if (t.size() > 8) std::memcpy(&tail, t.data() + t.size() - std::min<size_t>(t.size() - 8, 8), std::min<size_t>(t.size() - 8, 8));
  uint64_t h = (head * 0x9E3779B97F4A7C15ull) ^ (tail * 0xC2B2AE3D27D4EB4Full) ^ t.size();
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ull;
  return static_cast<size_t>(h >> 59) % RowScratch::kMemo;
}

// Nonempty ASCII without spaces at either end: a text field's cell as it is (see textCell).
bool plainAscii(std::string_view t) {
  if (t.empty() || t.front() <= ' ' || t.back() <= ' ') return false;
  unsigned char high = 0;
  for (char c : t) high |= static_cast<unsigned char>(c);
  return high < 0x80;
}

// A country packed as LODE_COUNTRY('C', 'N') that the agreement knows: the packing is
// rt::countryCode's, so the code is the value.
bool knownCountry(const lode_agreement& a, int64_t x) {
  static_assert(LODE_COUNTRY('C', 'N') == rt::countryCode('C', 'N'));
  uint64_t c0 = uint64_t(x >> 8) - 'A', c1 = uint64_t(x & 0xff) - 'A';
  return (x >> 16) == 0 && c0 < 26 && c1 < 26 && a.countryOk[c0 * 26 + c1];
}

// Assembles row i from the columns and prices it. A bad cell is reported in the row's result (as
// "field: reason") and the row is not evaluated. true when the row priced without error. Only the
// fields with a column are touched: the others were set up once (absent, or their default).
bool priceRow(lode_batch* b, lode_inputs* in, RowScratch& s, size_t i) {
  const lode_agreement& a = *b->a;
  const ir::Program& p = a.p();
  lode_result& r = b->results[i];
  r.a = b->a;
  r.as.clear();
  rt::Record& rec = s.rec;
  rec.row = i + 1;
  for (const PlanField& pf : b->plan) {
    rt::FieldValue& v = rec.values[pf.f];
    bool ok = true;
    switch (pf.form) {
      case Column::Form::None:
        v.present = false;
        break;
      case Column::Form::Text: {
        std::string_view text = pf.col->text(i);
        if (pf.plainText && plainAscii(text)) {  // what textCell makes of it, without its dispatch
          v.present = true;
          v.i = 0;
          if (v.s != text) v.s.assign(text.data(), text.size());
          break;
        }
        if (!pf.hs || text.empty()) {
          ok = textCell(a, pf.f, text, v, s.err);
          break;
        }
        RowScratch::Memo& m = s.memo[pf.f * RowScratch::kMemo + memoSlot(text)];
        if (m.used && m.text == text) {
          v.present = m.value.present;
          v.i = m.value.i;
          v.s = m.value.s;
          break;
        }
        ok = textCell(a, pf.f, text, v, s.err);
        if (ok && v.present) {
          m.text.assign(text.data(), text.size());
          m.value = v;
          m.used = true;
        }
        break;
      }
      case Column::Form::Decimal:
      case Column::Form::Code: {
        if (pf.present && !pf.present[i]) {
          v.present = false;
          break;
        }
        int64_t x = pf.values[i];
        if ((x >= pf.lo && x <= pf.hi) || (pf.country && knownCountry(a, x))) {  // valid as it is: no conversion
          v.present = true;
          v.i = x;
          break;
        }
        ok = pf.form == Column::Form::Decimal ? typedDecimal(a, pf.f, x, v, s.err) : typedCode(a, pf.f, pf.code, x, v, s.err);
        break;
      }
    }
    if (!ok) {
      s.state[pf.f] = RowScratch::Bad;
      r.as.errors.push_back({s.err.code, 0, p.shipment.fields[pf.f].name + ": " + s.err.message});
    } else {
      s.state[pf.f] = v.present ? RowScratch::Given : RowScratch::Absent;
    }
    if (!v.present) unsetField(a, v, pf.f);  // its default, if any
  }
  for (uint32_t f : b->required)
    if (s.state[f] == RowScratch::Absent)
      r.as.errors.push_back({rt::ErrCode::MissingField, 0, p.shipment.fields[f].name + ": required field is missing"});
  if (!r.as.errors.empty()) return false;
  evaluate(b->a, in, rec, r.as);
  return r.as.ok();
}

// Every field of the thread's record absent (or its default) until a column says otherwise. The
// record keeps its storage from one pricing to the next.
void prepareScratch(const lode_agreement& a, RowScratch& s) {
  const size_t fields = a.blank.values.size();
  s.rec.values = a.blank.values;
  s.state.assign(fields, RowScratch::Absent);
  if (s.memo.size() != fields * RowScratch::kMemo) s.memo.assign(fields * RowScratch::kMemo, {});
}

}  // namespace

lode_status lode_batch_price(lode_batch* b, lode_inputs* in, size_t* priced) {
  if (!b || !in) return LODE_ERR_NULL;
  if (!live(b, kBatch) || !live(in, kInputs)) return LODE_ERR_HANDLE;
  if (in->a != b->a) return LODE_ERR_ARGUMENT;
  return guarded([&] {
    const lode_agreement& a = *b->a;
    const ir::Program& p = a.p();
    const size_t fields = p.shipment.fields.size();
    size_t threads = 1;
    if (p.quotas.empty()) {  // with quotas the order of the rows is the order balances are taken
      size_t want = b->threads == 0 ? availableCpus() : std::min<size_t>(b->threads, hardwareThreads());
      threads = std::max<size_t>(1, std::min(want, b->n / kMinRowsPerThread));
    }
    b->plan.clear();
    b->required.clear();
    for (size_t f = 0; f < fields; ++f) {
      const Column& col = b->columns[f];
      if (p.shipment.fields[f].required) b->required.push_back(uint32_t(f));
      if (col.form == Column::Form::None) continue;
      const rt::FieldSpec& spec = p.shipment.fields[f];
      // The range of values that are valid as they are; others go through typedDecimal/typedCode,
      // which convert (YYYYMMDD, countries) or say what is wrong.
      int64_t lo = 1, hi = 0;
      if (col.form == Column::Form::Decimal) {
        lo = spec.sign == rt::Sign::Positive ? 1 : spec.sign == rt::Sign::NonNegative ? 0 : INT64_MIN + 1;
        hi = INT64_MAX;
      } else if (col.form == Column::Form::Code) {
        if (col.code == LODE_CODE_DAYS) lo = rt::kMinDate, hi = rt::kMaxDate;
        else if (col.code == LODE_CODE_INDEX) lo = 0, hi = int64_t(spec.enumValues.size()) - 1;
        else if (col.code == LODE_CODE_BOOL) lo = 0, hi = 1;
      }
      b->plan.push_back({uint32_t(f), col.form, col.code, col.form == Column::Form::Text && spec.kind == rt::FieldKind::Hs,
                         col.form == Column::Form::Text && spec.kind == rt::FieldKind::Text,
                         col.form == Column::Form::Code && col.code == LODE_CODE_COUNTRY,
                         col.values.data(), col.present.empty() ? nullptr : col.present.data(), &col, lo, hi});
    }
    if (b->scratch.size() < threads) b->scratch.resize(threads);
    if (threads == 1) {
      RowScratch& s = b->scratch[0];
      prepareScratch(a, s);
      size_t ok = 0;
      for (size_t i = 0; i < b->n; ++i) ok += priceRow(b, in, s, i) ? 1 : 0;
      if (priced) *priced = ok;
      return LODE_OK;
    }
    // Rows are independent without quotas: threads take chunks of rows from a shared counter; each
    // writes only its rows' results, so the results are those of the sequential run.
    std::atomic<size_t> next{0}, ok{0};
    std::function<void(size_t)> job = [&](size_t t) {
      RowScratch& s = b->scratch[t];
      prepareScratch(a, s);  // on the thread that uses it, in parallel
      size_t mine = 0;
      for (;;) {
        size_t from = next.fetch_add(kChunkRows, std::memory_order_relaxed);
        if (from >= b->n) break;
        size_t to = std::min(b->n, from + kChunkRows);
        for (size_t i = from; i < to; ++i) mine += priceRow(b, in, s, i) ? 1 : 0;
      }
      ok.fetch_add(mine, std::memory_order_relaxed);
    };
    if (!b->pool) b->pool = std::make_unique<Pool>();
    std::string error = b->pool->run(threads - 1, job);
    if (!error.empty()) throw std::runtime_error(error);
    if (priced) *priced = ok.load();
    return LODE_OK;
  });
}

const lode_result* lode_batch_result(const lode_batch* b, size_t i) {
  if (!live(b, kBatch) || i >= b->n) return nullptr;
  return &b->results[i];
}

}  // extern "C"
