#include <doctest/doctest.h>

#include <sstream>

#include "runtime/csv.h"

using namespace lode::rt;

namespace {
std::vector<std::vector<std::string>> readAll(const std::string& text, std::vector<RowError>* errsOut = nullptr,
                                              bool expectFromHeader = false) {
  std::istringstream in(text);
  CsvReader r(in, "t.csv");
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> cells;
  std::vector<RowError> errs;
  while (r.next(cells, errs)) {
    if (expectFromHeader && rows.empty()) r.expectCells(cells.size());
    rows.push_back(cells);
  }
  if (errsOut) *errsOut = errs;
  return rows;
}
}  // namespace

TEST_CASE("csv: plain and quoted fields") {
  auto rows = readAll("a,b,c\n1,\"x, y\",\"say \"\"hi\"\"\"\n");
  REQUIRE(rows.size() == 2);
  CHECK(rows[1] == std::vector<std::string>{"1", "x, y", "say \"hi\""});
}

TEST_CASE("csv: CRLF, BOM, embedded newline, empty cells, no final newline") {
  auto rows = readAll("\xEF\xBB\xBFid,note\r\n1,\"two\r\nlines\"\r\n2,\r\n3,last");
  REQUIRE(rows.size() == 4);
  CHECK(rows[0][0] == "id");
  CHECK(rows[1][1] == "two\r\nlines");
  CHECK(rows[2] == std::vector<std::string>{"2", ""});
  CHECK(rows[3] == std::vector<std::string>{"3", "last"});
}

TEST_CASE("csv: blank lines are skipped and row numbers count records") {
  std::istringstream in("h\n\na\n\r\nb\n\n");
  CsvReader r(in);
  std::vector<std::string> cells;
  std::vector<RowError> errs;
  REQUIRE(r.next(cells, errs));
  CHECK(r.row() == 0);
  REQUIRE(r.next(cells, errs));
  CHECK(cells[0] == "a");
  CHECK(r.row() == 1);
  CHECK(r.line() == 3);
  REQUIRE(r.next(cells, errs));
  CHECK(cells[0] == "b");
  CHECK(r.row() == 2);
  CHECK_FALSE(r.next(cells, errs));
  CHECK(errs.empty());
}

TEST_CASE("csv: wrong cell count is reported and later rows still read") {
  std::vector<RowError> errs;
  auto rows = readAll("a,b\n1,2\n3\n4,5\n", &errs, true);
  REQUIRE(rows.size() == 4);
  REQUIRE(errs.size() == 1);
  CHECK(errs[0].row == 2);
  CHECK(errs[0].file == "t.csv");
  CHECK(errs[0].message.find("expected 2 cells, got 1") != std::string::npos);
  CHECK(rows[3] == std::vector<std::string>{"4", "5"});
}

TEST_CASE("csv: unterminated quote is an error") {
  std::vector<RowError> errs;
  auto rows = readAll("a\n\"open\n", &errs);
  REQUIRE(rows.size() == 2);
  REQUIRE(errs.size() == 1);
  CHECK(errs[0].code == ErrCode::InvalidValue);
}

// ---- malformed input: a missing closing quote, overlong records, blank records -------------------

TEST_CASE("csv: a quote that never closes spoils only its own line") {
  std::vector<RowError> errs;
  auto rows = readAll("a,b\n1,\"open\n2,x\n3,y\n", &errs, true);
  REQUIRE(rows.size() == 4);
  CHECK(rows[1] == std::vector<std::string>{"1", "open"});
  CHECK(rows[2] == std::vector<std::string>{"2", "x"});
  CHECK(rows[3] == std::vector<std::string>{"3", "y"});
  REQUIRE(errs.size() == 1);
  CHECK(errs[0].row == 1);
  CHECK(errs[0].message.find("does not close on that line") != std::string::npos);
}

TEST_CASE("csv: a quote closed by the next line's quote is cut back to its line") {
  // Without the recovery, rows 2 and 3 would vanish inside one cell of row 1.
  std::istringstream in("a,b,c\n1,\"open,z\n2,x,z\n3,\"q\",z\n");
  CsvReader r(in, "t.csv");
  std::vector<std::string> cells;
  std::vector<RowError> errs;
  REQUIRE(r.next(cells, errs));
  r.expectCells(cells.size());
  std::vector<std::vector<std::string>> rows;
  std::vector<uint64_t> lines;
  while (r.next(cells, errs)) rows.push_back(cells), lines.push_back(r.line());
  REQUIRE(rows.size() == 3);
  CHECK(rows[0] == std::vector<std::string>{"1", "open,z"});
  CHECK(rows[1] == std::vector<std::string>{"2", "x", "z"});
  CHECK(rows[2] == std::vector<std::string>{"3", "q", "z"});
  CHECK(lines == std::vector<uint64_t>{2, 3, 4});
  REQUIRE(errs.size() == 1);
  CHECK(errs[0].row == 1);
}

TEST_CASE("csv: a quoted cell with a line break and the right cell count is still one cell") {
  std::vector<RowError> errs;
  auto rows = readAll("a,b\n1,\"two\nlines\"\n2,x\n", &errs, true);
  REQUIRE(rows.size() == 3);
  CHECK(rows[1] == std::vector<std::string>{"1", "two\nlines"});
  CHECK(errs.empty());
}

TEST_CASE("csv: a record over the size limit is an error and the next one is read") {
  std::string big(CsvReader::kMaxRecordBytes + 10, 'x');
  std::vector<RowError> errs;
  auto rows = readAll("a,b\n1," + big + "\n2,y\n", &errs, true);
  REQUIRE(rows.size() == 3);
  CHECK(rows[1][1].size() <= CsvReader::kMaxRecordBytes);
  CHECK(rows[2] == std::vector<std::string>{"2", "y"});
  REQUIRE(errs.size() == 1);
  CHECK(errs[0].row == 1);
  CHECK(errs[0].message.find("longer than") != std::string::npos);
}

TEST_CASE("csv: a quoted cell over the size limit does not swallow the file") {
  std::string big(CsvReader::kMaxRecordBytes + 10, 'x');
  std::vector<RowError> errs;
  auto rows = readAll("a,b\n1,\"" + big + "\n2,y\n", &errs, true);
  REQUIRE(rows.size() == 3);
  CHECK(rows[2] == std::vector<std::string>{"2", "y"});
  CHECK(errs.size() == 1);
}

TEST_CASE("csv: records of spaces or empty cells are blank lines") {
  std::vector<RowError> errs;
  auto rows = readAll("a,b\n1,x\n   \n,\n , \n,,,\n2,y\n", &errs, true);
  REQUIRE(rows.size() == 3);
  CHECK(rows[2] == std::vector<std::string>{"2", "y"});
  CHECK(errs.empty());
}
