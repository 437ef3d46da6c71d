// What the C ABI's translation units share: the handles behind lode.h's opaque types and the cell
// conversions both the single-shipment setters (c_api.cpp) and batches (batch.cpp) use. Internal:
// embedders include lode.h only.
#pragma once
#include "lode.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/driver.h"
#include "compiler/interp/interp.h"
#include "compiler/testing/example_runner.h"
#include "runtime/record.h"

namespace lode::capi {

// Every handle starts with a magic word so a wrong or freed handle is refused instead of dereferenced
// (as far as memory that was freed can tell).
enum Magic : uint32_t {
  kAgreement = 0x4c41474e,  // "LAGN"
  kInputs = 0x4c494e50,
  kShipment = 0x4c534850,
  kResult = 0x4c525354,
  kBatch = 0x4c425443,
  kDead = 0xdeadc0de,
};

// Memos of converted cells (HS codes: a batch or a reused shipment sees few distinct ones) have this
// many entries, direct-mapped: memoSlot is a text's entry, from its first and last 8 bytes and its
// length (cheaper than hashing every byte; a collision only costs a parse).
inline constexpr size_t kCellMemo = 32;

// A unit a decimal cell may be written in, with its exact factor to the field's unit.
struct CellUnit {
  std::string text;
  rt::Rational factor;
};

// What converting cells needs per field, computed once when the agreement is compiled (immutable
// afterwards, so shared by every thread without a lock).
struct FieldInfo {
  std::vector<CellUnit> units;  // Decimal: the field's unit and the atoms of its dimension
  std::string unitText;         // Decimal: lode_field_unit
  bool dimensionless = false;
  bool hs = false;  // an HS field: lode_shipment_set looks in the shipment's memo first
  // The typed setters' fast path: a value they take as it is, checked without reaching into the
  // program; any other value takes the full check, which also writes the reason.
  bool decimal = false;   // lode_shipment_set_decimal applies
  uint8_t codes = 0;      // bit per lode_code the field accepts (fits)
  int64_t lo = 1, hi = 0; // a decimal or a DAYS / INDEX / BOOL code in [lo, hi] is valid as it is
};

}  // namespace lode::capi

struct lode_agreement {
  uint32_t magic = lode::capi::kAgreement;
  std::unique_ptr<lode::Compilation> c;
  std::unique_ptr<lode::jit::CompiledProgram> compiled;  // set by lode_agreement_jit
  std::unique_ptr<lode::interp::Interpreter> interp;
  std::vector<lode::capi::FieldInfo> fields;  // parallel to the shipment schema
  std::vector<uint8_t> countryOk;             // 26 * 26 flags: alpha-2 codes a cell may name
  const std::vector<std::string>* countries = nullptr;  // what parseCell checks (null: any AA)
  lode::rt::Record blank;                     // no cell set: absent fields, defaults applied
  bool textDefaults = false;                  // some field's default is a text (blank has a text)
  std::vector<uint8_t> read;                  // per field: evaluation may read it (a batch skips the others)
  const lode::ir::Program& p() const { return *c->program; }
};

struct lode_inputs {
  uint32_t magic = lode::capi::kInputs;
  const lode_agreement* a;
  lode::testing::InputSet set;
  std::mutex quotaLock;              // quota balances: read, evaluate and commit as one step
  const lode::interp::Inputs* view;  // built once: pricing threads only read it
  explicit lode_inputs(const lode_agreement* ag) : a(ag), set(ag->p()), view(&set.inputs()) {}
};

// `rec` always has the agreement's field defaults applied to its absent fields, so lode_price
// evaluates it in place.
struct lode_shipment {
  uint32_t magic = lode::capi::kShipment;
  const lode_agreement* a;
  lode::rt::Record rec;
  // HS cells this shipment parsed (an embedder reuses a shipment, and declarations repeat their
  // codes), by lode::capi::memoSlot of the trimmed text; an HS cell's value does not depend on its field.
  struct HsSeen {
    std::string text;  // empty: unused
    lode::rt::FieldValue value;
  };
  std::array<HsSeen, lode::capi::kCellMemo> hsSeen{};
};

struct lode_result {
  uint32_t magic = lode::capi::kResult;
  const lode_agreement* a = nullptr;  // the agreement that produced it (names of measures)
  lode::rt::Assessment as;
  uint64_t row = 0;                   // the batch row (1-based), 0 for a shipment priced alone
  std::string id;                     // the shipment's id, if it had one (lode_result_json)
  const lode_batch* batch = nullptr;  // a batch result: its id is the batch's id cell of its row
  std::string text;                   // storage for texts handed out
  std::vector<std::string> texts;
};

namespace lode::capi {

template <class T>
bool live(const T* h, uint32_t magic) { return h && h->magic == magic; }

// s into buf (truncated, always NUL-terminated) when buf is given.
inline void copyOut(const std::string& s, char* buf, size_t cap) {
  if (!buf || cap == 0) return;
  size_t n = std::min(s.size(), cap - 1);
  std::memcpy(buf, s.data(), n);
  buf[n] = '\0';
}

// Runs f, turning any exception into LODE_ERR_INTERNAL (the message goes to msg when given).
template <class F>
lode_status guarded(F&& f, char* msg = nullptr, size_t cap = 0) {
  try {
    return f();
  } catch (const std::exception& e) {
    copyOut(std::string("internal error: ") + e.what(), msg, cap);
  } catch (...) {
    copyOut("internal error", msg, cap);
  }
  return LODE_ERR_INTERNAL;
}

bool validField(const lode_agreement* a, int32_t field);
// A country packed as LODE_COUNTRY('C', 'N') that the agreement knows: the packing is
// rt::countryCode's, so the code is the value.
[[gnu::always_inline]] inline bool knownCountry(const lode_agreement& a, int64_t x) {
  static_assert(LODE_COUNTRY('C', 'N') == rt::countryCode('C', 'N'));
  uint64_t c0 = uint64_t(x >> 8) - 'A', c1 = uint64_t(x & 0xff) - 'A';
  return (x >> 16) == 0 && c0 < 26 && c1 < 26 && a.countryOk[c0 * 26 + c1];
}
// The typed formats a field of this kind accepts.
bool fits(rt::FieldKind kind, lode_code code);
// Converts one text cell into `out`. An empty cell is absent (true). false: err says why and `out`
// is absent.
bool textCell(const lode_agreement& a, size_t f, std::string_view text, rt::FieldValue& out, rt::RowError& err);
// A decimal in the field's unit: the text reader's sign rules. false: err says why.
bool typedDecimal(const lode_agreement& a, size_t f, int64_t v, rt::FieldValue& out, rt::RowError& err);
// A code in a format that fits the field (checked by the caller). false: err says why.
bool typedCode(const lode_agreement& a, size_t f, lode_code code, int64_t v, rt::FieldValue& out, rt::RowError& err);
// The entry of a cell text in a memo of kCellMemo entries.
size_t memoSlot(std::string_view t);
// A cell text without the blanks around it.
std::string_view trimCell(std::string_view s);
// A shipment field back to "no cell": absent, or its default.
void unsetField(const lode_agreement& a, rt::FieldValue& v, size_t f);
// v as `blank` (lode_agreement::blank's value of its field). Most fields have no text default: their
// text is emptied inline, since assigning the empty default would be a call per field.
inline void resetTo(rt::FieldValue& v, const rt::FieldValue& blank) {
  v.present = blank.present;
  v.i = blank.i;
  if (blank.s.empty()) [[likely]] {
    if (!v.s.empty()) v.s.clear();
  } else {
    v.s.assign(blank.s);
  }
}
// Evaluates and commits the quota part under the inputs' lock when the agreement has quotas.
void evaluate(const lode_agreement* a, lode_inputs* in, const rt::Record& rec, rt::Assessment& out);
// The shipment's id (or none) kept in the result for lode_result_json.
void setId(lode_result& r, const rt::Record& rec);
// The handle lode_agreement_compile returns, for a compilation that has a program (also used by
// tests/differential.cpp, which prices generated shipments through the C ABI).
std::unique_ptr<lode_agreement> agreementOf(std::unique_ptr<Compilation> c);
// Row `row` (1-based) of a batch's id column, or "" (batch.cpp).
std::string_view batchRowId(const lode_batch* b, uint64_t row);

}  // namespace lode::capi
