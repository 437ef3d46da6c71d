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

namespace {
bool hasBom(const std::string& t) { return t.size() >= 3 && t.compare(0, 3, "\xEF\xBB\xBF") == 0; }
}  // namespace

uint32_t SourceManager::chars(uint32_t file, uint32_t begin, uint32_t end) const {
  const std::string& t = files_[file].text;
  if (begin < 3 && hasBom(t)) begin = std::min<uint32_t>(3, std::max(begin, end));
  uint32_t n = 0;
  for (uint32_t i = begin; i < end && i < t.size(); ++i)
    if ((uint8_t(t[i]) & 0xC0) != 0x80) ++n;  // continuation bytes are not characters
  return n;
}

LineCol SourceManager::lineCol(uint32_t file, uint32_t offset) const {
  const auto& starts = files_[file].lineStarts;
  auto it = std::upper_bound(starts.begin(), starts.end(), offset);
  uint32_t line = uint32_t(it - starts.begin());  // 1-based because lineStarts[0] == 0
  return {line, chars(file, starts[line - 1], offset) + 1};
}

std::string SourceManager::lineText(uint32_t file, uint32_t line) const {
  const File& f = files_[file];
  if (line == 0 || line > f.lineStarts.size()) return {};
  uint32_t b = f.lineStarts[line - 1];
  if (b == 0 && hasBom(f.text)) b = 3;
  uint32_t e = b;
  while (e < f.text.size() && f.text[e] != '\n' && f.text[e] != '\r') ++e;
  return f.text.substr(b, e - b);
}

}  // namespace lode
