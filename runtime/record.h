// Typed run-time records: shipments, registry rows and market observations share this model.
//
// A Schema is declared by the agreement (standard shipment fields + its own attributes, or a registry's
// columns); readers turn text rows into Records against it, reporting malformed cells per row and field.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/errors.h"
#include "runtime/units.h"

namespace lode::rt {

enum class FieldKind : uint8_t {
  Decimal,  // exact decimal; `unit` is the field's unit, cells are converted to it exactly
  Bool,     // true/false, yes/no, 1/0
  Date,     // YYYY-MM-DD -> days since epoch
  Country,  // ISO 3166-1 alpha-2 -> packed code (see countryCode)
  Text,     // free text (ids of exporters, facilities, ...)
  Enum,     // one of `enumValues` -> index
  Hs,       // HS/HTS code: digits with optional dots -> digits only in `s`
};

// Decimal fields whose sign is part of their meaning: a shipment's quantity is more than zero, its
// customs value and contained masses are not negative. Checked after unit conversion.
enum class Sign : uint8_t { Any, NonNegative, Positive };

struct FieldSpec {
  std::string name;
  FieldKind kind = FieldKind::Text;
  Unit unit;                            // Decimal only
  std::vector<std::string> enumValues;  // Enum only
  bool required = false;                // a row without it is rejected by the reader
  Sign sign = Sign::Any;                // Decimal only
};

struct Schema {
  std::vector<FieldSpec> fields;
  std::unordered_map<std::string, int> index;  // name -> position in fields
  int add(FieldSpec f);                          // returns the new index
  int find(const std::string& name) const;       // -1 if absent
};

// One cell. Numeric kinds live in `i` (decimal raw, days, bool, packed country, enum index);
// Text and Hs live in `s`; an Hs cell also has its hsKey in `i` (0 when it was set without one).
struct FieldValue {
  bool present = false;
  int64_t i = 0;
  std::string s;
};

struct Record {
  std::vector<FieldValue> values;  // parallel to Schema::fields
  uint64_t row = 0;                // 1-based data row number in its file (header is row 0)
};

struct RowError {
  std::string file;
  uint64_t row = 0;
  std::string field;  // "" when the whole row is bad
  ErrCode code = ErrCode::InvalidValue;
  std::string message;
};

// HS codes as ordered integers, so that "starts with" is one range test in both executors: the
// digits padded with zeros to 10, times 16, plus the number of digits (1..10). A code starts with
// prefix P exactly when hsPrefixRange(P).lo <= hsKey(code) < hsPrefixRange(P).hi: a shorter code
// padded to P's digits sorts below lo by its smaller count. Keys are > 0; a code of more than 10
// digits (or none) has key 0, and a prefix of more than 10 digits the empty range {0, 0}.
int64_t hsKey(std::string_view digits);
struct HsRange { int64_t lo = 0, hi = 0; };
HsRange hsPrefixRange(std::string_view digits);

// Countries are packed as two ASCII letters: ('C' << 8) | 'N'.
constexpr int64_t countryCode(char a, char b) { return (int64_t(uint8_t(a)) << 8) | uint8_t(b); }
std::string countryText(int64_t code);

// Byte offset of the first byte that is not part of well-formed UTF-8 (no overlong forms, no
// surrogates, nothing past U+10FFFF), or npos when `s` is valid UTF-8.
size_t utf8Invalid(std::string_view s);
// `s` with every byte that is not well-formed UTF-8 written as \xNN: safe to echo in a message.
std::string utf8Sanitize(std::string_view s);

// Parse one cell against its spec (shared by CSV, JSON Lines and registry readers, and by inline
// examples). `countries` lists the valid alpha-2 codes (from the stdlib); empty means accept any AA.
// On failure returns false and fills err.code / err.message (not file/row/field). Text that is not
// UTF-8 is rejected in every kind of cell (E0009), so output files stay valid UTF-8.
bool parseCell(const FieldSpec& spec, std::string_view text, FieldValue& out, RowError& err,
               const std::vector<std::string>* countries = nullptr);
// parseCell's messages for a number it cannot hold (E0010 out of range, E0009 more than 6 decimal
// places). The JSON Lines reader gives them too: it judges a number with a far exponent (1e41, 1e-50)
// before writing its digits out, and quotes it as written.
std::string numberOutOfRangeMessage(std::string_view num);
std::string numberTooPreciseMessage(std::string_view num);

// An HS cell (trimmed) as parseCell reads it: its digits in `s`, its hsKey in `i`. With a null err
// the reason for a refusal is not written (the fast path of a caller that falls back to parseCell).
bool parseHs(std::string_view text, FieldValue& out, RowError* err);

}  // namespace lode::rt
