// Runs one .lode file of the test corpus through the compiler and an executor.
//
// Expected diagnostics are written in the file itself as comments:
//   #! error[L0201] 12:7        a diagnostic at line 12, column 7
//   ... code ...  #! error[L0201] :7   a diagnostic on this line, column 7
// The diagnostics produced (errors and warnings) must be exactly the expected ones. A file that
// compiles has its inline examples run and compared with their `expect` blocks.
#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "compiler/driver.h"
#include "compiler/testing/example_runner.h"

int main(int argc, char** argv) {
  std::string file, engine = "interp";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--engine" && i + 1 < argc) engine = argv[++i];
    else file = a;
  }
  if (file.empty()) { std::cerr << "usage: lode_corpus [--engine interp|jit] FILE.lode\n"; return 2; }
  if (engine != "interp" && engine != "jit") { std::cerr << "unknown engine " << engine << "\n"; return 2; }

  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();

  std::multiset<std::string> expected;
  std::regex mark(R"(#!\s*(error|warning)\[(L\d{4})\]\s*(\d*):(\d+))");
  std::istringstream lines(text);
  std::string line;
  for (int ln = 1; std::getline(lines, line); ++ln) {
    for (auto it = std::sregex_iterator(line.begin(), line.end(), mark); it != std::sregex_iterator(); ++it) {
      const auto& m = *it;
      std::string l = m[3].str().empty() ? std::to_string(ln) : m[3].str();
      expected.insert(fmt::format("{}[{}] {}:{}", m[1].str(), m[2].str(), l, m[4].str()));
    }
  }

  auto c = lode::compileText(file, text);
  std::multiset<std::string> got;
  for (const auto& d : c->diags.all()) {
    if (d.severity == lode::Severity::Note || d.range.file != 0) {
      if (d.severity != lode::Severity::Note) std::cerr << lode::formatDiagnostic(c->sm, d);
      if (d.severity != lode::Severity::Note && d.range.file != 0) got.insert("in a used module: " + d.message);
      continue;
    }
    auto lc = c->sm.lineCol(d.range.file, d.range.begin);
    got.insert(fmt::format("{}[{}] {}:{}", d.severity == lode::Severity::Error ? "error" : "warning", d.code, lc.line, lc.col));
  }
  int failures = 0;
  for (const auto& e : expected)
    if (!got.count(e)) { std::cerr << file << ": expected diagnostic not reported: " << e << "\n"; ++failures; }
  for (const auto& g : got)
    if (!expected.count(g)) { std::cerr << file << ": unexpected diagnostic: " << g << "\n"; ++failures; }
  if (failures) {
    for (const auto& d : c->diags.all()) std::cerr << lode::formatDiagnostic(c->sm, d);
  }
  int passed = 0;
  if (c->program) {
    auto results = lode::testing::runExamples(*c->program, c->sm, lode::testing::executorFor(engine, *c->program));
    for (const auto& r : results) {
      if (r.passed) { ++passed; continue; }
      ++failures;
      std::cerr << "FAIL " << r.title << "\n";
      for (const auto& f : r.failures) std::cerr << "  " << f << "\n";
    }
  } else if (expected.empty()) {
    std::cerr << file << ": does not compile\n";
    ++failures;
  }
  std::cout << fmt::format("{}: {} example(s) passed, {} problem(s) [{}]\n", file, passed, failures, engine);
  return failures ? 1 : 0;
}
