// Columnar batches (lode_batch_*): cells in one buffer per column, rows assembled in a per-thread
// record and, for agreements without quotas, split between worker threads the batch owns.
#include "compiler/api/handles.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <stdexcept>
#include <thread>

#ifdef __linux__
#include <sched.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "runtime/date.h"

using namespace lode;
using namespace lode::capi;

namespace {

constexpr size_t kMinRowsPerThread = 64;
constexpr size_t kChunkRows = 32;  // rows a thread takes at a time, and rows scanned together

// One column of a batch, in the form it was set.
struct Column {
  enum class Form : uint8_t { None, Text, Decimal, Code } form = Form::None;
  lode_code code = LODE_CODE_DAYS;
  std::string chars;               // Text: the cells back to back
  std::vector<size_t> ends;        // Text: cell i is chars[ends[i-1], ends[i])
  std::vector<int64_t> values;     // Decimal (micros) or Code
  std::vector<uint8_t> present;    // typed: empty = every row has a value
  bool clean = false;              // typed: every cell usable as it is (scanTyped), checked when set
  // Text, checked when set: every nonempty cell is plain ASCII (plainAscii), and whether some cell is
  // empty. A text field's column that is plain, and has no empty cell or is not required, needs no scan.
  bool plain = false;
  bool hasEmpty = false;

  std::string_view text(size_t i) const {
    size_t b = i == 0 ? 0 : ends[i - 1];
    return std::string_view(chars).substr(b, ends[i] - b);
  }
};

// One column as a pricing reads it: a compact list over the fields that have one, built per call.
struct PlanField {
  uint32_t f;
  Column::Form form;
  lode_code code;
  bool hs;                 // Text form of an HS field: parsed cells are memoised
  bool plainText;          // Text form of a text field: plain ASCII cells are taken as they are
  bool country;            // LODE_CODE_COUNTRY: a known country's code is the value as it is
  bool required;           // an empty cell is a missing field
  uint32_t slot;           // Text form: which of the chunk's lists of converted cells is this column's
                           // (RowScratch::hsCells for hs, RowScratch::converted for other kinds)
  const int64_t* values;   // typed
  const uint8_t* present;  // typed; null: every row
  const Column* col;
  int64_t lo, hi;          // typed values in [lo, hi] need no check (DAYS, INDEX, BOOL, decimals)
};

// What one pricing thread reuses from row to row. On a cache line of its own: the threads' scratches
// sit side by side in lode_batch::scratch, and one thread writing its record's row number into the
// line another thread read its copy lists from, row after row, made two threads no faster than one.
struct alignas(64) RowScratch {
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
    uint64_t stamp = 0;  // when it was stored: a reference to it with another stamp is stale
  };
  static constexpr size_t kMemo = kCellMemo;
  std::vector<Memo> memo;  // field * kMemo + slot
  uint64_t stamps = 0;
  // The chunk being priced (scanChunk): which of its rows have every cell usable as it is, and for
  // those the memo entry of each HS column's cell (null: the cell is empty).
  struct MemoRef {
    const Memo* m = nullptr;
    uint64_t stamp = 0;
    bool current() const { return m && m->stamp == stamp; }
  };
  uint8_t clean[kChunkRows];
  std::vector<MemoRef> hsCells;  // PlanField::slot * kChunkRows + row in the chunk
  // Text cells of other kinds than text and HS (dates, numbers with units, countries...) as scanChunk
  // converted them, for the clean rows.
  struct Converted {
    int64_t i;
    bool present;  // false: a blank cell
  };
  std::vector<Converted> converted;  // PlanField::slot * kChunkRows + row in the chunk
  rt::FieldValue cell;               // a cell being converted (also an HS cell before it goes into the memo)
  std::vector<MemoRef> hsHeld;   // per HS column: the entry whose text the record holds
  // What a clean row copies into the record, built when a pricing starts: typed columns...
  struct TypedCopy {
    const int64_t* values;
    const uint8_t* present;  // null: every row
    rt::FieldValue* v;
    const rt::FieldValue* blank;
  };
  std::vector<TypedCopy> typedCopies;  // columns where some row has no value
  struct FullCopy {                    // columns where every row has one (most): no test per cell
    const int64_t* values;
    rt::FieldValue* v;
  };
  std::vector<FullCopy> fullCopies;
  std::vector<const PlanField*> textCopies;  // ...and text columns
};

// Worker threads owned by a batch: started on first use, ended when the batch is freed.
//
// Waking a sleeping thread costs tens of microseconds on a VM (a futex wake and an inter-processor
// interrupt), as much as pricing a few hundred rows: a batch of 1,000 rows was slower on two threads
// than on one. So a worker that has finished spins for a while (kSpin) before it sleeps, ready for the
// caller's next batch, and the caller spins for the workers' end before it sleeps.
class Pool {
 public:
  ~Pool() {
    {
      std::lock_guard<std::mutex> l(m_);
      stop_ = true;
      generation_.fetch_add(1, std::memory_order_release);
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
      pending_.store(workers, std::memory_order_relaxed);
      error_.clear();
      generation_.fetch_add(1, std::memory_order_release);  // publishes the job to spinning workers
    }
    wake_.notify_all();
    guardedRun(job, 0);
    if (!spinUntil([&] { return pending_.load(std::memory_order_acquire) == 0; })) {
      std::unique_lock<std::mutex> l(m_);
      done_.wait(l, [&] { return pending_.load(std::memory_order_acquire) == 0; });
    }
    std::lock_guard<std::mutex> l(m_);
    job_ = nullptr;
    return error_;
  }

 private:
  static constexpr auto kSpin = std::chrono::microseconds(200);
  // Polls `done` for up to kSpin; true when it held.
  template <typename Done>
  static bool spinUntil(Done done) {
    const auto until = std::chrono::steady_clock::now() + kSpin;
    for (unsigned i = 1;; ++i) {
      if (done()) return true;
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
      if (i % 64 == 0 && std::chrono::steady_clock::now() > until) return done();
    }
  }
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
      spinUntil([&] { return generation_.load(std::memory_order_acquire) != seen; });
      {
        std::unique_lock<std::mutex> l(m_);
        wake_.wait(l, [&] { return stop_ || generation_.load(std::memory_order_relaxed) != seen; });
        if (stop_) return;
        seen = generation_.load(std::memory_order_relaxed);
        job = k <= active_ ? job_ : nullptr;
      }
      if (!job) continue;
      guardedRun(*job, k);
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> l(m_);  // the caller may be between its test and its wait
        done_.notify_one();
      }
    }
  }

  std::vector<std::thread> threads_;
  std::mutex m_;
  std::condition_variable wake_, done_;
  const std::function<void(size_t)>* job_ = nullptr;
  std::atomic<uint64_t> generation_{0};
  std::atomic<size_t> pending_{0};
  size_t active_ = 0;
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
  std::vector<PlanField> readPlan;   // those evaluation reads: what a clean row copies
  std::vector<uint32_t> required;    // required fields
  bool requiredWithoutColumn = false;  // every row misses a field: none is clean
  uint32_t hsColumns = 0;            // plan fields with hs set
  uint32_t convertedColumns = 0;     // plan fields in Text form of other kinds than text and HS
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

}  // namespace

namespace {

// The values of a typed column that are valid as they are (lo > hi: none); the others go through
// the full check. YYYYMMDD dates are converted, countries are tested against the agreement's list.
void validRange(const lode_agreement& a, size_t f, Column::Form form, lode_code code, int64_t& lo, int64_t& hi) {
  const FieldInfo& info = a.fields[f];
  const bool asIs = form == Column::Form::Decimal ||
                    (form == Column::Form::Code && (code == LODE_CODE_DAYS || code == LODE_CODE_INDEX || code == LODE_CODE_BOOL));
  lo = asIs ? info.lo : 1;
  hi = asIs ? info.hi : 0;
}

// Copies a typed column's values and tells whether every cell is usable as it is: a value in the
// valid range (a known country), or no value for a field that is not required. One pass when the
// column is set, so pricing scans only the columns where some cell is not (scanTyped). Templates:
// the loop carries no test that is the same for every cell.
template <class T, bool kCountry, bool kGiven>
bool copyTyped(const lode_agreement& a, const T* src, const uint8_t* given, size_t n, uint64_t lo, uint64_t span,
               int64_t* dst) {
  uint64_t bad = 0;
  for (size_t r = 0; r < n; ++r) {
    int64_t x = src[r];
    dst[r] = x;
    bool out = kCountry ? !knownCountry(a, x) : uint64_t(x) - lo > span;
    bad |= kGiven ? uint64_t(out & (given[r] != 0)) : uint64_t(out);
  }
  return bad == 0;
}

// The common column, where every row has a value and the valid values are a range: the loop above
// without presence or country tests. A quarter of setting a batch's typed columns went here
// (callgrind, BM_CApiE1TypedBatch); with AVX2, where the CPU has it, four values go at a time (the
// library itself is built for any x86-64).
template <class T>
bool copyRangeScalar(const T* src, size_t n, int64_t lo, int64_t hi, int64_t* dst) {
  int64_t bad = 0;
  for (size_t r = 0; r < n; ++r) {
    int64_t x = src[r];
    dst[r] = x;
    bad |= int64_t(x < lo) | int64_t(x > hi);
  }
  return bad == 0;
}
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
template <class T>
[[gnu::target("avx2")]] bool copyRangeAvx2(const T* src, size_t n, int64_t lo, int64_t hi, int64_t* dst) {
  const __m256i vlo = _mm256_set1_epi64x(lo), vhi = _mm256_set1_epi64x(hi);
  __m256i bad = _mm256_setzero_si256();
  size_t r = 0;
  for (; r + 4 <= n; r += 4) {
    __m256i x;
    if constexpr (sizeof(T) == 8) x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + r));
    else x = _mm256_cvtepi32_epi64(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + r)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + r), x);
    bad = _mm256_or_si256(bad, _mm256_or_si256(_mm256_cmpgt_epi64(vlo, x), _mm256_cmpgt_epi64(x, vhi)));
  }
  return _mm256_testz_si256(bad, bad) & copyRangeScalar(src + r, n - r, lo, hi, dst + r);  // &: the rest is copied anyway
}
template <class T>
bool copyRange(const T* src, size_t n, int64_t lo, int64_t hi, int64_t* dst) {
  static const bool avx2 = __builtin_cpu_supports("avx2");
  return avx2 ? copyRangeAvx2(src, n, lo, hi, dst) : copyRangeScalar(src, n, lo, hi, dst);
}
#else
template <class T>
bool copyRange(const T* src, size_t n, int64_t lo, int64_t hi, int64_t* dst) {
  return copyRangeScalar(src, n, lo, hi, dst);
}
#endif

template <class T>
bool copyTypedColumn(const lode_agreement& a, size_t f, const T* src, const uint8_t* given, Column& col) {
  const rt::FieldSpec& spec = a.p().shipment.fields[f];
  const size_t n = col.values.size();
  int64_t* dst = col.values.data();
  if (given && spec.required) {
    std::copy(src, src + n, dst);
    return false;  // a required field is missing somewhere: priceRow says where
  }
  int64_t lo, hi;
  validRange(a, f, col.form, col.code, lo, hi);
  const bool country = col.form == Column::Form::Code && col.code == LODE_CODE_COUNTRY;
  const uint64_t ulo = uint64_t(lo), span = uint64_t(hi) - uint64_t(lo);
  bool clean = country ? (given ? copyTyped<T, true, true>(a, src, given, n, ulo, span, dst)
                                : copyTyped<T, true, false>(a, src, given, n, ulo, span, dst))
                       : (given ? copyTyped<T, false, true>(a, src, given, n, ulo, span, dst)
                                : copyRange(src, n, lo, hi, dst));
  return clean && (country || lo <= hi);
}

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
    // Flags that are all set are dropped: a clean row then copies the column's value with no test.
    if (present && std::memchr(present, 0, n) == nullptr) present = nullptr;
    if (present) col.present.assign(present, present + n);
    else col.present.clear();
    col.values.resize(n);
    col.clean = form == Column::Form::Decimal
                    ? copyTypedColumn(*b->a, size_t(field), static_cast<const int64_t*>(values), present, col)
                    : copyTypedColumn(*b->a, size_t(field), static_cast<const int32_t*>(values), present, col);
    return LODE_OK;
  });
}

}  // namespace

namespace {

// Nonempty ASCII without spaces at either end: a text field's cell as it is (see textCell).
bool plainAscii(std::string_view t) {
  if (t.empty() || t.front() <= ' ' || t.back() <= ' ') return false;
  uint64_t high = 0;
  size_t k = 0;
  for (; k + 8 <= t.size(); k += 8) {  // a word at a time
    uint64_t w;
    std::memcpy(&w, t.data() + k, 8);
    high |= w;
  }
  for (; k < t.size(); ++k) high |= static_cast<unsigned char>(t[k]);
  return (high & 0x8080808080808080ull) == 0;
}

// The memo entry of an HS cell, parsed now if it is not there yet; null when the cell does not parse
// or is blank (textCell then says what it is).
const RowScratch::Memo* hsCell(const lode_agreement& a, RowScratch& s, size_t f, std::string_view text) {
  RowScratch::Memo& m = s.memo[f * RowScratch::kMemo + memoSlot(text)];
  if (m.used && m.text == text) return &m;
  // Parsed aside: a cell that does not parse leaves the entry (which a row of the chunk may point to).
  if (!textCell(a, f, text, s.cell, s.err) || !s.cell.present) return nullptr;
  m.text.assign(text.data(), text.size());
  m.value = s.cell;
  m.used = true;
  m.stamp = ++s.stamps;
  return &m;
}

// A typed cell's value that needs no conversion or check: in the column's range, or a known country.
bool usableAsIs(const lode_agreement& a, const PlanField& pf, int64_t x) {
  return (x >= pf.lo && x <= pf.hi) || (pf.country && knownCountry(a, x));
}

// clean[r] &= whether the typed cell of row from + r is usable as it is (or empty and not required),
// for a column where some cell is not (Column::clean; the clean ones are not scanned).
void scanTyped(const lode_agreement& a, const PlanField& pf, size_t from, size_t m, uint8_t* clean) {
  const uint8_t empty = pf.required ? 0 : 1;
  for (size_t r = 0; r < m; ++r) {
    size_t i = from + r;
    clean[r] &= pf.present && !pf.present[i] ? empty : uint8_t(usableAsIs(a, pf, pf.values[i]));
  }
}

// Marks the rows [from, to) whose every cell is usable as it is: a typed value in the range that
// needs no conversion, a plain ASCII text, an HS code that parses, or an empty cell of a field that
// is not required. Column by column, so each loop is short and branch-predictable. The other rows go
// through priceRow, which converts their cells and reports what is wrong.
void scanChunk(const lode_batch* b, RowScratch& s, size_t from, size_t to) {
  const lode_agreement& a = *b->a;
  const size_t m = to - from;
  uint8_t* clean = s.clean;
  std::fill_n(clean, m, uint8_t(b->requiredWithoutColumn ? 0 : 1));
  for (const PlanField& pf : b->plan) {
    const uint8_t empty = pf.required ? 0 : 1;  // what an empty cell leaves of `clean`
    switch (pf.form) {
      case Column::Form::None:
        break;
      case Column::Form::Decimal:
      case Column::Form::Code:
        if (!pf.col->clean) scanTyped(a, pf, from, m, clean);
        break;
      case Column::Form::Text: {
        if (pf.plainText && pf.col->plain && !(pf.required && pf.col->hasEmpty)) break;  // checked when set
        RowScratch::MemoRef* hs = pf.hs ? &s.hsCells[pf.slot * kChunkRows] : nullptr;
        for (size_t r = 0; r < m; ++r) {
          std::string_view text = pf.col->text(from + r);
          if (text.empty()) {
            clean[r] &= empty;
          } else if (pf.plainText) {
            clean[r] &= plainAscii(text);
          } else if (hs) {
            const RowScratch::Memo* e = hsCell(a, s, pf.f, text);
            hs[r] = {e, e ? e->stamp : 0};
            clean[r] &= e != nullptr;
          } else if (textCell(a, pf.f, text, s.cell, s.err)) {  // another kind written as text
            s.converted[pf.slot * kChunkRows + r] = {s.cell.i, s.cell.present};
            if (!s.cell.present) clean[r] &= empty;  // blanks only
          } else {
            clean[r] = 0;  // priceRow says what is wrong with it
          }
        }
        break;
      }
    }
  }
}

}  // namespace

// A batch result's id is read from the id column when its JSON is asked for: copying it into every
// result cost 4 % of a row, for output most callers never ask for.
std::string_view lode::capi::batchRowId(const lode_batch* b, uint64_t row) {
  const Column& col = b->columns[ir::kFieldId];
  return col.form == Column::Form::Text && row >= 1 && row <= b->n ? col.text(size_t(row - 1)) : std::string_view();
}

namespace {


// Prices row i of the chunk scanChunk marked it clean in: its cells go into the record as they are, those
// of fields evaluation does not read not at all (scanChunk checked them).
bool priceCleanRow(lode_batch* b, lode_inputs* in, RowScratch& s, size_t i, size_t r) {
  const lode_agreement& a = *b->a;
  lode_result& res = b->results[i];
  res.a = b->a;  // res.as is cleared by the evaluation, which a clean row always reaches
  res.row = i + 1;
  res.batch = b;
  s.rec.row = i + 1;
  for (const RowScratch::FullCopy& c : s.fullCopies) {
    c.v->present = true;  // a row priceRow took may have left it absent
    c.v->i = c.values[i];
  }
  for (const RowScratch::TypedCopy& c : s.typedCopies) {
    if (c.present && !c.present[i]) {
      c.v->present = c.blank->present;  // unsetField: no cell, its default if any
      c.v->i = c.blank->i;
    } else {
      c.v->present = true;
      c.v->i = c.values[i];
    }
  }
  for (const PlanField* pf : s.textCopies) {
    rt::FieldValue& v = s.rec.values[pf->f];
    std::string_view text = pf->col->text(i);
    if (!pf->hs && !pf->plainText) {  // converted by scanChunk
      const RowScratch::Converted& c = s.converted[pf->slot * kChunkRows + r];
      if (text.empty() || !c.present) {
        unsetField(a, v, pf->f);
      } else {
        v.present = true;
        v.i = c.i;
      }
    } else if (text.empty()) {
      unsetField(a, v, pf->f);
      if (pf->hs) s.hsHeld[pf->slot] = {};
    } else if (pf->hs) {
      RowScratch::MemoRef ref = s.hsCells[pf->slot * kChunkRows + r];
      if (!ref.current()) {  // a later cell of the chunk took the entry's slot; the text parsed once, so again
        ref.m = hsCell(a, s, pf->f, text);
        ref.stamp = ref.m->stamp;
      }
      v.present = true;
      v.i = ref.m->value.i;
      RowScratch::MemoRef& held = s.hsHeld[pf->slot];
      if (held.m != ref.m || held.stamp != ref.stamp) {
        v.s = ref.m->value.s;
        held = ref;
      }
    } else {
      v.present = true;
      v.i = 0;
      v.s.assign(text.data(), text.size());
    }
  }
  evaluate(b->a, in, s.rec, res.as);
  return res.as.ok();
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
  r.row = i + 1;
  r.batch = b;
  rt::Record& rec = s.rec;
  rec.row = i + 1;
  std::fill(s.hsHeld.begin(), s.hsHeld.end(), RowScratch::MemoRef{});  // HS texts are written below
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
        if (const RowScratch::Memo* m = pf.hs && !text.empty() ? hsCell(a, s, pf.f, text) : nullptr) {
          v.present = true;
          v.i = m->value.i;
          v.s = m->value.s;
          break;
        }
        ok = textCell(a, pf.f, text, v, s.err);  // also says why an HS cell does not parse
        break;
      }
      case Column::Form::Decimal:
      case Column::Form::Code: {
        if (pf.present && !pf.present[i]) {
          v.present = false;
          break;
        }
        int64_t x = pf.values[i];
        if (usableAsIs(a, pf, x)) {
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
      r.as.errors.push_back({rt::ErrCode::MissingField, 0, p.shipment.fields[f].name});  // as the evaluation says it
  if (!r.as.errors.empty()) return false;
  evaluate(b->a, in, rec, r.as);
  return r.as.ok();
}

// Every field of the thread's record absent (or its default) until a column says otherwise. The
// record keeps its storage from one pricing to the next.
void prepareScratch(const lode_batch* b, RowScratch& s) {
  const lode_agreement& a = *b->a;
  const size_t fields = a.blank.values.size();
  s.rec.values = a.blank.values;
  s.state.assign(fields, RowScratch::Absent);
  if (s.memo.size() != fields * RowScratch::kMemo) s.memo.assign(fields * RowScratch::kMemo, {});
  s.hsCells.assign(size_t(b->hsColumns) * kChunkRows, {});
  s.hsHeld.assign(b->hsColumns, {});
  s.converted.resize(size_t(b->convertedColumns) * kChunkRows);
  s.typedCopies.clear();
  s.fullCopies.clear();
  s.textCopies.clear();
  for (const PlanField& pf : b->readPlan) {
    if (pf.form == Column::Form::Text) s.textCopies.push_back(&pf);
    else if (!pf.present) s.fullCopies.push_back({pf.values, &s.rec.values[pf.f]});
    else s.typedCopies.push_back({pf.values, pf.present, &s.rec.values[pf.f], &a.blank.values[pf.f]});
  }
}

// Prices rows [from, to): scanned together, then row by row. Returns how many priced without error.
size_t priceChunk(lode_batch* b, lode_inputs* in, RowScratch& s, size_t from, size_t to) {
  scanChunk(b, s, from, to);
  size_t ok = 0;
  for (size_t i = from; i < to; ++i) ok += (s.clean[i - from] ? priceCleanRow(b, in, s, i, i - from) : priceRow(b, in, s, i)) ? 1 : 0;
  return ok;
}

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
    col.values.clear();
    col.present.clear();
    // Lengths first, then the texts in one buffer sized once.
    col.ends.resize(n);
    size_t total = 0;
    bool hasEmpty = false, edgesPlain = true;
    for (size_t i = 0; i < n; ++i) {
      const size_t len = cells[i] ? std::strlen(cells[i]) : 0;
      hasEmpty |= len == 0;
      if (len) edgesPlain &= (static_cast<unsigned char>(cells[i][0]) > ' ') & (static_cast<unsigned char>(cells[i][len - 1]) > ' ');
      total += len;
      col.ends[i] = total;
    }
    col.chars.resize(total);
    char* out = col.chars.data();
    for (size_t i = 0, begin = 0; i < n; begin = col.ends[i++])
      if (col.ends[i] != begin) std::memcpy(out + begin, cells[i], col.ends[i] - begin);
    col.hasEmpty = hasEmpty;
    // plainAscii of every nonempty cell: the ends tested above, the bytes all at once.
    col.plain = b->a->p().shipment.fields[size_t(field)].kind == rt::FieldKind::Text && edgesPlain &&
                (total == 0 || plainAscii(col.chars));
    return LODE_OK;
  });
}


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
    b->readPlan.clear();
    b->required.clear();
    b->requiredWithoutColumn = false;
    b->hsColumns = 0;
    b->convertedColumns = 0;
    for (size_t f = 0; f < fields; ++f) {
      const Column& col = b->columns[f];
      if (p.shipment.fields[f].required) b->required.push_back(uint32_t(f));
      if (col.form == Column::Form::None) {
        b->requiredWithoutColumn |= p.shipment.fields[f].required;
        continue;
      }
      const rt::FieldSpec& spec = p.shipment.fields[f];
      int64_t lo, hi;
      validRange(a, f, col.form, col.code, lo, hi);
      const bool text = col.form == Column::Form::Text;
      const bool hs = text && spec.kind == rt::FieldKind::Hs, plain = text && spec.kind == rt::FieldKind::Text;
      const uint32_t slot = hs ? b->hsColumns++ : text && !plain ? b->convertedColumns++ : 0;
      b->plan.push_back({uint32_t(f), col.form, col.code, hs, plain, col.form == Column::Form::Code && col.code == LODE_CODE_COUNTRY,
                         spec.required, slot, col.values.data(), col.present.empty() ? nullptr : col.present.data(), &col, lo, hi});
      if (a.read[f]) b->readPlan.push_back(b->plan.back());
    }
    if (b->scratch.size() < threads) b->scratch.resize(threads);
    if (threads == 1) {
      RowScratch& s = b->scratch[0];
      prepareScratch(b, s);
      size_t ok = 0;
      for (size_t from = 0; from < b->n; from += kChunkRows) ok += priceChunk(b, in, s, from, std::min(b->n, from + kChunkRows));
      if (priced) *priced = ok;
      return LODE_OK;
    }
    // Rows are independent without quotas: each thread prices a contiguous share of the chunks and
    // writes only its rows' results, so the results are those of the sequential run. The shares are
    // the same on every call, so a row's result (its assessment's buffers) stays in one core's cache
    // from one batch to the next; taking chunks from a shared counter moved them between cores and
    // made two threads slower than one (docs/performance.md).
    const size_t chunks = (b->n + kChunkRows - 1) / kChunkRows;
    std::atomic<size_t> ok{0};
    std::function<void(size_t)> job = [&](size_t t) {
      RowScratch& s = b->scratch[t];
      prepareScratch(b, s);  // on the thread that uses it, in parallel
      size_t mine = 0;
      for (size_t c = chunks * t / threads; c < chunks * (t + 1) / threads; ++c) {
        const size_t from = c * kChunkRows;
        mine += priceChunk(b, in, s, from, std::min(b->n, from + kChunkRows));
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
