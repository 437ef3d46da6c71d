#include "runtime/shipment_reader.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>
#include <utility>

#include "runtime/decimal.h"

namespace lode::rt {

namespace {

std::string_view trimView(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool isBareNumber(std::string_view s) {
  s = trimView(s);
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s.empty()) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || c == '.')) return false;
  return true;
}

// A JSON number as exact decimal text: JSON allows exponents ("1.5e3"), and the decimal point is
// moved in the text, so the value stays exact. Zero is zero whatever its exponent (0e-50). A value
// whose point lands more than kFarDigits away (1e41, 1e-50) is judged without writing its digits out
// (an exponent can have any number of digits): out of range, or more than 6 decimal places, the same
// verdicts parseCell gives, and `problem` says which; `text` then keeps the number as written.
struct JsonNumber {
  std::string text;
  ErrCode problem = ErrCode::Ok;
};

constexpr int64_t kFarDigits = 40;  // far outside the range (13 integer digits) and the 6 places

// The exponent's value, saturated: past a billion it only matters that it is far.
int64_t exponentValue(std::string_view e) {
  bool neg = !e.empty() && e[0] == '-';
  if (!e.empty() && (e[0] == '-' || e[0] == '+')) e.remove_prefix(1);
  int64_t v = 0;
  for (char c : e) v = std::min<int64_t>(v * 10 + (c - '0'), 1'000'000'000);
  return neg ? -v : v;
}

JsonNumber jsonNumber(const std::string& raw) {
  size_t e = raw.find_first_of("eE");
  if (e == std::string::npos) return {raw};
  std::string_view mant(raw.data(), e);
  bool neg = !mant.empty() && mant[0] == '-';
  if (neg) mant.remove_prefix(1);
  // The mantissa's digits, and how many of them stand before the point once the exponent is applied.
  std::string digits;
  int64_t point = -1;
  for (char c : mant) {
    if (c == '.') point = static_cast<int64_t>(digits.size());
    else digits += c;
  }
  if (point < 0) point = static_cast<int64_t>(digits.size());
  size_t lead = digits.find_first_not_of('0');
  if (lead == std::string::npos) return {"0"};
  digits.erase(0, lead);
  point -= static_cast<int64_t>(lead);
  point += exponentValue(std::string_view(raw).substr(e + 1));
  const int64_t size = static_cast<int64_t>(digits.size());
  if (size - point > kScale && (point > kFarDigits || point < -kFarDigits)) return {raw, ErrCode::InvalidValue};
  if (point > kFarDigits) return {raw, ErrCode::OutOfRange};
  std::string out = neg ? "-" : "";
  if (point <= 0) out += "0." + std::string(static_cast<size_t>(-point), '0') + digits;
  else if (point >= size) out += digits + std::string(static_cast<size_t>(point - size), '0');
  else out += digits.substr(0, static_cast<size_t>(point)) + "." + digits.substr(static_cast<size_t>(point));
  return {out};
}

std::string numberMessage(ErrCode problem, std::string_view num) {
  return problem == ErrCode::OutOfRange ? numberOutOfRangeMessage(num) : numberTooPreciseMessage(num);
}

// Flattens one JSON object into (dotted key, source text) pairs, keeping numbers as written.
struct FlatSax : nlohmann::json_sax<nlohmann::json> {
  struct Item {
    std::string key;
    std::string text;
    bool isNull = false;
    bool isArray = false;
    ErrCode problem = ErrCode::Ok;  // a number that cannot be a decimal (see jsonNumber)
  };
  std::vector<Item> items;
  std::vector<std::string> path;  // enclosing object keys
  std::string pendingKey;
  int depth = 0;       // object nesting outside arrays
  int skipDepth = 0;   // >0 while inside an array (its contents are not fields)
  bool notObject = false;
  std::string error;

  std::string fullKey() const {
    std::string k;
    for (const auto& p : path) k += p + ".";
    return k + pendingKey;
  }
  bool scalar(std::string text, bool isNull = false, ErrCode problem = ErrCode::Ok) {
    if (skipDepth > 0) return true;
    if (depth == 0) { notObject = true; return false; }
    items.push_back({fullKey(), std::move(text), isNull, false, problem});
    return true;
  }
  bool null() override { return scalar("", true); }
  bool boolean(bool v) override { return scalar(v ? "true" : "false"); }
  bool number_integer(number_integer_t v) override { return scalar(std::to_string(v)); }
  bool number_unsigned(number_unsigned_t v) override { return scalar(std::to_string(v)); }
  // The binary value is deliberately ignored: only the source text is exact.
  bool number_float(number_float_t, const string_t& s) override {
    JsonNumber n = jsonNumber(s);
    return scalar(std::move(n.text), false, n.problem);
  }
  bool string(string_t& s) override { return scalar(s); }
  bool binary(binary_t&) override { return scalar(""); }
  bool start_object(std::size_t) override {
    if (skipDepth > 0) { ++skipDepth; return true; }
    if (depth > 0) path.push_back(pendingKey);
    ++depth;
    return true;
  }
  bool key(string_t& k) override {
    if (skipDepth == 0) pendingKey = k;
    return true;
  }
  bool end_object() override {
    if (skipDepth > 0) { --skipDepth; return true; }
    --depth;
    if (!path.empty() && depth > 0) path.pop_back();
    return true;
  }
  bool start_array(std::size_t) override {
    if (skipDepth == 0) {
      if (depth == 0) { notObject = true; return false; }
      items.push_back({fullKey(), "", false, true});
    }
    ++skipDepth;
    return true;
  }
  bool end_array() override {
    --skipDepth;
    return true;
  }
  bool parse_error(std::size_t, const std::string& token, const nlohmann::detail::exception& ex) override {
    error = ex.what();
    // A number past a double's range (`1e400`) ends the parse in the lexer, before number_float can
    // see its text; it is still a number out of range, not malformed JSON: say so, naming its field.
    if (ex.id == 406 && depth > 0 && skipDepth == 0) tooLarge = {fullKey(), token};
    return false;
  }
  std::optional<std::pair<std::string, std::string>> tooLarge;  // (key, number) that stopped the parse
};

}  // namespace

RecordReader::RecordReader(const Schema& schema, ReaderOptions opts) : schema_(schema), opts_(opts) {}
RecordReader::~RecordReader() = default;

bool RecordReader::open(const std::string& path, RecordFormat fmt, RowError& err) {
  auto f = std::make_unique<std::ifstream>();
  if (!openDataFile(*f, path)) {
    err = {path, 0, "", ErrCode::InvalidValue, "cannot open '" + path + "'"};
    return false;
  }
  if (fmt == RecordFormat::Auto) {
    auto endsWith = [&](std::string_view suf) {
      return path.size() >= suf.size() && path.compare(path.size() - suf.size(), suf.size(), suf) == 0;
    };
    fmt = endsWith(".jsonl") || endsWith(".ndjson") ? RecordFormat::Jsonl : RecordFormat::Csv;
  }
  owned_ = std::move(f);
  attach(*owned_, fmt, path);
  return true;
}

void RecordReader::attach(std::istream& in, RecordFormat fmt, std::string fileName) {
  in_ = &in;
  fmt_ = fmt == RecordFormat::Jsonl ? RecordFormat::Jsonl : RecordFormat::Csv;
  file_ = std::move(fileName);
  lineNo_ = 0;
  columns_.clear();
  missingColumns_.clear();
  if (fmt_ == RecordFormat::Csv) {
    csv_ = std::make_unique<CsvReader>(in, file_);
    readHeader();
  }
}

void RecordReader::warnUnknown(const std::string& name) {
  if (unknownSeen_.insert(name).second)
    warnings_.push_back({file_, 0, name, ErrCode::InvalidValue,
                         "unknown field '" + name + "' ignored"});
}

void RecordReader::readHeader() {
  std::vector<RowError> errs;
  if (!csv_->next(cells_, errs)) return;
  for (auto& e : errs) warnings_.push_back(std::move(e));
  std::vector<bool> seen(schema_.fields.size(), false);
  for (const std::string& raw : cells_) {
    Column col;
    std::string name(trimView(raw));
    size_t lb = name.find('[');
    if (lb != std::string::npos && name.back() == ']') {
      std::string unitText(trimView(std::string_view(name).substr(lb + 1, name.size() - lb - 2)));
      name = std::string(trimView(std::string_view(name).substr(0, lb)));
      col.unit = unitParse(unitText);
      if (!col.unit)
        warnings_.push_back({file_, 0, name, ErrCode::BadUnit, "unknown unit '" + unitText + "' in header"});
    }
    int f = schema_.find(name);
    if (f < 0) {
      warnUnknown(utf8Sanitize(name));
    } else if (seen[static_cast<size_t>(f)]) {
      warnings_.push_back({file_, 0, name, ErrCode::InvalidValue, "duplicate column '" + name + "' ignored"});
    } else {
      seen[static_cast<size_t>(f)] = true;
      col.field = f;
      if (col.unit && schema_.fields[static_cast<size_t>(f)].kind != FieldKind::Decimal) {
        warnings_.push_back({file_, 0, name, ErrCode::BadUnit, "unit on non-numeric column '" + name + "' ignored"});
        col.unit.reset();
      }
    }
    columns_.push_back(std::move(col));
  }
  for (size_t i = 0; i < schema_.fields.size(); ++i) {
    if (schema_.fields[i].required && !seen[i]) {
      missingColumns_.push_back(schema_.fields[i].name);
      warnings_.push_back({file_, 0, schema_.fields[i].name, ErrCode::MissingField,
                           "required column '" + schema_.fields[i].name + "' is missing"});
    }
  }
  csv_->expectCells(cells_.size());
}

void RecordReader::setCell(Record& rec, int field, std::string_view text, const std::optional<Unit>& unit,
                           std::vector<RowError>& errs) {
  const FieldSpec& spec = schema_.fields[static_cast<size_t>(field)];
  FieldValue& out = rec.values[static_cast<size_t>(field)];
  if (field == opts_.wildcardField && trimView(text) == "*") {
    out = FieldValue{true, 0, "*"};
    return;
  }
  RowError err{file_, rec.row, spec.name, ErrCode::InvalidValue, ""};
  bool ok;
  if (unit && isBareNumber(text)) {
    std::string withUnit = std::string(trimView(text)) + " " + unit->text;
    ok = parseCell(spec, withUnit, out, err, opts_.countries);
  } else {
    ok = parseCell(spec, text, out, err, opts_.countries);
  }
  if (!ok) errs.push_back(std::move(err));
}

void RecordReader::finishRow(Record& rec, std::vector<RowError>& errs, const std::vector<bool>& failed) {
  for (size_t i = 0; i < schema_.fields.size(); ++i) {
    const FieldSpec& spec = schema_.fields[i];
    if (spec.required && !rec.values[i].present && !failed[i])
      errs.push_back({file_, rec.row, spec.name, ErrCode::MissingField, "missing required field '" + spec.name + "'"});
  }
}

bool RecordReader::next(Record& rec, std::vector<RowError>& errs) {
  errs.clear();
  if (!in_) return false;
  return fmt_ == RecordFormat::Csv ? nextCsv(rec, errs) : nextJsonl(rec, errs);
}

bool RecordReader::nextCsv(Record& rec, std::vector<RowError>& errs) {
  if (columns_.empty()) return false;  // empty file: no header, no rows
  if (!csv_->next(cells_, errs)) return false;
  rec.row = csv_->row();
  rec.values.assign(schema_.fields.size(), FieldValue{});
  if (!errs.empty()) return true;  // misaligned cells would land in the wrong fields; parse nothing
  std::vector<bool> failed(schema_.fields.size(), false);
  for (size_t c = 0; c < cells_.size(); ++c) {
    const Column& col = columns_[c];
    if (col.field < 0) continue;
    size_t before = errs.size();
    setCell(rec, col.field, cells_[c], col.unit, errs);
    if (errs.size() != before) failed[static_cast<size_t>(col.field)] = true;
  }
  finishRow(rec, errs, failed);
  checkUnique(rec, errs);
  return true;
}

void RecordReader::checkUnique(Record& rec, std::vector<RowError>& errs) {
  if (opts_.uniqueField < 0) return;
  const FieldValue& v = rec.values[static_cast<size_t>(opts_.uniqueField)];
  if (!v.present) return;
  auto [it, fresh] = uniqueSeen_.try_emplace(v.s, rec.row);
  if (fresh) return;
  const std::string& name = schema_.fields[static_cast<size_t>(opts_.uniqueField)].name;
  errs.push_back({file_, rec.row, name, ErrCode::InvalidValue,
                  "duplicate " + name + " '" + v.s + "' (first on row " + std::to_string(it->second) + ")"});
}

bool RecordReader::readLine(bool& overlong) {
  line_.clear();
  overlong = false;
  std::streambuf* sb = in_->rdbuf();
  if (!sb) return false;
  int c = sb->sbumpc();
  if (c == EOF) return false;
  for (; c != EOF && c != '\n'; c = sb->sbumpc()) {
    if (line_.size() >= kMaxLineBytes) overlong = true;  // read on to the end of the line, keep nothing more
    else line_ += static_cast<char>(c);
  }
  return true;
}

bool RecordReader::nextJsonl(Record& rec, std::vector<RowError>& errs) {
  bool overlong = false;
  for (;;) {
    if (!readLine(overlong)) return false;
    ++lineNo_;
    if (lineNo_ == 1 && line_.size() >= 3 && line_.compare(0, 3, "\xEF\xBB\xBF") == 0) line_.erase(0, 3);
    if (overlong || !trimView(line_).empty()) break;
  }
  rec.row = lineNo_;
  rec.values.assign(schema_.fields.size(), FieldValue{});
  if (overlong) {
    errs.push_back({file_, rec.row, "", ErrCode::InvalidValue,
                    "line longer than " + std::to_string(kMaxLineBytes) + " bytes (the limit); it is not read"});
    return true;
  }
  FlatSax sax;
  bool parsed = false;
  try {
    parsed = nlohmann::json::sax_parse(line_, &sax);
  } catch (const std::exception& ex) {
    sax.error = ex.what();
  }
  if (!parsed && sax.tooLarge && schema_.find(sax.tooLarge->first) >= 0) {
    const auto& [key, number] = *sax.tooLarge;
    errs.push_back({file_, rec.row, utf8Sanitize(key), ErrCode::OutOfRange, utf8Sanitize(numberOutOfRangeMessage(number))});
    return true;
  }
  if (!parsed) {
    std::string msg = sax.notObject ? "expected one JSON object per line"
                                    : "malformed JSON: " + (sax.error.empty() ? std::string("parse error") : sax.error);
    // The parser quotes the input it choked on, which may be anything: keep the message UTF-8.
    errs.push_back({file_, rec.row, "", ErrCode::InvalidValue, utf8Sanitize(msg)});
    return true;
  }
  std::vector<bool> failed(schema_.fields.size(), false);
  std::vector<bool> given(schema_.fields.size(), false);
  static const std::optional<Unit> noUnit;
  for (const auto& item : sax.items) {
    int f = schema_.find(item.key);
    if (f < 0) { warnUnknown(utf8Sanitize(item.key)); continue; }
    size_t fi = static_cast<size_t>(f);
    if (given[fi]) {
      errs.push_back({file_, rec.row, item.key, ErrCode::InvalidValue, "field '" + item.key + "' given twice"});
      failed[fi] = true;
      continue;
    }
    given[fi] = true;
    if (item.isArray) {
      errs.push_back({file_, rec.row, item.key, ErrCode::InvalidValue, "expected a single value, got an array"});
      failed[fi] = true;
      continue;
    }
    if (item.isNull) continue;
    if (item.problem != ErrCode::Ok && schema_.fields[fi].kind == FieldKind::Decimal) {  // others keep the text
      errs.push_back({file_, rec.row, item.key, item.problem, numberMessage(item.problem, item.text)});
      failed[fi] = true;
      continue;
    }
    size_t before = errs.size();
    setCell(rec, f, item.text, noUnit, errs);
    if (errs.size() != before) failed[fi] = true;
  }
  finishRow(rec, errs, failed);
  checkUnique(rec, errs);
  return true;
}

std::vector<RowError> readTableCsv(std::istream& in, const std::string& fileName, const Schema& schema,
                                   const ReaderOptions& opts, std::string_view what,
                                   const std::function<void(Record&, std::vector<RowError>&)>& onRow,
                                   std::vector<RowError>* warnings) {
  RecordReader reader(schema, opts);
  reader.attach(in, RecordFormat::Csv, fileName);
  if (warnings)
    for (const auto& w : reader.warnings()) warnings->push_back(w);
  std::vector<RowError> errs;
  for (const auto& name : reader.missingColumns())
    errs.push_back({fileName, 0, name, ErrCode::MissingField,
                    std::string(what) + (what.empty() ? "" : ": ") + "required column '" + name + "' is missing"});
  if (!errs.empty()) return errs;
  Record rec;
  std::vector<RowError> rowErrs;
  while (reader.next(rec, rowErrs)) {
    if (!rowErrs.empty()) {
      for (auto& e : rowErrs) errs.push_back(std::move(e));
      continue;
    }
    onRow(rec, errs);
  }
  return errs;
}

}  // namespace lode::rt
