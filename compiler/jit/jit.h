// The LLVM ORC JIT back end: compiles the clauses of one agreement to native code, all in one module.
// The origin rules and measures become one function (MeasuresFn) that runs them in order; besides,
// every maximal subtree of numeric, boolean, date and comparison operations that the executor may
// still need (traced runs, quota measures) becomes a function `uint64_t f(FrameView*, int64_t* out)`
// that returns 0, or an error packed as (code << 32) | position. Shipment fields, HS prefix tests, the
// origin, locals, top-level values and schedules are computed inline; operations on other run-time
// data (series, registries, ownership, bands, text) call back into the executor's frame, which runs
// the shared runtime code. Classification, quotas and the total stay with the executor.
// This header has no LLVM types: only jit.cpp and codegen.cpp include LLVM.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "compiler/ir/ir.h"
#include "runtime/record.h"

namespace lode::jit {

// A computed value: numbers, dates, booleans, countries and enumeration values in `i`; text points
// at a string owned by the record, the registry or the program.
struct Slot {
  int64_t i = 0;
  const std::string* s = nullptr;
};

// The part of an executor's frame that generated code reads directly; its field offsets are baked
// into the code, so it is a plain struct the executor's frame derives from.
struct FrameView {
  const rt::FieldValue* values = nullptr;   // the shipment's cells
  const rt::FieldValue* mineral = nullptr;  // as declared, or filled by an HS classification
  const rt::FieldValue* node = nullptr;
  const Slot* locals = nullptr;             // the current measure's lets
  const Slot* globals = nullptr;            // top-level lets, valid where globalState is 2
  uint8_t* globalState = nullptr;           // per top-level value: 0 not yet, 2 done
  int64_t origin = 0;                       // after the origin rules
  int64_t date = 0;                         // the shipment's entry date (days)
  int64_t portionQty = 0, portionValue = 0; // inside a quota part: that part's quantity and value
  uint8_t* blockFired = nullptr;            // per block: a measure of it applied (`first` blocks)
  uint8_t* scopeState = nullptr;            // per scope, once the origin is settled: 0 unknown, 1 out, 2 in
  uint8_t portion = 0;
  int32_t originRule = -1;                  // the last origin rule that changed the origin, or -1
  // The last owned_share answered: clauses often ask the same question (an origin rule, then a
  // measure), and the compiled code tests this before it calls the executor. The entity is the text
  // of a cell (owned by the record, a row or the program: stable for one evaluation).
  const std::string* shareEntity = nullptr;
  int64_t shareValue = 0;
  uint32_t shareGroup = 0;
};

// Signature of a compiled expression.
using ExprFn = uint64_t (*)(FrameView* frame, int64_t* out);
// The executor's callback for a node the JIT does not compile: evaluates it on `frame`.
using Callback = uint64_t (*)(FrameView* frame, uint32_t node, int64_t* out);

// The clauses of an agreement as one native function: the origin rules in order (setting `origin`
// and `originRule`), then the measures: scopes, conditions, lets, duty lines and outcomes in order,
// each measure's failure recorded and the next one run. It reports through the executor's functions
// below; a measure with a tariff-rate quota is run by the executor (`measure`). Returns 0, or 1 when
// an origin rule failed (its error recorded through `failed`): then no measure has run.
using MeasuresFn = int32_t (*)(FrameView* frame);
struct Callbacks {
  Callback node = nullptr;
  // A measure failed with `error` (packed); `field` >= 0 names a missing scope field. Drops the lines
  // and outcomes measure `measure` added (the last ones: it ran last) and records the error. An
  // origin rule's failure passes measure -1.
  void (*failed)(FrameView*, uint64_t error, int32_t field, int32_t measure) = nullptr;
  // A duty line of the statement `at` (lineAt below); rate and base are 0 when it has none.
  void (*line)(FrameView*, uint64_t at, int64_t amount, int64_t rate, int64_t base, int64_t rounded) = nullptr;
  void (*outcome)(FrameView*, uint32_t measure, uint32_t stmt) = nullptr;
  // A `let` whose value is text: evaluated by the executor into its slot; a packed error or 0.
  uint64_t (*let)(FrameView*, uint32_t measure, uint32_t stmt) = nullptr;
  // A whole measure run by the executor (quotas), its failure recorded there.
  void (*measure)(FrameView*, uint32_t measure) = nullptr;
  // owned_share node `node` of the entity in `cell` (a present shipment field): the executor's
  // ownership query without the node walk of `node` above. 0 or the packed error.
  uint64_t (*share)(FrameView*, const rt::FieldValue* cell, uint32_t node, int64_t* out) = nullptr;
  // A series window node (SeriesAgg): its value, without `node`'s dispatch. 0 or the packed error.
  uint64_t (*series)(FrameView*, uint32_t node, int64_t* out) = nullptr;
};

// A duty line's statement as the compiled measures pass it: measure, statement, whether it has a rate.
inline constexpr uint64_t lineAt(uint32_t measure, uint32_t stmt, bool hasRate) {
  return (uint64_t(measure) << 32) | (uint64_t(stmt) << 1) | uint64_t(hasRate);
}

inline constexpr uint64_t packError(rt::ErrCode c, uint32_t pos) { return (uint64_t(c) << 32) | pos; }

// How much work code generation does. The expressions are thin glue around runtime calls, so the
// quick level runs about 20 % slower (docs/performance.md) and compiles several times faster.
enum class OptLevel : uint8_t {
  O2,      // LLVM's O2 module pipeline and its default instruction selection and register allocation
  Quick,   // SROA, early CSE and CFG simplification; fast instruction selection
  // Quick code at once, and the O2 code compiled on a background thread and installed when it is
  // ready (evaluations that start after that run it; both compute the same). With a cache, the O2
  // code is what is stored, and a cached O2 object is used directly.
  Tiered,
};

struct CompileOptions {
  OptLevel level = OptLevel::O2;
  std::string cacheDir;  // non-empty: load and store compiled machine code there (object_cache.h)
};

class CompiledProgram {
 public:
  ~CompiledProgram();
  // Null with `error` filled when LLVM fails (never for a checked program: that is a bug) or the
  // cache cannot be written.
  static std::unique_ptr<CompiledProgram> compile(const ir::Program& p, const Callbacks& cb, std::string* error,
                                                  const CompileOptions& options = {});
  // Compiled function for node `idx`, or null when the node is evaluated through the callback.
  ExprFn fn(uint32_t idx) const { return idx < nodes_ ? table()[idx] : nullptr; }
  // The functions by node (one per node of the program) and the measures function: the O2 ones once
  // a tiered compile has installed them. An evaluation reads them once, at its start.
  const ExprFn* table() const { return table_.load(std::memory_order_acquire); }
  MeasuresFn measures() const { return measures_.load(std::memory_order_acquire); }
  size_t functionCount() const { return count_; }
  // Tiered: blocks until the background compile has ended; true when its O2 code is installed (always
  // true for the other levels). A failed background compile leaves the quick code and its reason in
  // backgroundError(); a cache that could not be written leaves its reason there too, with the O2
  // code installed.
  bool waitOptimised() const;
  std::string backgroundError() const;
  uint32_t maxSlots() const { return maxSlots_; }  // locals the measures function may use
  bool fromCache() const { return fromCache_; }
  // Where compile time went, in milliseconds (generate IR, optimise, emit machine code: each summed
  // over the partitions, which run in parallel; link): timing for benchmarks only, no amount flows
  // through it.
  struct Phases { double generate = 0, optimise = 0, emit = 0, link = 0; };
  const Phases& phases() const { return phases_; }  // the machine code was loaded, not generated
  const std::string& cacheKey() const { return key_; }
  uint32_t partitions() const { return parts_; }  // modules compiled in parallel (codegen.h)

 private:
  CompiledProgram() = default;
  void optimiseInBackground(const ir::Program& p, const Callbacks& cb, const std::string& cacheDir);
  struct Impl;
  std::unique_ptr<Impl> impl_;  // the linked code of each tier, the background compile
  std::atomic<const ExprFn*> table_{nullptr};
  std::atomic<MeasuresFn> measures_{nullptr};
  size_t nodes_ = 0;
  size_t count_ = 0;
  uint32_t maxSlots_ = 0;
  bool fromCache_ = false;
  uint32_t parts_ = 1;
  Phases phases_;
  std::string key_;
};

}  // namespace lode::jit
