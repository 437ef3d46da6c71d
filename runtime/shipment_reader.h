// Reads typed Records (shipments, registry rows) from CSV or JSON Lines, one at a time.
//
// Bad rows do not stop the stream: next() returns the row with one RowError per bad field so the caller
// can report it and carry on. Numbers are taken from their source text, never through binary floating
// point, so "0.1" stays exactly 0.1.
#pragma once
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "runtime/csv.h"
#include "runtime/record.h"

namespace lode::rt {

enum class RecordFormat : uint8_t { Auto, Csv, Jsonl };

struct ReaderOptions {
  const std::vector<std::string>* countries = nullptr;  // valid alpha-2 codes; null = any AA
  // A cell "*" in this field is kept verbatim (s = "*") instead of being parsed: the registry
  // all-others key, which would otherwise fail as a country or enum value.
  int wildcardField = -1;
  // A value of this field may appear in one row only (shipments: `id`, the declaration id): a later
  // row with the same value is a row error naming the first. The reader keeps every value it has
  // seen, so its memory grows with the number of distinct values.
  int uniqueField = -1;
};

class RecordReader {
 public:
  static constexpr size_t kMaxLineBytes = CsvReader::kMaxRecordBytes;  // JSON Lines: per line

  explicit RecordReader(const Schema& schema, ReaderOptions opts = {});
  ~RecordReader();
  RecordReader(const RecordReader&) = delete;
  RecordReader& operator=(const RecordReader&) = delete;

  // Opens a file; Auto picks Jsonl for .jsonl/.ndjson and Csv otherwise. False (err filled) if unreadable.
  bool open(const std::string& path, RecordFormat fmt, RowError& err);
  // Reads from a caller-owned stream that must outlive the reader.
  void attach(std::istream& in, RecordFormat fmt, std::string fileName);

  // Next record; false at end. `errs` is cleared first, then filled for a bad row (rec still returned).
  bool next(Record& rec, std::vector<RowError>& errs);

  // Unknown columns/keys (reported once each) and header problems; do not reject rows.
  const std::vector<RowError>& warnings() const { return warnings_; }
  // CSV: required schema fields without a header column (known right after open/attach).
  const std::vector<std::string>& missingColumns() const { return missingColumns_; }
  const std::string& fileName() const { return file_; }

 private:
  struct Column {
    int field = -1;                 // schema index, -1 = ignored
    std::optional<Unit> unit;       // from a "name[unit]" header; applies to bare numbers
  };
  void readHeader();
  bool nextCsv(Record& rec, std::vector<RowError>& errs);
  bool nextJsonl(Record& rec, std::vector<RowError>& errs);
  bool readLine(bool& overlong);  // one JSON Lines line into line_, at most kMaxLineBytes kept
  void checkUnique(Record& rec, std::vector<RowError>& errs);
  void setCell(Record& rec, int field, std::string_view text, const std::optional<Unit>& unit,
               std::vector<RowError>& errs);
  void finishRow(Record& rec, std::vector<RowError>& errs, const std::vector<bool>& failed);
  void warnUnknown(const std::string& name);

  const Schema& schema_;
  ReaderOptions opts_;
  RecordFormat fmt_ = RecordFormat::Csv;
  std::unique_ptr<std::ifstream> owned_;
  std::istream* in_ = nullptr;
  std::unique_ptr<CsvReader> csv_;
  std::string file_;
  std::vector<Column> columns_;
  std::vector<std::string> cells_;
  std::string line_;
  uint64_t lineNo_ = 0;
  std::vector<RowError> warnings_;
  std::vector<std::string> missingColumns_;
  std::unordered_set<std::string> unknownSeen_;
  std::unordered_map<std::string, uint64_t> uniqueSeen_;  // uniqueField value -> first row
};

// Reads a reference table (registry, ownership, quota state) from CSV: a required column missing from
// the header rejects the file (one error per column, prefixed by `what`); a row with bad cells is
// reported and skipped; every good row goes to `onRow`, which may report it too. Header warnings
// (unknown columns) go to `warnings` when given.
std::vector<RowError> readTableCsv(std::istream& in, const std::string& fileName, const Schema& schema,
                                   const ReaderOptions& opts, std::string_view what,
                                   const std::function<void(Record&, std::vector<RowError>&)>& onRow,
                                   std::vector<RowError>* warnings = nullptr);

}  // namespace lode::rt
