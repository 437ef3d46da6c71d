#include "compiler/diag/source.h"

#include <algorithm>

namespace lode {

uint32_t SourceManager::add(std::string path, std::string text) {
  File f{std::move(path), std::move(text), {0}};
  for (uint32_t i = 0; i < f.text.size(); ++i)
    if (f.text[i] == '\n') f.lineStarts.push_back(i + 1);
  files_.push_back(std::move(f));
  return uint32_t(files_.size() - 1);
}

LineCol SourceManager::lineCol(uint32_t file, uint32_t offset) const {
  const auto& starts = files_[file].lineStarts;
  auto it = std::upper_bound(starts.begin(), starts.end(), offset);
  uint32_t line = uint32_t(it - starts.begin());  // 1-based because lineStarts[0] == 0
  return {line, offset - starts[line - 1] + 1};
}

std::string SourceManager::lineText(uint32_t file, uint32_t line) const {
  const File& f = files_[file];
  if (line == 0 || line > f.lineStarts.size()) return {};
  uint32_t b = f.lineStarts[line - 1];
  uint32_t e = b;
  while (e < f.text.size() && f.text[e] != '\n' && f.text[e] != '\r') ++e;
  return f.text.substr(b, e - b);
}

}  // namespace lode
