// The LLVM ORC JIT back end: compiles the expressions of one agreement to native code, all in one
// module at O2. Every maximal subtree of numeric, boolean, date and comparison operations becomes a
// function `uint64_t f(void* frame, int64_t* out)` that returns 0, or an error packed as
// (code << 32) | position. Operations that read run-time data (fields, series, registries,
// ownership, schedules, bands, text) call back into the executor's frame, which runs the shared
// runtime code; the clause skeleton (origin rules, measures, quotas, rounding) is the interpreter's.
// This header has no LLVM types: only jit.cpp includes LLVM.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "compiler/ir/ir.h"

namespace lode::jit {

// Signature of a compiled expression.
using ExprFn = uint64_t (*)(void* frame, int64_t* out);
// The executor's callback for a node the JIT does not compile: evaluates it on `frame`.
using Callback = uint64_t (*)(void* frame, uint32_t node, int64_t* out);

inline constexpr uint64_t packError(rt::ErrCode c, uint32_t pos) { return (uint64_t(c) << 32) | pos; }

class CompiledProgram {
 public:
  ~CompiledProgram();
  // Null with `error` filled when LLVM fails (never for a checked program: that is a bug).
  static std::unique_ptr<CompiledProgram> compile(const ir::Program& p, Callback cb, std::string* error);
  // Compiled function for node `idx`, or null when the node is evaluated through the callback.
  ExprFn fn(uint32_t idx) const { return idx < fns_.size() ? fns_[idx] : nullptr; }
  const std::vector<ExprFn>& table() const { return fns_; }
  size_t functionCount() const { return count_; }

 private:
  CompiledProgram() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<ExprFn> fns_;
  size_t count_ = 0;
};

}  // namespace lode::jit
