// Compiled agreements on disk: machine code keyed by a hash of everything it depends on (the
// program's compiled expressions, the optimisation level, the host CPU, the LLVM and lode versions),
// so a restarted service loads an agreement it has seen instead of compiling it again.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace lode::jit {

class ObjectCache {
 public:
  explicit ObjectCache(std::string dir) : dir_(std::move(dir)) {}
  // The object file stored under `key`, if any.
  std::optional<std::string> load(const std::string& key) const;
  // Stores atomically (temporary file, then rename), creating the directory; a concurrent writer of
  // the same key writes the same bytes. False with `error` when the directory is not writable.
  bool store(const std::string& key, std::string_view object, std::string* error) const;
  std::string pathOf(const std::string& key) const;

 private:
  std::string dir_;
};

}  // namespace lode::jit
