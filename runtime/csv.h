// Streaming RFC 4180 CSV reader: one record at a time, memory bounded by the longest record.
//
// Accepts quoted fields with "" escapes and embedded newlines, LF or CRLF line ends, and skips a UTF-8
// BOM. Blank lines are skipped (spreadsheets leave them at the end of files) and do not count as rows.
#pragma once
#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "runtime/record.h"

namespace lode::rt {

class CsvReader {
 public:
  explicit CsvReader(std::istream& in, std::string file = "");

  // Reads the next record into `cells`; false at end of input. A malformed record (unterminated
  // quote, wrong number of cells once expectCells() is set) is still returned, with one RowError
  // appended to `errs` (field "").
  bool next(std::vector<std::string>& cells, std::vector<RowError>& errs);

  // Every later record must have exactly n cells (0 disables the check). Readers set it from the header.
  void expectCells(size_t n) { expected_ = n; }
  // Record number of the last record returned: 0 for the first (the header), data rows from 1.
  uint64_t row() const { return records_ == 0 ? 0 : records_ - 1; }
  // 1-based physical line on which the last record started.
  uint64_t line() const { return startLine_; }
  const std::string& file() const { return file_; }

 private:
  int get();
  std::streambuf* buf_;
  std::string file_;
  size_t expected_ = 0;
  uint64_t records_ = 0;
  uint64_t lineNo_ = 1;
  uint64_t startLine_ = 0;
  bool bomChecked_ = false;
};

}  // namespace lode::rt
