#include "runtime/errors.h"

namespace lode::rt {

namespace {
struct ErrInfo { std::string_view name; std::string_view text; };

// Indexed by the enum value; codes are stable, so this table only ever grows at the end.
constexpr ErrInfo kErrors[] = {
    {"E0000", "ok"},
    {"E0001", "decimal overflow"},
    {"E0002", "division by zero"},
    {"E0003", "no market observation"},
    {"E0004", "missing shipment field"},
    {"E0005", "no registry row"},
    {"E0006", "ownership cycle"},
    {"E0007", "schedule not in effect"},
    {"E0008", "value outside every band"},
    {"E0009", "invalid value"},
    {"E0010", "value out of range"},
    {"E0011", "wrong unit"},
    {"E0012", "agreement not in force"},
};
constexpr size_t kErrorCount = sizeof(kErrors) / sizeof(kErrors[0]);
static_assert(kErrorCount == static_cast<size_t>(ErrCode::NotInForce) + 1, "table must cover ErrCode");

const ErrInfo* info(ErrCode c) {
  auto i = static_cast<size_t>(c);
  return i < kErrorCount ? &kErrors[i] : nullptr;
}
}  // namespace

std::string_view errCodeName(ErrCode c) {
  const ErrInfo* e = info(c);
  return e ? e->name : std::string_view("E????");
}

std::string_view errCodeText(ErrCode c) {
  const ErrInfo* e = info(c);
  return e ? e->text : std::string_view("unknown error");
}

}  // namespace lode::rt
