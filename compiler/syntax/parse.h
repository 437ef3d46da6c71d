// The syntax stage's one entry point: text in, AST out. ANTLR stays behind this header.
#pragma once
#include "compiler/diag/diagnostics.h"
#include "compiler/syntax/ast.h"

namespace lode::syntax {

// Parses one file already added to `sm`. Syntax errors are reported in `diags` (parsing goes on
// after them); the returned module holds whatever could be built.
ast::Module parseFile(SourceManager& sm, uint32_t file, Diagnostics& diags);

}  // namespace lode::syntax
