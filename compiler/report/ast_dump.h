// A readable dump of one parsed module (lode check --dump=ast): one line per declaration in file
// order, "line:col kind name ...", with expressions in S-expression form. Meant for people
// debugging the grammar or the checker; the format is not stable and nothing should parse it.
#pragma once
#include <string>

#include "compiler/diag/source.h"
#include "compiler/syntax/ast.h"

namespace lode::report {

std::string dumpAst(const ast::Module& m, const SourceManager& sm);
// One expression as an S-expression: (>= (owned_share facility feoc) 25[%]).
std::string exprSexpr(const ast::Expr& e);

}  // namespace lode::report
