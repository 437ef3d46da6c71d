#include "compiler/jit/object_cache.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <unistd.h>

namespace lode::jit {

namespace fs = std::filesystem;

std::string ObjectCache::pathOf(const std::string& key) const { return (fs::path(dir_) / (key + ".o")).string(); }

std::optional<std::string> ObjectCache::load(const std::string& key) const {
  std::ifstream in(pathOf(key), std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in.good() && !in.eof()) return std::nullopt;
  return std::move(bytes).str();
}

bool ObjectCache::store(const std::string& key, std::string_view object, std::string* error) const {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  // A name no other process uses, so two writers never interleave; rename makes the file appear whole.
  std::string tmp = pathOf(key) + ".tmp." + std::to_string(::getpid()) + "." +
                    std::to_string(std::hash<std::thread::id>()(std::this_thread::get_id()));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(object.data(), std::streamsize(object.size()));
    if (!out) {
      if (error) *error = "cannot write the JIT cache file " + tmp;
      fs::remove(tmp, ec);
      return false;
    }
  }
  fs::rename(tmp, pathOf(key), ec);
  if (ec) {
    if (error) *error = "cannot rename " + tmp + ": " + ec.message();
    fs::remove(tmp, ec);
    return false;
  }
  return true;
}

}  // namespace lode::jit
