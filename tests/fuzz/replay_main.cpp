// Replays saved inputs through a fuzz target's fuzzOne(), as a plain program (no afl++ needed):
//
//   lode_fuzz_replay_TARGET PATH...
//
// Each PATH is a file or a directory (every regular file below it, in name order; a missing directory
// counts as empty, so a target without regressions yet still has a test). A bug in the target shows as
// a crash or a sanitizer report, exactly as under afl-fuzz.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz.h"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    fs::path p = argv[i];
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      for (const auto& e : fs::recursive_directory_iterator(p))
        if (e.is_regular_file() && e.path().filename().string()[0] != '.') files.push_back(e.path());
    } else if (fs::exists(p, ec)) {
      files.push_back(p);
    } else if (p.has_extension()) {
      std::fprintf(stderr, "no such file: %s\n", argv[i]);
      return 2;
    }
  }
  std::sort(files.begin(), files.end());
  fuzzInit();
  for (const fs::path& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::fprintf(stderr, "replay %s (%zu bytes)\n", f.c_str(), bytes.size());
    fuzzOne(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  std::printf("replayed %zu input(s) without a crash\n", files.size());
  return 0;
}
