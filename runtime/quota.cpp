#include "runtime/quota.h"

#include "runtime/date.h"
#include "runtime/decimal.h"
#include "runtime/units.h"
#include "runtime/shipment_reader.h"

namespace lode::rt {

int32_t quotaPeriodStart(QuotaPeriodKind k, int32_t date) {
  switch (k) {
    case QuotaPeriodKind::Whole: return INT32_MIN;
    case QuotaPeriodKind::Year: return daysFromCivil(civilFromDays(date).year, 1, 1);
    case QuotaPeriodKind::Quarter: {
      Ymd d = civilFromDays(date);
      return daysFromCivil(d.year, (d.month - 1) / 3 * 3 + 1, 1);
    }
    case QuotaPeriodKind::Month: return dateMonthStart(date);
  }
  return INT32_MIN;
}

int64_t QuotaLedger::used(const std::string& name, int32_t period, const std::string& key) const {
  auto it = used_.find(Key{name, period, key});
  return it == used_.end() ? 0 : it->second;
}

bool QuotaLedger::add(const std::string& name, int32_t period, const std::string& key, int64_t qty) {
  int64_t& slot = used_[Key{name, period, key}];
  int64_t sum = 0;
  if (decAdd(slot, qty, &sum) != ErrCode::Ok) return false;
  slot = sum;
  return true;
}

void QuotaLedger::set(const std::string& name, int32_t period, const std::string& key, int64_t qty) {
  used_[Key{name, period, key}] = qty;
}

std::vector<RowError> QuotaLedger::loadCsv(std::istream& in, const std::string& fileName, const RowCheck& check) {
  Schema s;
  FieldSpec f;
  f.name = "quota"; f.kind = FieldKind::Text; f.required = true; s.add(f);
  f.name = "period"; f.kind = FieldKind::Date; f.required = false; s.add(f);
  f.name = "key"; f.kind = FieldKind::Text; f.required = false; s.add(f);
  f.name = "used"; f.kind = FieldKind::Decimal; f.required = true; f.unit = *unitAtom("t"); s.add(f);
  std::map<Key, uint64_t> rowOf;  // the balances this file has set, and the row that did
  return readTableCsv(in, fileName, s, ReaderOptions{}, "quota state", [&](Record& rec, std::vector<RowError>& errs) {
    if (rec.values[3].i < 0) {
      errs.push_back({fileName, rec.row, "used", ErrCode::OutOfRange, "a used quantity cannot be negative"});
      return;
    }
    int32_t period = rec.values[1].present ? int32_t(rec.values[1].i) : INT32_MIN;
    Key key{rec.values[0].s, period, rec.values[2].present ? rec.values[2].s : std::string()};
    std::string field;
    if (std::string why = check ? check(std::get<0>(key), period, std::get<2>(key), field) : std::string(); !why.empty()) {
      errs.push_back({fileName, rec.row, field, ErrCode::InvalidValue, why});
      return;
    }
    if (auto [at, fresh] = rowOf.try_emplace(key, rec.row); !fresh) {
      errs.push_back({fileName, rec.row, "quota", ErrCode::InvalidValue,
                      "a second row for the balance of row " + std::to_string(at->second) + " (one row per quota, period and key)"});
      return;
    }
    used_[key] = rec.values[3].i;
  });
}

namespace {
// RFC 4180 quoting for a text cell that holds a comma, quote or line break.
std::string csvCell(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + '"';
}
}  // namespace

void QuotaLedger::writeCsv(std::ostream& out) const {
  out << "quota,period,key,used\n";
  for (const auto& [k, v] : used_) {
    const auto& [name, period, key] = k;
    out << csvCell(name) << ',' << (period == INT32_MIN ? std::string() : dateFormat(period)) << ',' << csvCell(key) << ','
        << decFormat(v) << " t\n";
  }
}

}  // namespace lode::rt
