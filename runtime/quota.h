// Tariff-rate quota balances: how much of each quota has been used, per period and key. The ledger
// lives outside the compiled agreement (it is state, the agreement is not): an evaluation reads it
// and reports the split of a shipment; the caller commits the in-quota quantity, in arrival order
// (first come, first served). Quantities are raw decimals in tonnes.
#pragma once
#include <cstdint>
#include <functional>
#include <istream>
#include <map>
#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include "runtime/record.h"

namespace lode::rt {

enum class QuotaPeriodKind : uint8_t { Whole, Year, Quarter, Month };
// First day of the period that contains `date` (INT32_MIN for the whole term).
int32_t quotaPeriodStart(QuotaPeriodKind k, int32_t date);

class QuotaLedger {
 public:
  // Used quantity of quota `name` in the period starting `period` for `key` ("" = one balance).
  int64_t used(const std::string& name, int32_t period, const std::string& key) const;
  // Adds to the used quantity; false on overflow (the ledger is unchanged).
  bool add(const std::string& name, int32_t period, const std::string& key, int64_t qty);
  void set(const std::string& name, int32_t period, const std::string& key, int64_t qty);

  // Whether a row names a balance the agreement can have: "" when it does, else the reason, with the
  // field it is about in `field` (the ledger itself knows no agreement).
  using RowCheck = std::function<std::string(const std::string& quota, int32_t period, const std::string& key, std::string& field)>;
  // CSV with header quota,period,key,used: period = first day of the period (empty for the whole
  // term), used with its mass unit ("1990 t"; kg and lb convert). Bad rows are reported and skipped:
  // those `check` refuses and a second row for the same balance.
  std::vector<RowError> loadCsv(std::istream& in, const std::string& fileName, const RowCheck& check = {});
  void writeCsv(std::ostream& out) const;
  size_t size() const { return used_.size(); }

 private:
  using Key = std::tuple<std::string, int32_t, std::string>;
  std::map<Key, int64_t> used_;
};

}  // namespace lode::rt
