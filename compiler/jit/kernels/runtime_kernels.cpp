// The runtime arithmetic generated code calls, as LLVM bitcode linked into every module (jit.cpp
// linkKernels), private to each module: the JIT runs the interpreter's own arithmetic (the 64-bit
// fast paths of runtime/decimal.h), and LLVM's inliner may inline a kernel where its cost model says
// it pays. It is not forced: always_inline made E1's code 1.7x larger and the 1,000-measure agreement
// compile 3x slower for at most 3 % speed (docs/design-notes.md). Built with the clang of the JIT's
// LLVM at build time (compiler/CMakeLists.txt), never by the host compiler; the rare 128-bit path is
// a call back into the process (runtime/decimal.cpp).
//
// Each kernel returns 0, or the error packed with the clause position the generated code passes
// (jit.h packError), and writes its result through `out` (a stack slot that inlining removes).
#include "compiler/jit/jit.h"
#include "runtime/decimal.h"

namespace {
using lode::rt::ErrCode;
inline uint64_t packed(ErrCode c, uint32_t pos) { return c == ErrCode::Ok ? 0 : lode::jit::packError(c, pos); }
}  // namespace

#define LODE_KERNEL extern "C" uint64_t

LODE_KERNEL lode_rt_mul(int64_t a, int64_t b, uint32_t pos, int64_t* out) { return packed(lode::rt::decMul(a, b, out), pos); }
LODE_KERNEL lode_rt_div(int64_t a, int64_t b, uint32_t pos, int64_t* out) { return packed(lode::rt::decDiv(a, b, out), pos); }
LODE_KERNEL lode_rt_neg(int64_t a, uint32_t pos, int64_t* out) { return packed(lode::rt::decNeg(a, out), pos); }
LODE_KERNEL lode_rt_abs(int64_t a, uint32_t pos, int64_t* out) { return packed(lode::rt::decAbs(a, out), pos); }
LODE_KERNEL lode_rt_scale(int64_t a, int64_t num, int64_t den, uint32_t pos, int64_t* out) {
  return packed(lode::rt::decMulRatio(a, num, den, out), pos);
}
LODE_KERNEL lode_rt_round(int64_t a, int64_t q, int64_t mode, uint32_t pos, int64_t* out) {
  return packed(lode::rt::decRound(a, q, lode::rt::RoundingMode(mode), out), pos);
}
