// Civil dates as a day count since 1970-01-01 (proleptic Gregorian), years 1..9999.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lode::rt {

struct Ymd { int year; int month; int day; };

int32_t daysFromCivil(int y, int m, int d);
Ymd civilFromDays(int32_t days);
// "YYYY-MM-DD" only; validates month length and leap years.
std::optional<int32_t> dateParse(std::string_view text);
std::string dateFormat(int32_t days);
// Calendar month arithmetic (negative counts go back), clamping the day to the target month's length (Jan 31 + 1 month = Feb 28/29).
int32_t dateAddMonths(int32_t days, int months);
int32_t dateAddYears(int32_t days, int years);
// First day of the month containing `days`.
int32_t dateMonthStart(int32_t days);

// Helpers shared with readers and the checker. Month arithmetic can leave 1..9999; callers that care
// check the result with dateInRange.
bool isLeapYear(int y);
int daysInMonth(int y, int m);  // m in 1..12
inline constexpr int32_t kMinDate = -719162;  // 0001-01-01
inline constexpr int32_t kMaxDate = 2932896;  // 9999-12-31
constexpr bool dateInRange(int32_t days) { return days >= kMinDate && days <= kMaxDate; }

}  // namespace lode::rt
