// The example agreements (examples/agreements/*.lode), compiled once per fuzz target process.
#pragma once
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "compiler/driver.h"

namespace lode::fuzz {

inline std::vector<std::unique_ptr<Compilation>> compileExampleAgreements() {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(LODE_SOURCE_DIR "/examples/agreements"))
    if (e.path().extension() == ".lode") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  std::vector<std::unique_ptr<Compilation>> out;
  for (const std::string& f : files) {
    auto c = compileFile(f, {});
    if (!c->program) {
      std::fprintf(stderr, "fuzz: example agreement %s does not compile (is LODE_STDLIB right?)\n", f.c_str());
      std::abort();
    }
    out.push_back(std::move(c));
  }
  if (out.empty()) {
    std::fprintf(stderr, "fuzz: no agreements under %s/examples/agreements\n", LODE_SOURCE_DIR);
    std::abort();
  }
  return out;
}

}  // namespace lode::fuzz
