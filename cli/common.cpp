#include "cli/common.h"

#include <fmt/format.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unordered_map>

#include "compiler/report/report.h"
#include "runtime/csv.h"
#include "runtime/market.h"
#include "runtime/registry.h"

namespace lode::cli {

void EngineOptions::addTo(CLI::App* sub) {
  sub->add_option("--engine", engine, "Executor: jit (native code via LLVM, default) or interp (the reference interpreter)")
      ->check(CLI::IsMember({"interp", "jit"}));
  sub->add_option("--jit-opt", jitOpt,
                  "JIT optimisation: O2 (default), quick (compiles several times faster) or tiered (quick code at "
                  "once, the O2 code installed when a background compile has made it)")
      ->check(CLI::IsMember({"O2", "quick", "tiered"}));
  sub->add_option("--jit-cache", jitCache,
                  "Directory for compiled machine code, keyed by the agreement's content hash (default $LODE_JIT_CACHE)");
}

jit::CompileOptions EngineOptions::compileOptions() const {
  jit::CompileOptions o;
  o.level = jitOpt == "quick" ? jit::OptLevel::Quick : jitOpt == "tiered" ? jit::OptLevel::Tiered : jit::OptLevel::O2;
  o.cacheDir = jitCache;
  if (o.cacheDir.empty())
    if (const char* env = std::getenv("LODE_JIT_CACHE")) o.cacheDir = env;
  return o;
}

bool readable(const std::string& path) {
  std::ifstream f;
  return rt::openDataFile(f, path);
}

std::string fileStem(const std::string& path) { return std::filesystem::path(path).stem().string(); }

std::unique_ptr<Compilation> compileReported(const std::string& path, const CompileOptions& opts, bool quiet,
                                             DiagCounts& counts) {
  if (!readable(path)) throw UsageError(fmt::format("cannot read '{}'", path));
  std::unique_ptr<Compilation> c = compileFile(path, opts);
  // A note belongs to the diagnostic before it: it is shown exactly when that one is.
  bool showing = true;
  for (const Diagnostic& d : c->diags.all()) {
    if (d.severity == Severity::Error) {
      ++counts.errors;
      showing = true;
    } else if (d.severity == Severity::Warning) {
      ++counts.warnings;
      showing = !quiet;
    }
    if (showing) std::fputs(formatDiagnostic(c->sm, d).c_str(), stderr);
  }
  return c;
}

void RowErrorPrinter::print(const rt::RowError& e) { printText(report::rowErrorText(e)); }

void RowErrorPrinter::printText(const std::string& line) {
  if (printed_ >= limit_) {
    ++suppressed_;
    return;
  }
  ++printed_;
  std::fprintf(stderr, "%s\n", line.c_str());
}

void RowErrorPrinter::warn(const rt::RowError& e) {
  std::fprintf(stderr, "warning: %s\n", report::rowErrorText(e).c_str());
}

void RowErrorPrinter::finish() {
  if (suppressed_ > 0)
    std::fprintf(stderr, "... %zu more row errors not shown (every error is in the output)\n", suppressed_);
  suppressed_ = 0;
}

void loadMarket(const ir::Program& p, testing::InputSet& in, const std::string& path, RowErrorPrinter& out,
                size_t& rowErrors) {
  std::ifstream f;
  if (!rt::openDataFile(f, path)) throw UsageError(fmt::format("cannot read market file '{}'", path));
  std::unordered_map<std::string, rt::Unit> units;
  for (const ir::Series& s : p.series) units.emplace(s.key, s.unit);
  uint64_t skippedBefore = in.market().skippedRows();
  for (const rt::RowError& e : in.market().loadCsv(f, path, units)) {
    out.print(e);
    ++rowErrors;
  }
  uint64_t skipped = in.market().skippedRows() - skippedBefore;
  if (skipped > 0)
    std::fprintf(stderr, "note: %s: %llu rows for series the agreement does not declare were ignored\n", path.c_str(),
                 static_cast<unsigned long long>(skipped));
}

void loadRegistries(const ir::Program& p, testing::InputSet& in, const std::vector<std::string>& specs,
                    RowErrorPrinter& out, size_t& rowErrors) {
  auto findRegistry = [&](const std::string& name) -> int {
    for (size_t r = 0; r < p.registries.size(); ++r)
      if (p.registries[r].name == name) return static_cast<int>(r);
    return -1;
  };
  auto declared = [&] {
    std::string s;
    for (const ir::Registry& r : p.registries) s += (s.empty() ? "" : ", ") + r.name;
    return s.empty() ? std::string("none") : s;
  };
  const std::vector<std::string>* countries = p.countries.empty() ? nullptr : &p.countries;

  for (const std::string& spec : specs) {
    // NAME=FILE when the part before '=' is a plain identifier; otherwise the whole spec is a path
    // (which may itself contain '=') and the file's stem names the registry.
    std::string name, path = spec;
    size_t eq = spec.find('=');
    auto isIdent = [](const std::string& s) {
      if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
      for (char ch : s)
        if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_')) return false;
      return true;
    };
    if (eq != std::string::npos && isIdent(spec.substr(0, eq))) {
      name = spec.substr(0, eq);
      path = spec.substr(eq + 1);
    } else {
      name = fileStem(spec);
    }
    int r = findRegistry(name);
    if (r < 0)
      throw UsageError(fmt::format("--registry {}: the agreement declares no registry '{}' (declared: {}); "
                                   "use NAME=FILE",
                                   spec, name, declared()));
    std::ifstream f;
    if (!rt::openDataFile(f, path)) throw UsageError(fmt::format("cannot read registry file '{}'", path));
    const ir::Registry& reg = p.registries[static_cast<size_t>(r)];
    std::vector<rt::RowError> errs;
    if (reg.ownership) {
      errs = in.ownership().loadCsv(f, path, countries);
    } else {
      rt::RegistryTable* t = in.table(static_cast<size_t>(r));
      if (!t) throw UsageError(fmt::format("registry '{}' has no columns to load", name));
      size_t warned = t->warnings().size();  // the same table may be loaded from several files
      errs = t->loadCsv(f, path, countries);
      for (size_t w = warned; w < t->warnings().size(); ++w) out.warn(t->warnings()[w]);
    }
    for (const rt::RowError& e : errs) {
      out.print(e);
      ++rowErrors;
    }
  }
}

void loadQuotas(testing::InputSet& in, const std::string& path, RowErrorPrinter& out, size_t& rowErrors) {
  std::ifstream f;
  if (!rt::openDataFile(f, path)) throw UsageError(fmt::format("cannot read quota state '{}'", path));
  for (const rt::RowError& e : in.loadQuotaState(f, path)) {
    out.print(e);
    ++rowErrors;
  }
}

std::string shipmentId(const rt::Record& rec) {
  if (static_cast<size_t>(ir::kFieldId) < rec.values.size() && rec.values[ir::kFieldId].present)
    return rec.values[ir::kFieldId].s;
  return {};
}

}  // namespace lode::cli
