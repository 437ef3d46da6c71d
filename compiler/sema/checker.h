// Semantic checks and lowering to IR: names, types, units, dates, coverage. Produces a Program only
// when there is no error.
#pragma once
#include <memory>
#include <vector>

#include "compiler/diag/diagnostics.h"
#include "compiler/ir/ir.h"
#include "compiler/syntax/ast.h"

namespace lode::sema {

// modules[0] is the agreement; the rest are modules it uses (their unused names are not reported).
std::unique_ptr<ir::Program> check(const SourceManager& sm, const std::vector<ast::Module>& modules,
                                   Diagnostics& diags, bool requireHeader);

}  // namespace lode::sema
