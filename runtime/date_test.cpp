#include <doctest/doctest.h>

#include "runtime/date.h"

using namespace lode::rt;

namespace {
int32_t d(const char* text) { return dateParse(text).value(); }
}  // namespace

TEST_CASE("date: epoch and known days") {
  CHECK(daysFromCivil(1970, 1, 1) == 0);
  CHECK(daysFromCivil(1969, 12, 31) == -1);
  CHECK(daysFromCivil(2000, 3, 1) == 11017);
  CHECK(daysFromCivil(1, 1, 1) == kMinDate);
  CHECK(daysFromCivil(9999, 12, 31) == kMaxDate);
  CHECK(dateFormat(kMinDate) == "0001-01-01");
  CHECK(dateFormat(kMaxDate) == "9999-12-31");
  CHECK(dateInRange(kMinDate));
  CHECK(!dateInRange(kMinDate - 1));
  CHECK(!dateInRange(kMaxDate + 1));
  Ymd c = civilFromDays(19782);  // 2024-02-29
  CHECK(c.year == 2024);
  CHECK(c.month == 2);
  CHECK(c.day == 29);
}

TEST_CASE("date: round trip over the whole supported range") {
  // Walking day by day cross-checks both algorithms against simple calendar counting.
  int y = 1, m = 1, day = 1;
  int failures = 0;
  for (int32_t n = kMinDate; n <= kMaxDate && failures < 10; ++n) {
    Ymd c = civilFromDays(n);
    bool ok = c.year == y && c.month == m && c.day == day && daysFromCivil(y, m, day) == n;
    if (n % 997 == 0 || !ok) {
      std::string text = dateFormat(n);
      ok = ok && dateParse(text) == n && text.size() == 10;
    }
    if (!ok) {
      ++failures;
      CAPTURE(n);
      CHECK(ok);
    }
    if (++day > daysInMonth(y, m)) {
      day = 1;
      if (++m > 12) { m = 1; ++y; }
    }
  }
  CHECK(failures == 0);
  CHECK(y == 10000);
}

TEST_CASE("date: leap years") {
  CHECK(!isLeapYear(1900));
  CHECK(isLeapYear(2000));
  CHECK(isLeapYear(2024));
  CHECK(!isLeapYear(2023));
  CHECK(!isLeapYear(2100));
  CHECK(dateParse("2024-02-29").has_value());
  CHECK(dateParse("2000-02-29").has_value());
  CHECK(!dateParse("1900-02-29").has_value());
  CHECK(!dateParse("2023-02-29").has_value());
  CHECK(d("1900-03-01") - d("1900-02-28") == 1);
  CHECK(d("2000-03-01") - d("2000-02-28") == 2);
  CHECK(d("2025-01-01") - d("2024-01-01") == 366);
}

TEST_CASE("date: strict parsing") {
  CHECK(dateParse("2024-01-31") == daysFromCivil(2024, 1, 31));
  CHECK(dateFormat(d("2024-07-04")) == "2024-07-04");
  const char* bad[] = {"", "2024-1-01", "2024-01-1", "24-01-01", "2024/01/01", "2024-01-01 ",
                       " 2024-01-01", "2024-13-01", "2024-00-10", "2024-04-31", "2024-01-00",
                       "0000-01-01", "20240101", "2024-01-01T00", "+024-01-01", "2024-0a-01",
                       "2024--1-01", "10000-01-01"};
  for (const char* t : bad) {
    CAPTURE(t);
    CHECK(!dateParse(t).has_value());
  }
}

TEST_CASE("date: month and year arithmetic") {
  CHECK(dateFormat(dateAddMonths(d("2024-01-31"), 1)) == "2024-02-29");
  CHECK(dateFormat(dateAddMonths(d("2023-01-31"), 1)) == "2023-02-28");
  CHECK(dateFormat(dateAddMonths(d("2024-03-31"), 1)) == "2024-04-30");
  CHECK(dateFormat(dateAddMonths(d("2024-03-31"), -1)) == "2024-02-29");
  CHECK(dateFormat(dateAddMonths(d("2024-01-15"), -1)) == "2023-12-15");
  CHECK(dateFormat(dateAddMonths(d("2024-01-15"), -13)) == "2022-12-15");
  CHECK(dateFormat(dateAddMonths(d("2024-11-30"), 3)) == "2025-02-28");
  CHECK(dateFormat(dateAddMonths(d("2024-05-10"), 0)) == "2024-05-10");
  CHECK(dateFormat(dateAddMonths(d("2024-05-10"), 120)) == "2034-05-10");
  CHECK(dateFormat(dateAddMonths(d("0001-01-31"), 1)) == "0001-02-28");
  CHECK(!dateInRange(dateAddMonths(d("0001-01-01"), -1)));
  CHECK(dateFormat(dateAddYears(d("2024-02-29"), 1)) == "2025-02-28");
  CHECK(dateFormat(dateAddYears(d("2024-02-29"), 4)) == "2028-02-29");
  CHECK(dateFormat(dateAddYears(d("2024-02-29"), -100)) == "1924-02-29");
  CHECK(dateFormat(dateAddYears(d("2000-02-29"), -100)) == "1900-02-28");
  CHECK(dateFormat(dateMonthStart(d("2024-02-29"))) == "2024-02-01");
  CHECK(dateFormat(dateMonthStart(d("1969-12-31"))) == "1969-12-01");
  CHECK(dateMonthStart(d("2024-03-01")) == d("2024-03-01"));
}
