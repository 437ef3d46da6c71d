#include "compiler/diag/diagnostics.h"

#include <algorithm>
#include <fmt/format.h>

namespace lode {

void Diagnostics::add(Severity s, const char* code, SourceRange r, std::string msg) {
  if (capped_) return;
  if (s == Severity::Error && errors_ == kMaxErrors) {
    capped_ = true;
    list_.push_back({Severity::Note, "", r, fmt::format("too many errors; stopping after {}", kMaxErrors)});
    return;
  }
  if (s == Severity::Error) ++errors_;
  list_.push_back({s, code, r, std::move(msg)});
}

void Diagnostics::sortByPosition() {
  std::stable_sort(list_.begin(), list_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return a.range.file != b.range.file ? a.range.file < b.range.file : a.range.begin < b.range.begin;
  });
}

std::string formatDiagnostic(const SourceManager& sm, const Diagnostic& d) {
  const char* sev = d.severity == Severity::Error ? "error" : d.severity == Severity::Warning ? "warning" : "note";
  LineCol lc = sm.lineCol(d.range.file, d.range.begin);
  std::string head = d.code.empty() ? sev : fmt::format("{}[{}]", sev, d.code);
  std::string out = fmt::format("{}:{}:{}: {}: {}\n", sm.path(d.range.file), lc.line, lc.col, head, d.message);
  std::string line = sm.lineText(d.range.file, lc.line);
  if (line.empty() && lc.col == 1) return out;
  // Caret under the whole range when it stays on this line, else a single caret.
  // Columns and widths count characters, so the caret lines up under non-ASCII text too.
  size_t width = 1;
  LineCol endLc = sm.lineCol(d.range.file, d.range.end > d.range.begin ? d.range.end - 1 : d.range.begin);
  if (endLc.line == lc.line && d.range.end > d.range.begin) width = sm.chars(d.range.file, d.range.begin, d.range.end);
  std::string pad;
  size_t seen = 0;
  for (size_t i = 0; seen + 1 < lc.col && i < line.size(); ++i) {
    if ((uint8_t(line[i]) & 0xC0) == 0x80) continue;
    pad += line[i] == '\t' ? '\t' : ' ';
    ++seen;
  }
  out += fmt::format("  {}\n  {}^{}\n", line, pad, std::string(width > 1 ? width - 1 : 0, '~'));
  return out;
}

}  // namespace lode
