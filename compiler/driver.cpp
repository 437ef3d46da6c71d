// Loads the agreement and, transitively, the modules it uses; then checks and lowers.
#include "compiler/driver.h"

#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <map>
#include <mutex>
#include <set>

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
// unread (its size is in `size` when the file system knows it, else 0). Plain stdio: an ifstream
// costs more to set up (locale) than reading a module does.
static Read readFile(const std::string& path, std::string& out, uint64_t& size) {
  std::error_code ec;
  size = 0;
  if (fs::is_directory(path, ec)) return Read::Unreadable;
  if (fs::is_regular_file(path, ec)) {
    size = fs::file_size(path, ec);
    if (!ec && size > limits::kMaxFileBytes) return Read::TooLarge;
  }
  std::FILE* in = std::fopen(path.c_str(), "rb");
  if (!in) return Read::Unreadable;
  out.clear();
  if (size > 0) out.reserve(size_t(size));
  char buf[1 << 16];
  for (;;) {  // pipes and devices have no size up front
    size_t n = std::fread(buf, 1, sizeof buf, in);
    out.append(buf, n);
    if (out.size() > limits::kMaxFileBytes) {
      out.clear();
      std::fclose(in);
      return Read::TooLarge;
    }
    if (n < sizeof buf) break;
  }
  bool bad = std::ferror(in) != 0;
  std::fclose(in);
  return bad ? Read::Unreadable : Read::Ok;
}

static std::string tooLargeMessage(const std::string& what, uint64_t size) {
  return size > 0 ? fmt::format("{} is {} bytes: the limit is {} bytes (1 MiB)", what, size, limits::kMaxFileBytes)
                  : fmt::format("{} is larger than the limit of {} bytes (1 MiB)", what, limits::kMaxFileBytes);
}

namespace {

// Used modules (the standard ones above all) parse the same in every compilation that reads the same
// text into the same file slot (AST positions name their file by its index in the SourceManager), so
// the process keeps their ASTs: keyed by path and file index, and valid for exactly the text they were
// parsed from (the file is read every time, which is cheap: an edited module is a new text and is
// parsed again, whatever its modification time says). Only modules that parsed without any
// diagnostic are kept. Entries are immutable once stored and the AST's subtrees are never changed
// after parsing, so compilations on several threads share them.
class ModuleCache {
 public:
  static constexpr size_t kMaxEntries = 256;  // then the cache starts over: many distinct modules are not the case it serves

  std::shared_ptr<const ast::Module> find(const std::string& path, uint32_t file, const std::string& text) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find({path, file});
    if (it == entries_.end() || it->second.text != text) return nullptr;
    return it->second.module;
  }
  void store(const std::string& path, uint32_t file, const std::string& text, const ast::Module& m) {
    auto copy = std::make_shared<const ast::Module>(m);
    std::lock_guard<std::mutex> lock(mu_);
    if (entries_.size() >= kMaxEntries) entries_.clear();
    entries_[{path, file}] = Entry{text, std::move(copy)};
  }

 private:
  struct Entry {
    std::string text;
    std::shared_ptr<const ast::Module> module;
  };
  std::mutex mu_;
  std::map<std::pair<std::string, uint32_t>, Entry> entries_;
};

ModuleCache& moduleCache() {
  static ModuleCache cache;
  return cache;
}

// Parses a used module, or copies it from the cache.
ast::Module parseModule(Compilation& c, uint32_t f, bool useCache) {
  const std::string& path = c.sm.path(f);
  const std::string& text = c.sm.text(f);
  if (useCache) {
    if (auto hit = moduleCache().find(path, f, text)) return *hit;
  }
  // Past the error cap a syntax error would go unseen: nothing parsed then is kept.
  bool keep = useCache && c.diags.errorCount() < Diagnostics::kMaxErrors;
  size_t before = c.diags.all().size();
  ast::Module m = syntax::parseFile(c.sm, f, c.diags);
  if (keep && c.diags.all().size() == before && !m.broken) moduleCache().store(path, f, text, m);
  return m;
}

struct Loader {
  Compilation& c;
  std::string stdlib;
  bool useCache;
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
      c.modules.push_back(parseModule(c, f, useCache));
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
  Loader loader{*c, opts.stdlibDir.empty() ? defaultStdlibDir() : opts.stdlibDir, opts.cacheModules, {}};
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
