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
// Adds `uint64_t lode_expr_<root>(FrameView*, int64_t*)` to `m` for each root.
void generate(const ir::Program& p, const std::vector<uint32_t>& roots, llvm::Module& m);
std::string functionName(uint32_t root);
// The measures function (jit.h MeasuresFn), generated with the expressions.
inline constexpr const char* kMeasuresFunction = "lode_measures";

}  // namespace lode::jit
