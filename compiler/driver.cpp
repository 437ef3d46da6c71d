// Loads the agreement and, transitively, the modules it uses; then checks and lowers.
#include "compiler/driver.h"

#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <set>
#include <sstream>

#include "compiler/diag/codes.h"
#include "compiler/diag/limits.h"
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

enum class Read { Ok, Unreadable, TooLarge };

// Reads a source file, but never more than limits::kMaxFileBytes of it: a larger file is rejected
// unread (its size is in `size` when the file system knows it, else 0).
static Read readFile(const std::string& path, std::string& out, uint64_t& size) {
  std::error_code ec;
  size = 0;
  if (fs::is_directory(path, ec)) return Read::Unreadable;
  if (fs::is_regular_file(path, ec)) {
    size = fs::file_size(path, ec);
    if (!ec && size > limits::kMaxFileBytes) return Read::TooLarge;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Read::Unreadable;
  out.clear();
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {  // pipes and devices have no size up front
    out.append(buf, size_t(in.gcount()));
    if (out.size() > limits::kMaxFileBytes) {
      out.clear();
      return Read::TooLarge;
    }
  }
  return in.bad() ? Read::Unreadable : Read::Ok;
}

static std::string tooLargeMessage(const std::string& what, uint64_t size) {
  return size > 0 ? fmt::format("{} is {} bytes: the limit is {} bytes (1 MiB)", what, size, limits::kMaxFileBytes)
                  : fmt::format("{} is larger than the limit of {} bytes (1 MiB)", what, limits::kMaxFileBytes);
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
      if (c.sm.size() >= limits::kMaxModules) {
        c.diags.error(code::kTooMany, u.range,
                      fmt::format("more than {} files in one agreement (the limit), counting the modules it uses", limits::kMaxModules));
        return;
      }
      std::string text;
      uint64_t size = 0;
      Read r = readFile(p.string(), text, size);
      if (r == Read::TooLarge) {
        c.diags.error(code::kTooLarge, u.range, tooLargeMessage(fmt::format("module '{}' ({})", u.path, p.string()), size));
        continue;
      }
      if (r != Read::Ok) {
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
  if (text.size() > limits::kMaxFileBytes) {
    uint32_t f = c->sm.add(path, "");
    c->diags.error(code::kTooLarge, {f, 0, 0}, tooLargeMessage("the file", text.size()));
    return c;
  }
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
  uint64_t size = 0;
  Read r = readFile(path, text, size);
  if (r != Read::Ok) {
    auto c = std::make_unique<Compilation>();
    uint32_t f = c->sm.add(path, "");
    if (r == Read::TooLarge) c->diags.error(code::kTooLarge, {f, 0, 0}, tooLargeMessage("the file", size));
    else c->diags.error(code::kNoFile, {f, 0, 0}, fmt::format("cannot read '{}'", path));
    return c;
  }
  return compileText(path, std::move(text), opts);
}

}  // namespace lode
