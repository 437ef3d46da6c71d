// The LLVM ORC JIT back end: compiles the expressions of one agreement to native code, all in one
// module at O2. Every maximal subtree of numeric, boolean, date and comparison operations becomes a
// function `uint64_t f(FrameView* frame, int64_t* out)` that returns 0, or an error packed as
// (code << 32) | position. Shipment fields, the origin, locals and already computed top-level values
// are read inline through the FrameView; operations on other run-time data (series, registries,
// ownership, schedules, bands, text) call back into the executor's frame, which runs the shared
// runtime code; the clause skeleton (origin rules, measures, quotas, rounding) is the interpreter's.
// This header has no LLVM types: only jit.cpp and codegen.cpp include LLVM.
#pragma once
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
  const uint8_t* globalState = nullptr;
  int64_t origin = 0;                       // after the origin rules
  int64_t date = 0;                         // the shipment's entry date (days)
  int64_t portionQty = 0, portionValue = 0; // inside a quota part: that part's quantity and value
  uint8_t portion = 0;
};

// Signature of a compiled expression.
using ExprFn = uint64_t (*)(FrameView* frame, int64_t* out);
// The executor's callback for a node the JIT does not compile: evaluates it on `frame`.
using Callback = uint64_t (*)(FrameView* frame, uint32_t node, int64_t* out);

inline constexpr uint64_t packError(rt::ErrCode c, uint32_t pos) { return (uint64_t(c) << 32) | pos; }

// How much work code generation does. The expressions are thin glue around runtime calls, so the
// quick level runs nearly as fast (docs/performance.md) and compiles several times faster.
enum class OptLevel : uint8_t {
  O2,     // LLVM's O2 module pipeline and its default instruction selection and register allocation
  Quick,  // SROA, early CSE, instcombine and CFG simplification; fast instruction selection
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
  static std::unique_ptr<CompiledProgram> compile(const ir::Program& p, Callback cb, std::string* error,
                                                  const CompileOptions& options = {});
  // Compiled function for node `idx`, or null when the node is evaluated through the callback.
  ExprFn fn(uint32_t idx) const { return idx < fns_.size() ? fns_[idx] : nullptr; }
  const std::vector<ExprFn>& table() const { return fns_; }
  size_t functionCount() const { return count_; }
  bool fromCache() const { return fromCache_; }  // the machine code was loaded, not generated
  const std::string& cacheKey() const { return key_; }

 private:
  CompiledProgram() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<ExprFn> fns_;
  size_t count_ = 0;
  bool fromCache_ = false;
  std::string key_;
};

}  // namespace lode::jit
