// Market observations (series, date, value) and the window queries clauses use to price shipments.
//
// Series names are resolved to integer handles once, at compile/bind time, so evaluating a shipment does
// no string hashing. Values are raw decimals in the series' declared unit.
#pragma once
#include <cstdint>
#include <istream>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/record.h"

namespace lode::rt {

class MarketData {
 public:
  // Loads CSV with header series,date,value ("2800 USD/t"), converting each value exactly to the unit
  // declared for its series. Rows for undeclared series are skipped and counted. Good rows are kept;
  // bad rows (and duplicate dates, reported on the later row) are returned. Calls finalize().
  std::vector<RowError> loadCsv(std::istream& in, const std::string& fileName,
                                const std::unordered_map<std::string, Unit>& units);
  std::vector<RowError> loadCsvFile(const std::string& path, const std::unordered_map<std::string, Unit>& units);

  // Inline observations (agreement examples). Call finalize() before querying.
  void add(const std::string& series, int32_t date, int64_t raw);
  // Sorts observations by date and drops later duplicates of a date, reporting them.
  std::vector<RowError> finalize();

  // Handle for a series, creating it (empty) if new: lets the compiler bind before data is loaded.
  int declare(const std::string& series);
  // -1 when the series is unknown (queries on -1 report MissingObservation).
  int handle(const std::string& series) const;
  uint64_t skippedRows() const { return skipped_; }
  size_t count(int h) const;

  // Windows are inclusive day numbers [from, to]. MissingObservation when the window is empty.
  ErrCode avg(int h, int32_t from, int32_t to, int64_t* out) const;  // mean, half-even at scale 6
  ErrCode min(int h, int32_t from, int32_t to, int64_t* out) const;
  ErrCode max(int h, int32_t from, int32_t to, int64_t* out) const;
  // Most recent observation with notBefore <= date <= onOrBefore.
  ErrCode latest(int h, int32_t onOrBefore, int32_t notBefore, int64_t* out) const;

  ErrCode avg(const std::string& series, int32_t from, int32_t to, int64_t* out) const;
  ErrCode min(const std::string& series, int32_t from, int32_t to, int64_t* out) const;
  ErrCode max(const std::string& series, int32_t from, int32_t to, int64_t* out) const;
  ErrCode latest(const std::string& series, int32_t onOrBefore, int32_t notBefore, int64_t* out) const;

 private:
  // Columns kept apart so window scans touch only dates, then only the values in range.
  struct Series {
    std::vector<int32_t> dates;
    std::vector<int64_t> values;
    std::vector<uint64_t> rows;     // source row, for duplicate reports
    std::vector<uint32_t> files;    // index into files_
    // prefix[k] = values[0] + ... + values[k-1], exact: an average over a window is one subtraction
    // whatever its length (a 90-day window of a daily series is about 63 observations). Built by
    // finalize(); stale (shorter) after an add() until the next finalize().
    std::vector<__int128> prefix;
    // byDay[d] = the index of the first observation on or after dates.front() + d, for d from 0 to
    // one past the last date: a window's ends without a binary search (two of them cost more than the
    // rest of an average). Built by finalize() where the dates are not too sparse, else empty.
    std::vector<uint32_t> byDay;
    bool sorted = true;
    void index();  // prefix and byDay, once the dates are sorted and unique
    // Observations are only ever appended, and each append leaves the index shorter than the values.
    bool indexed() const { return prefix.size() == values.size() + 1; }
    size_t firstAtOrAfter(int64_t day) const {
      if (day <= dates.front()) return 0;
      const int64_t d = day - dates.front();
      return d >= int64_t(byDay.size()) ? dates.size() : byDay[size_t(d)];
    }
  };
  void push(int h, int32_t date, int64_t raw, uint64_t row, uint32_t file);
  bool window(int h, int32_t from, int32_t to, size_t* lo, size_t* hi) const;

  std::unordered_map<std::string, int> handles_;
  std::vector<Series> series_;
  std::vector<std::string> files_{""};
  uint64_t skipped_ = 0;
};

}  // namespace lode::rt
