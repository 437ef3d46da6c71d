#include <doctest/doctest.h>

#include <sstream>

#include "runtime/decimal.h"
#include "runtime/shipment_reader.h"

using namespace lode::rt;

namespace {
Schema shipmentSchema() {
  Schema s;
  s.add({"id", FieldKind::Text, {}, {}, true});
  s.add({"origin", FieldKind::Country, {}, {}, true});
  s.add({"quantity", FieldKind::Decimal, *unitParse("t"), {}, true});
  s.add({"price", FieldKind::Decimal, unitNone(), {}, false});
  s.add({"contained.Ni", FieldKind::Decimal, *unitParse("t"), {}, false});
  return s;
}
struct Row {
  Record rec;
  std::vector<RowError> errs;
};
std::vector<Row> readAll(RecordReader& r) {
  std::vector<Row> rows;
  Row row;
  while (r.next(row.rec, row.errs)) rows.push_back(row);
  return rows;
}
}  // namespace

TEST_CASE("csv shipments: header mapping, units, bad rows keep the others") {
  Schema s = shipmentSchema();
  std::vector<std::string> countries{"CN", "AU", "ID"};
  std::istringstream in(
      "id,quantity[t],origin,colour\n"
      "S1,20,CN,red\n"
      "S2,1500 kg,XX,blue\n"
      "S3,,AU,green\n"
      "S4,3 USD,ID,\n"
      "S5,0.25,AU,x\n");
  RecordReader r(s, ReaderOptions{&countries, -1});
  r.attach(in, RecordFormat::Csv, "ship.csv");
  CHECK(r.missingColumns().empty());
  auto rows = readAll(r);
  REQUIRE(rows.size() == 5);

  CHECK(rows[0].errs.empty());
  CHECK(rows[0].rec.row == 1);
  CHECK(rows[0].rec.values[0].s == "S1");
  CHECK(rows[0].rec.values[2].i == decFromInt(20));
  CHECK_FALSE(rows[0].rec.values[3].present);

  REQUIRE(rows[1].errs.size() == 1);
  CHECK(rows[1].errs[0].field == "origin");
  CHECK(rows[1].errs[0].row == 2);
  CHECK(rows[1].errs[0].file == "ship.csv");
  CHECK(rows[1].errs[0].message == "unknown country 'XX'");
  CHECK(rows[1].rec.values[2].i == 1'500'000);

  REQUIRE(rows[2].errs.size() == 1);
  CHECK(rows[2].errs[0].code == ErrCode::MissingField);
  CHECK(rows[2].errs[0].field == "quantity");

  REQUIRE(rows[3].errs.size() == 1);
  CHECK(rows[3].errs[0].code == ErrCode::BadUnit);

  CHECK(rows[4].errs.empty());
  CHECK(rows[4].rec.values[2].i == 250'000);

  REQUIRE(r.warnings().size() == 1);
  CHECK(r.warnings()[0].field == "colour");
}

TEST_CASE("csv shipments: missing required column and wrong cell count") {
  Schema s = shipmentSchema();
  std::istringstream in("id,quantity\nS1,2 t\nS2,3 t,extra\n");
  RecordReader r(s);
  r.attach(in, RecordFormat::Csv, "x.csv");
  REQUIRE(r.missingColumns() == std::vector<std::string>{"origin"});
  auto rows = readAll(r);
  REQUIRE(rows.size() == 2);
  REQUIRE(rows[0].errs.size() == 1);
  CHECK(rows[0].errs[0].code == ErrCode::MissingField);
  REQUIRE(rows[1].errs.size() == 1);
  CHECK(rows[1].errs[0].field == "");
}

TEST_CASE("jsonl shipments: exact numbers, nesting, blank lines, bad lines") {
  Schema s = shipmentSchema();
  std::istringstream in(
      "{\"id\": \"S1\", \"origin\": \"CN\", \"quantity\": \"20 t\", \"price\": 0.1}\n"
      "\n"
      "{\"id\": \"S2\", \"origin\": \"AU\", \"quantity\": \"1 t\", \"price\": 123456789.123456,"
      " \"contained\": {\"Ni\": \"22 kg\"}, \"note\": [1, 2]}\r\n"
      "{\"id\": \"S3\", \"origin\": \"AU\", \"quantity\": \"1 t\", \"price\": 1.5e3}\n"
      "{\"id\": \"S4\", \"origin\": \n"
      "{\"id\": \"S5\", \"origin\": \"AU\", \"price\": 12}\n"
      "[1, 2]\n"
      "{\"id\": \"S7\", \"origin\": \"AU\", \"quantity\": 5}\n");
  RecordReader r(s);
  r.attach(in, RecordFormat::Jsonl, "ship.jsonl");
  auto rows = readAll(r);
  REQUIRE(rows.size() == 7);

  CHECK(rows[0].errs.empty());
  CHECK(rows[0].rec.row == 1);
  CHECK(rows[0].rec.values[3].i == 100'000);  // 0.1 exactly

  CHECK(rows[1].errs.empty());
  CHECK(rows[1].rec.row == 3);
  CHECK(rows[1].rec.values[3].i == 123'456'789'123'456);
  CHECK(rows[1].rec.values[4].i == 22'000);  // 0.022 t

  CHECK(rows[2].errs.empty());
  CHECK(rows[2].rec.values[3].i == decFromInt(1500));

  REQUIRE(rows[3].errs.size() == 1);
  CHECK(rows[3].errs[0].row == 5);
  CHECK(rows[3].errs[0].field == "");
  CHECK(rows[3].errs[0].message.find("malformed JSON") == 0);

  REQUIRE(rows[4].errs.size() == 1);
  CHECK(rows[4].errs[0].code == ErrCode::MissingField);
  CHECK(rows[4].errs[0].field == "quantity");
  CHECK(rows[4].rec.values[3].i == decFromInt(12));

  REQUIRE(rows[5].errs.size() == 1);
  CHECK(rows[5].errs[0].message == "expected one JSON object per line");

  REQUIRE(rows[6].errs.size() == 1);
  CHECK(rows[6].errs[0].message == "missing unit (expected t)");

  REQUIRE(r.warnings().size() == 1);
  CHECK(r.warnings()[0].field == "note");
}

TEST_CASE("jsonl: too many fractional digits is rejected, not rounded") {
  Schema s = shipmentSchema();
  std::istringstream in("{\"id\": \"S1\", \"origin\": \"CN\", \"quantity\": \"1 t\", \"price\": 0.1234567}\n");
  RecordReader r(s);
  r.attach(in, RecordFormat::Jsonl, "p.jsonl");
  auto rows = readAll(r);
  REQUIRE(rows.size() == 1);
  REQUIRE(rows[0].errs.size() == 1);
  CHECK(rows[0].errs[0].field == "price");
  CHECK(rows[0].errs[0].code == ErrCode::InvalidValue);
}

TEST_CASE("open reports an unreadable file") {
  Schema s = shipmentSchema();
  RecordReader r(s);
  RowError err;
  CHECK_FALSE(r.open("/nonexistent/ship.csv", RecordFormat::Auto, err));
  CHECK(err.file == "/nonexistent/ship.csv");
}

TEST_CASE("a unique field: a repeated value is a row error naming the first row") {
  Schema s = shipmentSchema();
  ReaderOptions opts;
  opts.uniqueField = s.find("id");
  SUBCASE("csv") {
    std::istringstream in("id,quantity,origin\nS1,1 t,CN\nS2,1 t,CN\nS1,2 t,AU\n");
    RecordReader r(s, opts);
    r.attach(in, RecordFormat::Csv, "s.csv");
    auto rows = readAll(r);
    REQUIRE(rows.size() == 3);
    CHECK(rows[1].errs.empty());
    REQUIRE(rows[2].errs.size() == 1);
    CHECK(rows[2].errs[0].field == "id");
    CHECK(rows[2].errs[0].row == 3);
    CHECK(rows[2].errs[0].message == "duplicate id 'S1' (first on row 1)");
  }
  SUBCASE("jsonl") {
    std::istringstream in("{\"id\":\"S1\",\"quantity\":\"1 t\",\"origin\":\"CN\"}\n\n{\"id\":\"S1\",\"quantity\":\"1 t\",\"origin\":\"CN\"}\n");
    RecordReader r(s, opts);
    r.attach(in, RecordFormat::Jsonl, "s.jsonl");
    auto rows = readAll(r);
    REQUIRE(rows.size() == 2);
    REQUIRE(rows[1].errs.size() == 1);
    CHECK(rows[1].errs[0].message == "duplicate id 'S1' (first on row 1)");
  }
}

TEST_CASE("jsonl: an overlong line is one row error, and invalid UTF-8 never reaches a message") {
  Schema s = shipmentSchema();
  std::string big(RecordReader::kMaxLineBytes + 5, ' ');
  std::istringstream in("{\"id\":\"S1\",\"quantity\":\"1 t\",\"origin\":\"CN\"," + big + "}\n"
                        "{\"id\":\"S\xE9\",\"quantity\":\"1 t\",\"origin\":\"CN\"}\n"
                        "{\"id\":\"S3\",\"quantity\":\"1 t\",\"origin\":\"CN\"}\n");
  RecordReader r(s);
  r.attach(in, RecordFormat::Jsonl, "s.jsonl");
  auto rows = readAll(r);
  REQUIRE(rows.size() == 3);
  REQUIRE(rows[0].errs.size() == 1);
  CHECK(rows[0].errs[0].message.find("longer than") != std::string::npos);
  REQUIRE(rows[1].errs.size() == 1);
  CHECK(utf8Invalid(rows[1].errs[0].message) == std::string_view::npos);
  CHECK(rows[2].errs.empty());
}

TEST_CASE("jsonl: exponents far from the decimal point get the number's own error, zero is zero") {
  // Regression: past |exp| 40 the text was passed on as written, and "1e41" read as 1 with the unit
  // "e41" (E0011 unknown unit).
  Schema s;
  s.add({"share1", FieldKind::Decimal, *unitParse("%"), {}, false});
  s.add({"note", FieldKind::Text, {}, {}, false});
  std::istringstream in(
      "{\"share1\": 1e41}\n"
      "{\"share1\": 0e-50}\n"
      "{\"share1\": 1e-50}\n"
      "{\"share1\": -2.5E-99999999999999999999}\n"
      "{\"share1\": 0.0e99999999999999999999}\n"
      "{\"share1\": 0.00000000000000000000000000000000000000000000000000025e50}\n"
      "{\"share1\": 1.0000000000000000000000000000000000000000000000000000001e41}\n"
      "{\"share1\": 1e-7}\n"
      "{\"share1\": 1e13}\n"
      "{\"share1\": -25e-1}\n"
      "{\"note\": 1e41}\n"
      "{\"share1\": 1e-400}\n");
  RecordReader r(s);
  r.attach(in, RecordFormat::Jsonl, "e.jsonl");
  auto rows = readAll(r);
  REQUIRE(rows.size() == 12);
  auto one = [&](size_t i) -> const RowError& {
    REQUIRE(rows[i].errs.size() == 1);
    CHECK(rows[i].errs[0].field == "share1");
    return rows[i].errs[0];
  };
  CHECK(one(0).code == ErrCode::OutOfRange);
  CHECK(rows[0].errs[0].message.find("'1e41' is out of range") == 0);
  CHECK(rows[1].errs.empty());
  CHECK(rows[1].rec.values[0].present);
  CHECK(rows[1].rec.values[0].i == 0);
  CHECK(one(2).code == ErrCode::InvalidValue);
  CHECK(rows[2].errs[0].message == "'1e-50' has more than 6 decimal places");
  CHECK(one(3).code == ErrCode::InvalidValue);  // an exponent of any length
  CHECK(rows[3].errs[0].message == "'-2.5E-99999999999999999999' has more than 6 decimal places");
  CHECK(rows[4].errs.empty());
  CHECK(rows[4].rec.values[0].i == 0);
  CHECK(rows[5].errs.empty());  // 0.025: the leading zeros do not count as far
  CHECK(rows[5].rec.values[0].i == 25'000);
  CHECK(one(6).code == ErrCode::InvalidValue);  // out of range too, but the places are judged first, as in parseCell
  CHECK(one(7).code == ErrCode::InvalidValue);
  CHECK(rows[7].errs[0].message == "'0.0000001' has more than 6 decimal places");
  CHECK(one(8).code == ErrCode::OutOfRange);
  CHECK(rows[9].errs.empty());
  CHECK(rows[9].rec.values[0].i == -2'500'000);
  CHECK(rows[10].errs.empty());  // a text field keeps a far number as written
  CHECK(rows[10].rec.values[1].s == "1e41");
  CHECK(one(11).code == ErrCode::InvalidValue);
}

TEST_CASE("jsonl: a number past a double's range is out of range, naming its field, not malformed JSON") {
  // Regression: the JSON parser stops at 1e400 before its text reaches the reader, which reported
  // "malformed JSON" (E0009) for the whole row.
  Schema s;
  s.add({"grade", FieldKind::Decimal, *unitParse("%"), {}, false});
  std::istringstream in(
      "{\"id\": \"a\", \"grade\": 1e400}\n"
      "{\"nested\": {\"deep\": -1e400}}\n"
      "{\"grade\": 12}\n");
  RecordReader r(s);
  r.attach(in, RecordFormat::Jsonl, "big.jsonl");
  auto rows = readAll(r);
  REQUIRE(rows.size() == 3);
  REQUIRE(rows[0].errs.size() == 1);
  CHECK(rows[0].errs[0].code == ErrCode::OutOfRange);
  CHECK(rows[0].errs[0].field == "grade");
  CHECK(rows[0].errs[0].message.find("'1e400' is out of range") == 0);
  REQUIRE(rows[1].errs.size() == 1);  // a key the schema does not have: the row cannot be read on
  CHECK(rows[1].errs[0].code == ErrCode::InvalidValue);
  CHECK(rows[2].errs.empty());
  CHECK(rows[2].rec.values[0].i == 12'000'000);
}
