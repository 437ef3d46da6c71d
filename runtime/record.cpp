#include "runtime/record.h"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "runtime/date.h"
#include "runtime/decimal.h"

namespace lode::rt {

int Schema::add(FieldSpec f) {
  int at = static_cast<int>(fields.size());
  index[f.name] = at;
  fields.push_back(std::move(f));
  return at;
}

int Schema::find(const std::string& name) const {
  auto it = index.find(name);
  return it == index.end() ? -1 : it->second;
}

std::string countryText(int64_t code) {
  return std::string{static_cast<char>((code >> 8) & 0xff), static_cast<char>(code & 0xff)};
}

size_t utf8Invalid(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) { ++i; continue; }
    size_t n = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return i;
    uint32_t cp = n == 2 ? c & 0x1Fu : n == 3 ? c & 0x0Fu : c & 0x07u;
    for (size_t k = 1; k < n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return i;
    i += n;
  }
  return std::string_view::npos;
}

std::string utf8Sanitize(std::string_view s) {
  std::string out;
  while (!s.empty()) {
    size_t bad = utf8Invalid(s);
    if (bad == std::string_view::npos) { out += s; break; }
    out += s.substr(0, bad);
    static const char* const kHex = "0123456789ABCDEF";
    auto b = static_cast<unsigned char>(s[bad]);
    out += "\\x";
    out += kHex[b >> 4];
    out += kHex[b & 15];
    s.remove_prefix(bad + 1);
  }
  return out;
}

namespace {

std::string_view trim(std::string_view s) {
  auto isSpace = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool fail(RowError& err, ErrCode code, std::string msg) {
  err.code = code;
  err.message = std::move(msg);
  return false;
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isUpper(char c) { return c >= 'A' && c <= 'Z'; }

// Users fix unit mistakes faster when told what kind of unit was expected, not just the exponents.
std::string describeUnit(const Unit& u) {
  if (u.dimensionless()) return "a plain number or %";
  int nonZero = 0, which = -1;
  for (size_t d = 0; d < u.exp.size(); ++d)
    if (u.exp[d] != 0) ++nonZero, which = static_cast<int>(d);
  if (u.currency.empty() && nonZero == 1 && u.exp[static_cast<size_t>(which)] == 1) {
    switch (static_cast<Dim>(which)) {
      case Dim::Mass: return "a mass unit like t or kg";
      case Dim::Charge: return "a charge unit like mAh or Ah";
      case Dim::Energy: return "an energy unit like kWh or MWh";
      case Dim::Volume: return "a volume unit like l or m3";
      case Dim::Co2: return "an emissions unit like tCO2 or kgCO2";
      case Dim::Count: return "a count unit like pcs";
      default: break;
    }
  }
  if (nonZero == 0 && u.currencyExp == 1 && u.currency2Exp == 0) return "a currency amount in " + u.currency;
  return "a unit compatible with " + unitText(u);
}

std::string unitName(const Unit& u) { return u.text.empty() ? unitText(u) : u.text; }

// A rounded conversion can turn a tiny positive mass into 0 t: the sign is checked on the result.
bool checkSign(const FieldSpec& spec, int64_t v, std::string_view text, RowError& err) {
  if (spec.sign == Sign::Positive && v <= 0)
    return fail(err, ErrCode::InvalidValue, "must be more than zero, got '" + std::string(text) + "'");
  if (spec.sign == Sign::NonNegative && v < 0)
    return fail(err, ErrCode::InvalidValue, "must not be negative, got '" + std::string(text) + "'");
  return true;
}

bool parseDecimal(const FieldSpec& spec, std::string_view text, FieldValue& out, RowError& err) {
  size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
  size_t digitsStart = i;
  while (i < text.size() && (isDigit(text[i]) || text[i] == '.')) ++i;
  if (i == digitsStart) return fail(err, ErrCode::InvalidValue, "expected a number, got '" + std::string(text) + "'");
  std::string_view num = text.substr(0, i);
  if (num.front() == '+') num.remove_prefix(1);
  std::string_view unitPart = trim(text.substr(i));
  // Units start with a letter or '%'; anything else means the number itself is malformed ("1,000 t").
  if (!unitPart.empty() && !(unitPart[0] == '%' || ((unitPart[0] | 0x20) >= 'a' && (unitPart[0] | 0x20) <= 'z')))
    return fail(err, ErrCode::InvalidValue, "malformed number '" + std::string(text) + "'");

  DecParse p = decParse(num);
  if (p.code != ErrCode::Ok) {
    size_t dot = num.find('.');
    size_t frac = dot == std::string_view::npos ? 0 : num.size() - dot - 1;
    if (frac > static_cast<size_t>(kScale)) return fail(err, ErrCode::InvalidValue, numberTooPreciseMessage(num));
    if (p.code == ErrCode::OutOfRange) return fail(err, ErrCode::OutOfRange, numberOutOfRangeMessage(num));
    return fail(err, ErrCode::InvalidValue, "malformed number '" + std::string(num) + "'");
  }

  if (unitPart.empty()) {
    if (!spec.unit.dimensionless())
      return fail(err, ErrCode::InvalidValue, "missing unit (expected " + unitName(spec.unit) + ")");
    if (!checkSign(spec, p.raw, text, err)) return false;
    out.i = p.raw;
    out.present = true;
    return true;
  }
  std::optional<Unit> given = unitParse(unitPart);
  // "1e3 kg": an exponent, which text cells do not take (a JSON number does), not a unit "e3 kg".
  bool exponent = (unitPart[0] | 0x20) == 'e' && unitPart.size() > 1 &&
                  (std::isdigit(static_cast<unsigned char>(unitPart[1])) ||
                   ((unitPart[1] == '-' || unitPart[1] == '+') && unitPart.size() > 2 && std::isdigit(static_cast<unsigned char>(unitPart[2]))));
  if (!given && exponent)
    return fail(err, ErrCode::InvalidValue, "malformed number '" + std::string(text) + "': write it without an exponent (1000 kg, not 1e3 kg)");
  if (!given) return fail(err, ErrCode::BadUnit, "unknown unit '" + std::string(unitPart) + "'");
  if (!given->sameDimension(spec.unit))
    return fail(err, ErrCode::BadUnit,
                "expected " + describeUnit(spec.unit) + ", got " + std::string(unitPart));
  Rational f = unitFactor(*given, spec.unit);
  int64_t v = 0;
  ErrCode c = decMulRatio(p.raw, f.num, f.den, &v);
  if (c != ErrCode::Ok)
    return fail(err, ErrCode::OutOfRange,
                "'" + std::string(text) + "' is out of range when converted to " + unitName(spec.unit));
  // Converted exactly or not at all: 1000 lb is 0.45359237 t, and a rounded 0.453592 t would fall
  // below a `1000 lb` threshold. The declarant chooses the rounding by writing the value in the unit.
  if (!convertExact(p.raw, f))
    return fail(err, ErrCode::InvalidValue,
                "'" + std::string(text) + "' is not exact in " + unitName(spec.unit) +
                    " (6 decimal places); write it in " + unitName(spec.unit));
  if (!checkSign(spec, v, text, err)) return false;
  out.i = v;
  out.present = true;
  return true;
}

bool parseBool(std::string_view t, FieldValue& out, RowError& err) {
  std::string low(t);
  for (char& c : low) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  if (low == "true" || low == "yes" || low == "1") out.i = 1;
  else if (low == "false" || low == "no" || low == "0") out.i = 0;
  else return fail(err, ErrCode::InvalidValue, "expected true/false, yes/no or 1/0, got '" + std::string(t) + "'");
  out.present = true;
  return true;
}

bool parseCountry(std::string_view t, FieldValue& out, RowError& err, const std::vector<std::string>* countries) {
  if (t.size() != 2 || !isUpper(t[0]) || !isUpper(t[1]))
    return fail(err, ErrCode::InvalidValue,
                "invalid country code '" + std::string(t) + "' (expected two uppercase letters like CN)");
  if (countries && !countries->empty() && std::find(countries->begin(), countries->end(), t) == countries->end())
    return fail(err, ErrCode::InvalidValue, "unknown country '" + std::string(t) + "'");
  out.i = countryCode(t[0], t[1]);
  out.present = true;
  return true;
}

bool parseEnum(const FieldSpec& spec, std::string_view t, FieldValue& out, RowError& err) {
  for (size_t k = 0; k < spec.enumValues.size(); ++k) {
    if (spec.enumValues[k] == t) {
      out.i = static_cast<int64_t>(k);
      out.present = true;
      return true;
    }
  }
  std::string allowed;
  for (const auto& v : spec.enumValues) allowed += (allowed.empty() ? "" : ", ") + v;
  return fail(err, ErrCode::InvalidValue, "'" + std::string(t) + "' is not one of: " + allowed);
}

}  // namespace

namespace {
constexpr int kHsDigits = 10;
constexpr int64_t kPow10[kHsDigits + 1] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
                                           1000000000, 10000000000};
int64_t pow10(int n) { return kPow10[n]; }
// The digits as a number, padded with zeros to kHsDigits; -1 when they are not 1..kHsDigits digits.
int64_t hsPadded(std::string_view digits) {
  if (digits.empty() || digits.size() > size_t(kHsDigits)) return -1;
  int64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v * pow10(kHsDigits - int(digits.size()));
}
}  // namespace

int64_t hsKey(std::string_view digits) {
  int64_t padded = hsPadded(digits);
  return padded < 0 ? 0 : padded * 16 + int64_t(digits.size());
}

HsRange hsPrefixRange(std::string_view digits) {
  int64_t padded = hsPadded(digits);
  if (padded < 0) return {};
  return {padded * 16 + int64_t(digits.size()), (padded + pow10(kHsDigits - int(digits.size()))) * 16};
}

bool parseHs(std::string_view t, FieldValue& out, RowError* err) {
  // Without err the reasons are not written (a caller that only wants the well-formed codes).
  auto bad = [&](auto message) { return err ? fail(*err, ErrCode::InvalidValue, message()) : false; };
  // The digits gather in a fixed buffer and their value in `v`, in one pass (a cell is parsed per
  // shipment: no string is built until the code is known to be good); n counts them all, so too many
  // is reported after any bad character.
  char buf[kHsDigits];
  size_t n = 0;
  int64_t v = 0;
  for (char c : t) {
    if (isDigit(c)) {
      if (n < size_t(kHsDigits)) buf[n] = c, v = v * 10 + (c - '0');
      ++n;
    } else if (c != '.') {
      return bad([&] { return "invalid HS code '" + std::string(t) + "' (digits and dots only)"; });
    }
  }
  if (n < 4 || n > size_t(kHsDigits))
    return bad([&] { return "invalid HS code '" + std::string(t) + "' (expected 4 to 10 digits)"; });
  // Chapters run from 01 to 99 (77 is reserved and unused), headings from 01 within a chapter: the
  // first four digits as a number are cchh.
  const int64_t chapterHeading = v / pow10(int(n) - 4), chapter = chapterHeading / 100;
  std::string_view digits(buf, n);
  if (chapter == 0 || chapter == 77)
    return bad([&] { return "unknown HS code '" + std::string(t) + "' (there is no chapter " + std::string(digits.substr(0, 2)) + ")"; });
  if (chapterHeading % 100 == 0)
    return bad([&] { return "unknown HS code '" + std::string(t) + "' (there is no heading " + std::string(digits.substr(0, 4)) + ")"; });
  out.i = v * pow10(kHsDigits - int(n)) * 16 + int64_t(n);  // hsKey(digits), without reading them again
  out.s.assign(digits.data(), n);
  out.present = true;
  return true;
}

std::string numberOutOfRangeMessage(std::string_view num) {
  return "'" + std::string(num) + "' is out of range (numbers lie between -9223372036854.775807 and 9223372036854.775807)";
}

std::string numberTooPreciseMessage(std::string_view num) {
  return "'" + std::string(num) + "' has more than 6 decimal places";
}

bool parseCell(const FieldSpec& spec, std::string_view text, FieldValue& out, RowError& err,
               const std::vector<std::string>* countries) {
  out = FieldValue{};
  text = trim(text);
  if (text.empty()) return true;  // absence is the reader's business (it knows `required`)
  if (size_t bad = utf8Invalid(text); bad != std::string_view::npos) {
    static const char* const kHex = "0123456789ABCDEF";
    auto b = static_cast<unsigned char>(text[bad]);
    return fail(err, ErrCode::InvalidValue,
                std::string("not valid UTF-8: byte 0x") + kHex[b >> 4] + kHex[b & 15] + " at position " +
                    std::to_string(bad + 1) + " of the cell (save the file as UTF-8)");
  }
  switch (spec.kind) {
    case FieldKind::Decimal: return parseDecimal(spec, text, out, err);
    case FieldKind::Bool: return parseBool(text, out, err);
    case FieldKind::Date: {
      std::optional<int32_t> d = dateParse(text);
      if (!d) {
        // A well-formed date that is not on the calendar (2025-02-29) needs a different hint than a typo.
        bool shaped = text.size() == 10 && text[4] == '-' && text[7] == '-';
        for (size_t i = 0; shaped && i < text.size(); ++i) shaped = i == 4 || i == 7 || (text[i] >= '0' && text[i] <= '9');
        return fail(err, ErrCode::InvalidValue, shaped ? "'" + std::string(text) + "' is not a calendar date"
                                                       : "invalid date '" + std::string(text) + "' (expected YYYY-MM-DD)");
      }
      out.i = *d;
      out.present = true;
      return true;
    }
    case FieldKind::Country: return parseCountry(text, out, err, countries);
    case FieldKind::Enum: return parseEnum(spec, text, out, err);
    case FieldKind::Hs: return parseHs(text, out, &err);
    case FieldKind::Text:
      out.s = std::string(text);
      out.present = true;
      return true;
  }
  return fail(err, ErrCode::InvalidValue, "unsupported field kind");
}

}  // namespace lode::rt
