// Streaming RFC 4180 CSV reader: one record at a time, memory bounded by the longest record.
//
// Accepts quoted fields with "" escapes and embedded newlines, LF or CRLF line ends, and skips a UTF-8
// BOM. Blank lines are skipped (spreadsheets leave them at the end of files) and do not count as rows;
// so are records whose cells are all empty or spaces (",,,," lines).
// A record is at most kMaxRecordBytes long. A quote that is never closed spoils only its own line:
// the lines after it are read again as records (see next()).
#pragma once
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <istream>
#include <string>
#include <vector>

#include "runtime/record.h"

namespace lode::rt {

// Opens a data file for reading. False when it cannot be read or is a directory (which an ifstream
// opens, and whose first read then throws instead of saying what is wrong).
bool openDataFile(std::ifstream& f, const std::string& path);

class CsvReader {
 public:
  static constexpr size_t kMaxRecordBytes = size_t(1) << 20;  // 1 MiB: a longer record is an error


  explicit CsvReader(std::istream& in, std::string file = "");

  // Reads the next record into `cells`; false at end of input. A malformed record (unterminated
  // quote, wrong number of cells once expectCells() is set, longer than kMaxRecordBytes) is still
  // returned, with one RowError appended to `errs` (field ""). When a quoted field runs past the end
  // of its line and the record then goes wrong (the quote never closes, or the cell count is off),
  // the record is cut at that line break and the rest is read again as the next records.
  bool next(std::vector<std::string>& cells, std::vector<RowError>& errs);

  // Every later record must have exactly n cells (0 disables the check). Readers set it from the header.
  void expectCells(size_t n) { expected_ = n; }
  // Record number of the last record returned: 0 for the first (the header), data rows from 1.
  uint64_t row() const { return records_ == 0 ? 0 : records_ - 1; }
  // 1-based physical line on which the last record started.
  uint64_t line() const { return startLine_; }
  const std::string& file() const { return file_; }

 private:
  bool readRecord(std::vector<std::string>& cells, std::vector<RowError>& errs);
  int get();   // next byte: pushed-back text first, then the stream; recorded in raw_ while recording_
  int peek();
  void pushBack(std::string text);
  std::streambuf* buf_;
  std::string pending_;  // bytes given back by a recovery, read before the stream
  size_t pendingPos_ = 0;
  std::string raw_;      // the current record's bytes (up to kMaxRecordBytes + 1)
  bool recording_ = false, rawTruncated_ = false;
  bool onlyWrongCount_ = false;  // the last record's one problem is its number of cells
  std::string file_;
  size_t expected_ = 0;
  uint64_t records_ = 0;
  uint64_t lineNo_ = 1;
  uint64_t startLine_ = 0;
  bool bomChecked_ = false;
};

}  // namespace lode::rt
