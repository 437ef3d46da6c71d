// Loads the agreement and, transitively, the modules it uses; then checks and lowers.
#include "compiler/driver.h"

#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <set>
#include <sstream>

#include "compiler/diag/codes.h"
#include "compiler/sema/checker.h"
#include "compiler/syntax/parse.h"

#ifndef LODE_STDLIB_BUILD_DIR
#define LODE_STDLIB_BUILD_DIR ""
#endif

namespace lode {
namespace fs = std::filesystem;

std::string defaultStdlibDir() {
  if (const char* env = std::getenv("LODE_STDLIB"); env && *env) return env;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (fs::path cand : {exe.parent_path() / "stdlib", exe.parent_path().parent_path() / "stdlib",
                          exe.parent_path().parent_path() / "share" / "lode" / "stdlib"})
      if (fs::exists(cand / "countries.lode", ec)) return cand.string();
  }
  return LODE_STDLIB_BUILD_DIR;
}

static bool readFile(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

namespace {

struct Loader {
  Compilation& c;
  std::string stdlib;
  std::set<std::string> loaded;

  // Loads the modules `m` uses, depth first; each file once (a module used twice is shared).
  void loadUses(size_t mi) {
    std::vector<ast::Use> uses = c.modules[mi].uses;
    fs::path dir = fs::path(c.sm.path(c.modules[mi].file)).parent_path();
    for (const auto& u : uses) {
      fs::path p;
      if (u.isFile) p = dir / u.path;
      else if (u.path.rfind("std.", 0) == 0) p = fs::path(stdlib) / (u.path.substr(4) + ".lode");
      else {
        c.diags.error(code::kNoFile, u.range, fmt::format("unknown module '{}': use std.NAME or a file path in quotes", u.path));
        continue;
      }
      std::error_code ec;
      fs::path canon = fs::weakly_canonical(p, ec);
      std::string key = ec ? p.string() : canon.string();
      if (loaded.count(key)) continue;
      loaded.insert(key);
      std::string text;
      if (!readFile(p.string(), text)) {
        c.diags.error(code::kNoFile, u.range, fmt::format("cannot read module '{}' ({})", u.path, p.string()));
        continue;
      }
      uint32_t f = c.sm.add(p.string(), std::move(text));
      c.modules.push_back(syntax::parseFile(c.sm, f, c.diags));
      loadUses(c.modules.size() - 1);
    }
  }
};

}  // namespace

std::unique_ptr<Compilation> compileText(const std::string& path, std::string text, const CompileOptions& opts) {
  auto c = std::make_unique<Compilation>();
  uint32_t f = c->sm.add(path, std::move(text));
  c->modules.push_back(syntax::parseFile(c->sm, f, c->diags));
  Loader loader{*c, opts.stdlibDir.empty() ? defaultStdlibDir() : opts.stdlibDir, {}};
  std::error_code ec;
  loader.loaded.insert(fs::weakly_canonical(path, ec).string());
  loader.loadUses(0);
  bool broken = false;
  for (const auto& m : c->modules) broken = broken || m.broken;
  if (!broken) c->program = sema::check(c->sm, c->modules, c->diags, opts.requireHeader);
  if (c->diags.hasErrors()) c->program.reset();
  c->diags.sortByPosition();
  return c;
}

std::unique_ptr<Compilation> compileFile(const std::string& path, const CompileOptions& opts) {
  std::string text;
  if (!readFile(path, text)) {
    auto c = std::make_unique<Compilation>();
    uint32_t f = c->sm.add(path, "");
    c->diags.error(code::kNoFile, {f, 0, 0}, fmt::format("cannot read '{}'", path));
    return c;
  }
  return compileText(path, std::move(text), opts);
}

}  // namespace lode
