#include "runtime/csv.h"

#include <filesystem>

namespace lode::rt {

bool openDataFile(std::ifstream& f, const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return false;
  f.open(path, std::ios::binary);
  return static_cast<bool>(f);
}

CsvReader::CsvReader(std::istream& in, std::string file) : buf_(in.rdbuf()), file_(std::move(file)) {}

int CsvReader::get() {
  int c;
  if (pendingPos_ < pending_.size()) {
    c = static_cast<unsigned char>(pending_[pendingPos_++]);
  } else {
    if (!pending_.empty()) pending_.clear(), pendingPos_ = 0;
    c = buf_ ? buf_->sbumpc() : EOF;
  }
  if (c != EOF && recording_) {
    if (raw_.size() <= kMaxRecordBytes) raw_ += static_cast<char>(c);
    else rawTruncated_ = true;
  }
  return c;
}

int CsvReader::peek() {
  if (pendingPos_ < pending_.size()) return static_cast<unsigned char>(pending_[pendingPos_]);
  return buf_ ? buf_->sgetc() : EOF;
}

void CsvReader::pushBack(std::string text) {
  pending_ = std::move(text) + pending_.substr(pendingPos_);
  pendingPos_ = 0;
}

bool CsvReader::next(std::vector<std::string>& cells, std::vector<RowError>& errs) {
  // A record with no data in any cell (a line of spaces, or of commas only, as spreadsheets leave
  // behind) is a blank line too: skipped, not counted. Nothing is lost, as it holds nothing.
  std::vector<RowError> mine;
  while (readRecord(cells, mine)) {
    bool blank = true;
    for (const std::string& c : cells)
      if (c.find_first_not_of(" \t") != std::string::npos) { blank = false; break; }
    if (blank && !mine.empty() && !onlyWrongCount_) blank = false;  // a broken quote or an overlong line is news
    if (!blank) {
      for (auto& e : mine) errs.push_back(std::move(e));
      return true;
    }
    mine.clear();
    --records_;
  }
  return false;
}

bool CsvReader::readRecord(std::vector<std::string>& cells, std::vector<RowError>& errs) {
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
  recording_ = false;
  int c = get();
  // Skip blank lines between records.
  while (c == '\n' || c == '\r') {
    if (c == '\n') ++lineNo_;
    c = get();
  }
  if (c == EOF) return false;
  startLine_ = lineNo_;
  ++records_;
  // The record's bytes as read, so that a quote that never closes can give back the lines after it.
  raw_.assign(1, static_cast<char>(c));
  rawTruncated_ = false;
  recording_ = true;

  std::string cell;
  bool unterminated = false, overlong = false, stray = false;
  size_t nlCell = std::string::npos, nlRaw = 0;  // first line break inside quotes: its cell and raw offset
  uint64_t nlLine = 0, quoteLine = 0;
  auto add = [&](int ch) {
    if (raw_.size() > kMaxRecordBytes) overlong = true;
    else cell += static_cast<char>(ch);
  };
  for (;;) {
    if (c == '"' && cell.empty()) {
      // Quoted field: runs until a quote not followed by another quote.
      uint64_t openLine = lineNo_;
      for (;;) {
        c = get();
        if (c == EOF) { unterminated = true; break; }
        if (c == '"') {
          if (peek() == '"') { get(); cell += '"'; continue; }
          c = get();
          break;
        }
        if (c == '\n') {
          ++lineNo_;
          if (nlCell == std::string::npos) nlCell = cells.size(), nlRaw = raw_.size(), nlLine = lineNo_, quoteLine = openLine;
        }
        if (raw_.size() > kMaxRecordBytes) { overlong = unterminated = true; break; }
        cell += static_cast<char>(c);
      }
      if (unterminated) {
        if (overlong && nlCell == std::string::npos) {  // one enormous line: drop the rest of it
          while (c != EOF && c != '\n') c = get();
          if (c == '\n') ++lineNo_;
        }
        cells.push_back(std::move(cell));
        break;
      }
      // Stray text after the closing quote is kept rather than lost; it is rare and harmless (but
      // after a quoted line break it means the quote that closed was another cell's opening one).
      while (c != EOF && c != ',' && c != '\n' && c != '\r') {
        if (nlCell != std::string::npos) stray = true;
        add(c);
        c = get();
      }
    } else {
      while (c != EOF && c != ',' && c != '\n' && c != '\r') {
        add(c);
        c = get();
      }
    }
    cells.push_back(std::move(cell));
    cell.clear();
    if (c == ',') { c = get(); continue; }
    if (c == '\r' && peek() == '\n') get();
    if (c == '\n' || c == '\r') ++lineNo_;
    break;
  }
  recording_ = false;

  // A quote that opens a field and does not close on its line is almost always a missing closing
  // quote, not a cell with a line break: when the record then ends badly (no closing quote at all,
  // text after a closing quote, or the wrong number of cells), only the line the quote opened on is
  // the bad row, and the lines after it are read again as rows of their own. Nothing after the
  // mistake is lost.
  bool wrongCount = expected_ != 0 && cells.size() != expected_;
  onlyWrongCount_ = wrongCount && !unterminated && !overlong;
  bool more = nlCell != std::string::npos && raw_.find_first_not_of("\r\n", nlRaw) != std::string::npos;
  if (more && (unterminated || wrongCount || stray) && !rawTruncated_) {
    pushBack(raw_.substr(nlRaw));
    lineNo_ = nlLine;
    cells.resize(nlCell + 1);
    std::string& cut = cells[nlCell];
    cut.resize(cut.find('\n'));
    if (!cut.empty() && cut.back() == '\r') cut.pop_back();
    errs.push_back({file_, row(), "", ErrCode::InvalidValue,
                    "the quoted field starting on line " + std::to_string(quoteLine) +
                        " does not close on that line (a closing quote is missing?); the lines after it are read as rows"});
  } else if (overlong) {
    errs.push_back({file_, row(), "", ErrCode::InvalidValue,
                    "row longer than " + std::to_string(kMaxRecordBytes) + " bytes (the limit); its cells are not read"});
  } else if (unterminated) {
    errs.push_back({file_, row(), "", ErrCode::InvalidValue,
                    "unterminated quoted field starting on line " + std::to_string(startLine_)});
  } else if (wrongCount) {
    errs.push_back({file_, row(), "", ErrCode::InvalidValue,
                    "expected " + std::to_string(expected_) + " cells, got " + std::to_string(cells.size())});
  }
  if (raw_.capacity() > 4 * 4096) std::string().swap(raw_);  // one long record must not pin its memory
  return true;
}

}  // namespace lode::rt
