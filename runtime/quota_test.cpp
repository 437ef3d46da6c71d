#include <doctest/doctest.h>

#include <sstream>

#include "runtime/date.h"
#include "runtime/decimal.h"
#include "runtime/quota.h"

using namespace lode::rt;

namespace {
int32_t day(int y, int m, int d) { return daysFromCivil(y, m, d); }
}  // namespace

TEST_CASE("quota periods start on the first day of the year, quarter or month") {
  CHECK(quotaPeriodStart(QuotaPeriodKind::Year, day(2028, 7, 15)) == day(2028, 1, 1));
  CHECK(quotaPeriodStart(QuotaPeriodKind::Year, day(2028, 1, 1)) == day(2028, 1, 1));
  CHECK(quotaPeriodStart(QuotaPeriodKind::Quarter, day(2028, 6, 30)) == day(2028, 4, 1));
  CHECK(quotaPeriodStart(QuotaPeriodKind::Quarter, day(2028, 7, 1)) == day(2028, 7, 1));
  CHECK(quotaPeriodStart(QuotaPeriodKind::Quarter, day(2028, 12, 31)) == day(2028, 10, 1));
  CHECK(quotaPeriodStart(QuotaPeriodKind::Month, day(2028, 2, 29)) == day(2028, 2, 1));
  CHECK(quotaPeriodStart(QuotaPeriodKind::Whole, day(2028, 2, 29)) == INT32_MIN);
}

TEST_CASE("the ledger keeps one balance per quota, period and key") {
  QuotaLedger l;
  CHECK(l.used("trq", day(2028, 1, 1), "") == 0);
  CHECK(l.add("trq", day(2028, 1, 1), "", decFromInt(10)));
  CHECK(l.add("trq", day(2028, 1, 1), "", decFromInt(5)));
  CHECK(l.used("trq", day(2028, 1, 1), "") == decFromInt(15));
  CHECK(l.used("trq", day(2029, 1, 1), "") == 0);
  CHECK(l.used("trq", day(2028, 1, 1), "NO") == 0);
  CHECK(l.used("other", day(2028, 1, 1), "") == 0);
  l.set("trq", day(2028, 1, 1), "", 1);
  CHECK_FALSE(l.add("trq", day(2028, 1, 1), "", INT64_MAX));  // overflow leaves the balance alone
  CHECK(l.used("trq", day(2028, 1, 1), "") == 1);
}

TEST_CASE("quota state round-trips through CSV, and bad rows are reported, the rest kept") {
  std::istringstream in(
      "quota,period,key,used\n"
      "co_trq,2028-01-01,,1990 t\n"
      "export,2028-04-01,\"ID, Bangka\",120000 kg\n"
      "bad,2028-13-01,,1 t\n"
      "neg,2028-01-01,,-1 t\n"
      "whole,,,2 t\n");
  QuotaLedger l;
  auto errs = l.loadCsv(in, "q.csv");
  REQUIRE(errs.size() == 2);
  CHECK(errs[0].row == 3);
  CHECK(errs[0].field == "period");
  CHECK(errs[1].row == 4);
  CHECK(errs[1].field == "used");
  CHECK(l.used("co_trq", day(2028, 1, 1), "") == decFromInt(1990));
  CHECK(l.used("export", day(2028, 4, 1), "ID, Bangka") == decFromInt(120));
  CHECK(l.used("whole", INT32_MIN, "") == decFromInt(2));
  std::ostringstream out;
  l.writeCsv(out);
  std::istringstream again(out.str());
  QuotaLedger l2;
  CHECK(l2.loadCsv(again, "out.csv").empty());
  CHECK(l2.used("export", day(2028, 4, 1), "ID, Bangka") == decFromInt(120));
  CHECK(l2.size() == 3);
}

TEST_CASE("a quota state file without a used column is rejected") {
  std::istringstream in("quota,period\nco_trq,2028-01-01\n");
  QuotaLedger l;
  auto errs = l.loadCsv(in, "q.csv");
  REQUIRE(errs.size() == 1);
  CHECK(errs[0].field == "used");
  CHECK(l.size() == 0);
}

TEST_CASE("quota state rows the caller's check refuses, and a second row for one balance, are reported and skipped") {
  std::istringstream in(
      "quota,period,key,used\n"
      "co_trq,2028-01-01,,1990 t\n"
      "co_trqq,2028-01-01,,5 t\n"     // refused by the check
      "co_trq,2028-01-01,,10 t\n");   // the balance of row 1 again
  QuotaLedger l;
  auto errs = l.loadCsv(in, "q.csv", [](const std::string& quota, int32_t, const std::string&, std::string& field) {
    field = "quota";
    return quota == "co_trq" ? std::string() : "the agreement has no quota '" + quota + "'";
  });
  REQUIRE(errs.size() == 2);
  CHECK(errs[0].row == 2);
  CHECK(errs[0].field == "quota");
  CHECK(errs[0].message.find("co_trqq") != std::string::npos);
  CHECK(errs[1].row == 3);
  CHECK(errs[1].message.find("row 1") != std::string::npos);
  CHECK(l.size() == 1);
  CHECK(l.used("co_trq", day(2028, 1, 1), "") == decParse("1990").raw);  // the first row stands
}
