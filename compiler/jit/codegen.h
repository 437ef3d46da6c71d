// LLVM IR generation for the expressions of one agreement (codegen.cpp). LLVM types appear here only
// as forward declarations, so including this header stays cheap.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "compiler/ir/ir.h"

namespace llvm {
class Module;
}

namespace lode::jit {

// The nodes that become functions: every maximal subtree the JIT generates inline, by its root.
std::vector<uint32_t> compiledRoots(const ir::Program& p);
// How many modules the agreement is generated into: they are optimised and compiled in parallel, and
// depend on the program only (so the cache keys and the machine code do not depend on the host's cores).
uint32_t partitionCount(const ir::Program& p);
// Generates partition `part` of `parts` into `m`: its share of the roots, as
// `uint64_t lode_expr_<root>(FrameView*, int64_t*)`, and of the measure chunks; partition 0 also gets
// the origin rules and the measures function, which calls the chunks of the other partitions.
// With inlineArithmetic (O2, an agreement of one partition), products, scales and roundings by
// constants are generated inline with a call to the runtime only beyond 64 bits; else each is a call
// (faster to compile).
void generate(const ir::Program& p, const std::vector<uint32_t>& roots, uint32_t part, uint32_t parts, llvm::Module& m,
              bool inlineArithmetic);
std::string functionName(uint32_t root);
// The measures function (jit.h MeasuresFn), generated with the expressions.
inline constexpr const char* kMeasuresFunction = "lode_measures";

}  // namespace lode::jit
