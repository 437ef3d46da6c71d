#include "runtime/csv.h"

namespace lode::rt {

CsvReader::CsvReader(std::istream& in, std::string file) : buf_(in.rdbuf()), file_(std::move(file)) {}

int CsvReader::get() {
  if (!buf_) return EOF;
  return buf_->sbumpc();
}

bool CsvReader::next(std::vector<std::string>& cells, std::vector<RowError>& errs) {
  cells.clear();
  if (!bomChecked_) {
    bomChecked_ = true;
    // Only a complete BOM is skipped, so a file starting with other bytes loses nothing.
    if (buf_ && buf_->sgetc() == 0xEF) {
      buf_->sbumpc();
      if (buf_->sgetc() == 0xBB) {
        buf_->sbumpc();
        if (buf_->sgetc() == 0xBF) buf_->sbumpc();
      }
    }
  }
  int c = get();
  // Skip blank lines between records.
  while (c == '\n' || c == '\r') {
    if (c == '\n') ++lineNo_;
    c = get();
  }
  if (c == EOF) return false;
  startLine_ = lineNo_;
  ++records_;

  std::string cell;
  bool unterminated = false;
  for (;;) {
    if (c == '"' && cell.empty()) {
      // Quoted field: runs until a quote not followed by another quote.
      for (;;) {
        c = get();
        if (c == EOF) { unterminated = true; break; }
        if (c == '"') {
          if (buf_->sgetc() == '"') { buf_->sbumpc(); cell += '"'; continue; }
          c = get();
          break;
        }
        if (c == '\n') ++lineNo_;
        cell += static_cast<char>(c);
      }
      // Stray text after the closing quote is kept rather than lost; it is rare and harmless.
      while (c != EOF && c != ',' && c != '\n' && c != '\r') {
        cell += static_cast<char>(c);
        c = get();
      }
    } else {
      while (c != EOF && c != ',' && c != '\n' && c != '\r') {
        cell += static_cast<char>(c);
        c = get();
      }
    }
    cells.push_back(std::move(cell));
    cell.clear();
    if (c == ',') { c = get(); continue; }
    if (c == '\r' && buf_->sgetc() == '\n') buf_->sbumpc();
    if (c == '\n' || c == '\r') ++lineNo_;
    break;
  }

  if (unterminated) {
    errs.push_back({file_, row(), "", ErrCode::InvalidValue,
                    "unterminated quoted field starting on line " + std::to_string(startLine_)});
  } else if (expected_ != 0 && cells.size() != expected_) {
    errs.push_back({file_, row(), "", ErrCode::InvalidValue,
                    "expected " + std::to_string(expected_) + " cells, got " + std::to_string(cells.size())});
  }
  return true;
}

}  // namespace lode::rt
