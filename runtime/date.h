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
// Calendar month arithmetic, clamping the day to the target month's length (Jan 31 + 1 month = Feb 28/29).
int32_t dateAddMonths(int32_t days, int months);
int32_t dateAddYears(int32_t days, int years);
// First day of the month containing `days`.
int32_t dateMonthStart(int32_t days);

}  // namespace lode::rt
