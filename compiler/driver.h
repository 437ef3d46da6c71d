// Front door of the compiler: load an agreement and the modules it uses, check it, lower it to IR.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "compiler/diag/diagnostics.h"
#include "compiler/ir/ir.h"
#include "compiler/syntax/ast.h"

namespace lode {

struct CompileOptions {
  std::string stdlibDir;      // where `use std.X` finds X.lode; empty = defaultStdlibDir()
  bool requireHeader = true;  // an agreement file needs `agreement "..." { ... }`
  // Used modules whose text is unchanged are not parsed again: the process keeps their ASTs
  // (driver.cpp, ModuleCache). Off: every module is parsed (the tests compare the two).
  bool cacheModules = true;
};

struct Compilation {
  SourceManager sm;
  Diagnostics diags;
  std::vector<ast::Module> modules;      // the agreement first, then used modules
  std::unique_ptr<ir::Program> program;  // null when there were errors
};

// Never throws for bad input: everything wrong with the text is a diagnostic.
std::unique_ptr<Compilation> compileFile(const std::string& path, const CompileOptions& opts = {});
std::unique_ptr<Compilation> compileText(const std::string& path, std::string text, const CompileOptions& opts = {});
std::string defaultStdlibDir();  // $LODE_STDLIB, else the build tree's stdlib, else next to the binary

}  // namespace lode
