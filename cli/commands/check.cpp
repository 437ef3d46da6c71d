// lode check FILE... : compile agreements and report diagnostics, optionally dumping AST or IR.
#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "cli/commands/commands.h"
#include "cli/common.h"
#include "compiler/report/ast_dump.h"

namespace lode::cli {

namespace {

struct CheckOptions {
  std::vector<std::string> files;
  std::string dump;
  std::string stdlib;
  bool quiet = false;
  bool module = false;
};

int runCheck(const CheckOptions& o) {
  CompileOptions copts;
  copts.stdlibDir = o.stdlib;
  copts.requireHeader = !o.module;
  DiagCounts total;
  bool unreadable = false;
  for (const std::string& file : o.files) {
    DiagCounts counts;
    std::unique_ptr<Compilation> c;
    try {
      c = compileReported(file, copts, o.quiet, counts);
    } catch (const UsageError& e) {
      // Keep checking the other files; the exit code still says an input could not be read.
      std::fprintf(stderr, "lode: %s\n", e.what());
      unreadable = true;
      continue;
    }
    total.errors += counts.errors;
    total.warnings += counts.warnings;
    if (o.files.size() > 1 && !o.dump.empty()) std::printf("# %s\n", file.c_str());
    if (o.dump == "ast") {
      // Only the file named on the command line: the modules it uses (std.countries alone has
      // hundreds of declarations) would bury it.
      if (!c->modules.empty()) std::fputs(report::dumpAst(c->modules.front(), c->sm).c_str(), stdout);
    } else if (o.dump == "ir") {
      if (c->program) std::fputs(ir::dumpProgram(*c->program, c->sm).c_str(), stdout);
      else std::fprintf(stderr, "%s: no IR (the agreement has errors)\n", file.c_str());
    }
  }
  std::fflush(stdout);
  if (!o.quiet) {
    std::string files = o.files.size() == 1 ? "1 file" : fmt::format("{} files", o.files.size());
    std::string errs = total.errors == 1 ? "1 error" : fmt::format("{} errors", total.errors);
    std::string warns = total.warnings == 1 ? "1 warning" : fmt::format("{} warnings", total.warnings);
    std::fprintf(stderr, "checked %s: %s, %s\n", files.c_str(), errs.c_str(), warns.c_str());
  }
  if (unreadable) return kExitUsage;
  return total.errors > 0 ? kExitFindings : kExitOk;
}

}  // namespace

void addCheckCommand(CLI::App& app, int& rc) {
  auto o = std::make_shared<CheckOptions>();
  CLI::App* sub = app.add_subcommand("check", "Compile agreements and report errors and warnings");
  sub->add_option("FILE", o->files, "Agreement files (.lode)")->required()->check(CLI::ExistingFile);
  sub->add_option("--dump", o->dump, "Print the parsed AST or the lowered IR of each file to stdout")
      ->check(CLI::IsMember({"ast", "ir"}));
  sub->add_option("--stdlib", o->stdlib, "Directory of the standard modules (`use std.NAME`)")
      ->check(CLI::ExistingDirectory);
  sub->add_flag("-q,--quiet", o->quiet, "Print errors only: no warnings, no summary line");
  sub->add_flag("--module", o->module, "Check files as modules (no `agreement` header required)");
  sub->footer("Exit status: 0 no errors, 1 errors found, 2 bad usage or unreadable file.");
  sub->callback([o, &rc] { rc = runCheck(*o); });
}

}  // namespace lode::cli
