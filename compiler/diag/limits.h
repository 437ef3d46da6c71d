// The front end's limits (docs/limits.md). Each one is enforced with a coded diagnostic
// (compiler/diag/codes.h) before the work it bounds is done, so no input can exhaust the stack,
// the memory or the patience of the compiler. Users see these numbers: change them with the doc.
#pragma once
#include <cstddef>

namespace lode::limits {

// A source file (agreement or module) larger than this is rejected unread (L0007).
inline constexpr size_t kMaxFileBytes = 1u << 20;  // 1 MiB
// Tokens per file: words, numbers, strings and symbols; comments and spaces do not count (L0007).
inline constexpr size_t kMaxTokens = 250'000;
// Nesting of parentheses, brackets, braces and expressions (each operator, call, `if`, `bands`,
// index or field access that contains another expression is one level) (L0006).
inline constexpr size_t kMaxNesting = 256;
// The parser's own rule depth: at most three grammar rules per nesting level plus the declaration
// around the expression, so kMaxNesting is normally reported first; this is the stack's safety net.
inline constexpr size_t kMaxRuleDepth = 3 * kMaxNesting + 32;
// Bytes in one identifier (L0009).
inline constexpr size_t kMaxNameLength = 128;
// Declarations in one file; each measure inside a `first`/`exclusive` block counts (L0008).
inline constexpr size_t kMaxDeclarations = 10'000;
// Measures in one `first` or `exclusive` block: the checker proves every pair disjoint (L0008).
inline constexpr size_t kMaxBlockMeasures = 1'000;
// Files in one compilation: the agreement and every module it uses, directly or not (L0008).
inline constexpr size_t kMaxModules = 256;
// Chains of definitions (a let whose value uses a let whose value uses ...), group references and
// `use`d modules nested inside each other (L0006).
inline constexpr size_t kMaxDefinitionDepth = 256;

}  // namespace lode::limits
