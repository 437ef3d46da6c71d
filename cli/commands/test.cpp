// lode test FILE... : run the agreements' inline examples and compare with their expectations.
#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "cli/commands/commands.h"
#include "cli/common.h"
#include "compiler/testing/example_runner.h"

namespace lode::cli {

namespace {

struct TestOptions {
  std::vector<std::string> files;
  EngineOptions engine;
  std::string stdlib;
};

int runTest(const TestOptions& o) {
  CompileOptions copts;
  copts.stdlibDir = o.stdlib;
  size_t passed = 0, failed = 0, broken = 0;
  bool unreadable = false;
  for (const std::string& file : o.files) {
    DiagCounts counts;
    std::unique_ptr<Compilation> c;
    try {
      c = compileReported(file, copts, /*quiet=*/true, counts);
    } catch (const UsageError& e) {
      std::fprintf(stderr, "lode: %s\n", e.what());
      unreadable = true;
      continue;
    }
    if (!c->program) {
      ++broken;
      std::printf("%s: does not compile (%zu %s); examples not run\n", file.c_str(), counts.errors,
                  counts.errors == 1 ? "error" : "errors");
      continue;
    }
    std::vector<testing::ExampleResult> results =
        testing::runExamples(*c->program, c->sm, o.engine.executor(*c->program));
    size_t filePassed = 0, fileFailed = 0;
    for (const testing::ExampleResult& r : results) {
      if (r.passed) {
        ++filePassed;
        std::printf("PASS %s\n", r.title.c_str());
      } else {
        ++fileFailed;
        std::printf("FAIL %s\n", r.title.c_str());
        for (const std::string& f : r.failures) std::printf("  %s\n", f.c_str());
      }
    }
    if (results.empty()) std::printf("%s: no examples\n", file.c_str());
    else std::printf("%s: %zu passed, %zu failed\n", file.c_str(), filePassed, fileFailed);
    passed += filePassed;
    failed += fileFailed;
  }
  if (broken > 0) std::printf("%zu %s did not compile\n", broken, broken == 1 ? "file" : "files");
  // The last line is machine-read (CI greps it): keep it exactly "N passed, M failed".
  std::printf("%zu passed, %zu failed\n", passed, failed);
  std::fflush(stdout);
  if (unreadable) return kExitUsage;
  return failed > 0 || broken > 0 ? kExitFindings : kExitOk;
}

}  // namespace

void addTestCommand(CLI::App& app, int& rc) {
  auto o = std::make_shared<TestOptions>();
  CLI::App* sub = app.add_subcommand("test", "Run the examples written in agreements and check their expectations");
  sub->add_option("FILE", o->files, "Agreement files (.lode)")->required();
  o->engine.addTo(sub);
  sub->add_option("--stdlib", o->stdlib, "Directory of the standard modules (`use std.NAME`)")
      ->check(CLI::ExistingDirectory);
  sub->footer("Exit status: 0 all examples pass, 1 a failure or a file that does not compile, 2 bad usage.");
  sub->callback([o, &rc] { rc = runTest(*o); });
}

}  // namespace lode::cli
