#include "runtime/market.h"

#include <algorithm>
#include <fstream>
#include <numeric>
#include <tuple>

#include "runtime/csv.h"
#include "runtime/date.h"
#include "runtime/decimal.h"
#include "runtime/shipment_reader.h"

namespace lode::rt {

int MarketData::declare(const std::string& series) {
  auto [it, inserted] = handles_.try_emplace(series, static_cast<int>(series_.size()));
  if (inserted) series_.emplace_back();
  return it->second;
}

void MarketData::push(int h, int32_t date, int64_t raw, uint64_t row, uint32_t file) {
  Series& s = series_[static_cast<size_t>(h)];
  if (!s.dates.empty() && date <= s.dates.back()) s.sorted = false;
  s.dates.push_back(date);
  s.values.push_back(raw);
  s.rows.push_back(row);
  s.files.push_back(file);
}

void MarketData::add(const std::string& series, int32_t date, int64_t raw) { push(declare(series), date, raw, 0, 0); }

std::vector<RowError> MarketData::finalize() {
  std::vector<RowError> errs;
  for (auto& [name, h] : handles_) {
    Series& s = series_[static_cast<size_t>(h)];
    if (s.sorted) {
      // A service that loads a file a day does not index every series again each time.
      if (!s.indexed()) s.index();
      continue;
    }
    // Stable, so among equal dates the first loaded stays first and the later one is the duplicate.
    std::vector<size_t> order(s.dates.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return s.dates[a] < s.dates[b]; });
    Series out;
    for (size_t k : order) {
      if (!out.dates.empty() && out.dates.back() == s.dates[k]) {
        errs.push_back({files_[s.files[k]], s.rows[k], "date", ErrCode::InvalidValue,
                        "duplicate observation for '" + name + "' on " + dateFormat(s.dates[k])});
        continue;
      }
      out.dates.push_back(s.dates[k]);
      out.values.push_back(s.values[k]);
      out.rows.push_back(s.rows[k]);
      out.files.push_back(s.files[k]);
    }
    s = std::move(out);
    s.sorted = true;
    s.index();
  }
  return errs;
}

void MarketData::Series::index() {
  prefix.resize(values.size() + 1);
  prefix[0] = 0;
  for (size_t k = 0; k < values.size(); ++k) prefix[k + 1] = prefix[k] + values[k];
  byDay.clear();
  if (dates.empty()) return;
  // Only where the days between the first and the last observation are not many more than the
  // observations: two observations centuries apart keep the binary search.
  const size_t span = size_t(int64_t(dates.back()) - dates.front()) + 1;
  if (span > 8 * dates.size() + 4096) return;
  byDay.resize(span + 1);
  size_t k = 0;
  for (size_t day = 0; day <= span; ++day) {
    while (k < dates.size() && int64_t(dates[k]) - dates.front() < int64_t(day)) ++k;
    byDay[day] = uint32_t(k);
  }
}

std::vector<RowError> MarketData::loadCsv(std::istream& in, const std::string& fileName,
                                          const std::unordered_map<std::string, Unit>& units) {
  Schema schema;
  int fSeries = schema.add({"series", FieldKind::Text, {}, {}, true});
  int fDate = schema.add({"date", FieldKind::Date, {}, {}, true});
  // Raw text: the value's unit depends on the row's series, so it is parsed below.
  int fValue = schema.add({"value", FieldKind::Text, {}, {}, true});
  RecordReader reader(schema);
  reader.attach(in, RecordFormat::Csv, fileName);
  std::vector<RowError> errs;
  for (const auto& name : reader.missingColumns())
    errs.push_back({fileName, 0, name, ErrCode::MissingField, "required column '" + name + "' is missing"});
  if (!errs.empty()) return errs;

  uint32_t file = static_cast<uint32_t>(files_.size());
  files_.push_back(fileName);
  Record rec;
  std::vector<RowError> rowErrs;
  while (reader.next(rec, rowErrs)) {
    const FieldValue& series = rec.values[static_cast<size_t>(fSeries)];
    auto unit = series.present ? units.find(series.s) : units.end();
    if (series.present && unit == units.end()) {
      ++skipped_;
      continue;
    }
    const FieldValue& text = rec.values[static_cast<size_t>(fValue)];
    if (series.present && text.present) {
      FieldSpec spec{"value", FieldKind::Decimal, unit->second, {}, true};
      FieldValue v;
      RowError err{fileName, rec.row, "value", ErrCode::InvalidValue, ""};
      if (!parseCell(spec, text.s, v, err)) {
        rowErrs.push_back(std::move(err));
      } else if (!unit->second.currency2.empty() && v.i <= 0) {
        // An exchange rate (USD/EUR) of zero or less turns every amount it converts into zero or a
        // credit: a data error, where a price of zero or less can be real (electricity, oil in 2020).
        err.message = "an exchange rate must be more than zero, got " + std::string(text.s);
        rowErrs.push_back(std::move(err));
      } else if (rowErrs.empty())
        push(declare(series.s), static_cast<int32_t>(rec.values[static_cast<size_t>(fDate)].i), v.i, rec.row, file);
    }
    for (auto& e : rowErrs) errs.push_back(std::move(e));
  }
  for (auto& e : finalize()) errs.push_back(std::move(e));
  // Duplicates are found once every row is read: in row order with the others, as a reader fixes them.
  std::stable_sort(errs.begin(), errs.end(), [](const RowError& a, const RowError& b) {
    return std::tie(a.file, a.row) < std::tie(b.file, b.row);
  });
  return errs;
}

std::vector<RowError> MarketData::loadCsvFile(const std::string& path,
                                              const std::unordered_map<std::string, Unit>& units) {
  std::ifstream in;
  if (!openDataFile(in, path)) return {{path, 0, "", ErrCode::InvalidValue, "cannot open '" + path + "'"}};
  return loadCsv(in, path, units);
}

int MarketData::handle(const std::string& series) const {
  auto it = handles_.find(series);
  return it == handles_.end() ? -1 : it->second;
}

size_t MarketData::count(int h) const {
  return h < 0 || static_cast<size_t>(h) >= series_.size() ? 0 : series_[static_cast<size_t>(h)].dates.size();
}

bool MarketData::window(int h, int32_t from, int32_t to, size_t* lo, size_t* hi) const {
  if (h < 0 || static_cast<size_t>(h) >= series_.size() || from > to) return false;
  const Series& s = series_[static_cast<size_t>(h)];
  if (s.indexed() && !s.byDay.empty()) {
    *lo = s.firstAtOrAfter(from);
    *hi = s.firstAtOrAfter(int64_t(to) + 1);
  } else {
    const auto& d = s.dates;
    *lo = static_cast<size_t>(std::lower_bound(d.begin(), d.end(), from) - d.begin());
    *hi = static_cast<size_t>(std::upper_bound(d.begin(), d.end(), to) - d.begin());
  }
  return *lo < *hi;
}

ErrCode MarketData::avg(int h, int32_t from, int32_t to, int64_t* out) const {
  size_t lo, hi;
  if (!window(h, from, to, &lo, &hi)) return ErrCode::MissingObservation;
  const Series& s = series_[static_cast<size_t>(h)];
  // The window's sum from the prefix sums (finalize), in 128 bits, so no window overflows before the
  // division brings it back in range; observations added since are summed one by one.
  __int128 sum = 0;
  if (s.indexed()) sum = s.prefix[hi] - s.prefix[lo];
  else
    for (size_t k = lo; k < hi; ++k) sum += s.values[k];
  const int64_t count = static_cast<int64_t>(hi - lo);
  if (sum >= INT64_MIN && sum <= INT64_MAX) {  // a 128-bit division is a library call
    *out = detail::divHalfEven<int64_t>(static_cast<int64_t>(sum), count);
    return ErrCode::Ok;
  }
  const __int128 n = count;
  __int128 q = sum / n, r = sum % n;
  if (r < 0) q -= 1, r += n;  // floor division, so the half-even test below sees a non-negative remainder
  if (2 * r > n || (2 * r == n && (q & 1) != 0)) q += 1;
  *out = static_cast<int64_t>(q);  // a mean lies between min and max, so it fits
  return ErrCode::Ok;
}

ErrCode MarketData::min(int h, int32_t from, int32_t to, int64_t* out) const {
  size_t lo, hi;
  if (!window(h, from, to, &lo, &hi)) return ErrCode::MissingObservation;
  const auto& v = series_[static_cast<size_t>(h)].values;
  *out = *std::min_element(v.begin() + static_cast<ptrdiff_t>(lo), v.begin() + static_cast<ptrdiff_t>(hi));
  return ErrCode::Ok;
}

ErrCode MarketData::max(int h, int32_t from, int32_t to, int64_t* out) const {
  size_t lo, hi;
  if (!window(h, from, to, &lo, &hi)) return ErrCode::MissingObservation;
  const auto& v = series_[static_cast<size_t>(h)].values;
  *out = *std::max_element(v.begin() + static_cast<ptrdiff_t>(lo), v.begin() + static_cast<ptrdiff_t>(hi));
  return ErrCode::Ok;
}

ErrCode MarketData::latest(int h, int32_t onOrBefore, int32_t notBefore, int64_t* out) const {
  size_t lo, hi;
  if (!window(h, notBefore, onOrBefore, &lo, &hi)) return ErrCode::MissingObservation;
  *out = series_[static_cast<size_t>(h)].values[hi - 1];
  return ErrCode::Ok;
}

ErrCode MarketData::avg(const std::string& s, int32_t from, int32_t to, int64_t* out) const { return avg(handle(s), from, to, out); }
ErrCode MarketData::min(const std::string& s, int32_t from, int32_t to, int64_t* out) const { return min(handle(s), from, to, out); }
ErrCode MarketData::max(const std::string& s, int32_t from, int32_t to, int64_t* out) const { return max(handle(s), from, to, out); }
ErrCode MarketData::latest(const std::string& s, int32_t onOrBefore, int32_t notBefore, int64_t* out) const {
  return latest(handle(s), onOrBefore, notBefore, out);
}

}  // namespace lode::rt
