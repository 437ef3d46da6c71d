// Day-count conversions follow Howard Hinnant's "chrono-compatible low-level date algorithms"
// (days_from_civil / civil_from_days): eras of 400 years make the arithmetic branch-light and exact
// for the whole proleptic Gregorian calendar.
#include "runtime/date.h"

namespace lode::rt {

bool isLeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int daysInMonth(int y, int m) {
  static constexpr int kLen[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && isLeapYear(y) ? 29 : kLen[m - 1];
}

int32_t daysFromCivil(int y, int m, int d) {
  y -= m <= 2;  // years start in March so the leap day is the last day of the year
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * static_cast<unsigned>(m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int32_t>(doe) - 719468;
}

Ymd civilFromDays(int32_t z) {
  z += 719468;
  const int32_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  const int y = static_cast<int>(yoe) + era * 400 + (m <= 2);
  return {y, m, d};
}

std::optional<int32_t> dateParse(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  auto num = [&](size_t from, size_t len) -> int {
    int v = 0;
    for (size_t k = from; k < from + len; ++k) {
      if (s[k] < '0' || s[k] > '9') return -1;
      v = v * 10 + (s[k] - '0');
    }
    return v;
  };
  const int y = num(0, 4), m = num(5, 2), d = num(8, 2);
  if (y < 1 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return std::nullopt;
  return daysFromCivil(y, m, d);
}

std::string dateFormat(int32_t days) {
  const Ymd c = civilFromDays(days);
  std::string out;
  auto pad = [&](int v, int width) {
    std::string digits = std::to_string(v < 0 ? -v : v);
    if (v < 0) out += '-';
    out.append(digits.size() < static_cast<size_t>(width) ? width - digits.size() : 0, '0');
    out += digits;
  };
  pad(c.year, 4);
  out += '-';
  pad(c.month, 2);
  out += '-';
  pad(c.day, 2);
  return out;
}

int32_t dateAddMonths(int32_t days, int months) {
  const Ymd c = civilFromDays(days);
  // Count months from year 0 in 64 bits so large offsets do not overflow before we divide.
  const int64_t total = int64_t{c.year} * 12 + (c.month - 1) + months;
  const int64_t y = total >= 0 ? total / 12 : (total - 11) / 12;  // floor division
  const int m = static_cast<int>(total - y * 12) + 1;
  const int len = daysInMonth(static_cast<int>(y), m);
  return daysFromCivil(static_cast<int>(y), m, c.day < len ? c.day : len);
}

int32_t dateAddYears(int32_t days, int years) {
  // Feb 29 + 1 year clamps to Feb 28, the same rule as month arithmetic.
  const Ymd c = civilFromDays(days);
  const int y = c.year + years;
  const int len = daysInMonth(y, c.month);
  return daysFromCivil(y, c.month, c.day < len ? c.day : len);
}

int32_t dateMonthStart(int32_t days) {
  const Ymd c = civilFromDays(days);
  return days - (c.day - 1);
}

}  // namespace lode::rt
