#include "runtime/units.h"

#include <algorithm>
#include <iterator>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace lode::rt {

namespace {
using i128 = __int128;
constexpr size_t kDims = static_cast<size_t>(Dim::kCount);

// Names of the base unit of each dimension, in Dim order: what a scale of 1 means.
constexpr std::string_view kBaseName[kDims] = {"kg", "mAh", "kWh", "l", "kgCO2", "pcs"};

struct AtomDef {
  std::string_view name;
  int dim;  // index into Unit::exp, or -1 for dimensionless atoms
  int64_t num, den;
};

constexpr AtomDef kAtoms[] = {
    {"t", 0, 1000, 1},       {"kg", 0, 1, 1},         {"g", 0, 1, 1000},
    {"mg", 0, 1, 1000000},   {"lb", 0, 45359237, 100000000},  // international pound, exact
    {"mAh", 1, 1, 1},        {"Ah", 1, 1000, 1},
    {"Wh", 2, 1, 1000},      {"kWh", 2, 1, 1},        {"MWh", 2, 1000, 1},
    {"l", 3, 1, 1},          {"m3", 3, 1000, 1},
    {"tCO2", 4, 1000, 1},    {"kgCO2", 4, 1, 1},
    {"pcs", 5, 1, 1},
    {"%", -1, 1, 100},       {"1", -1, 1, 1},
};

// The ISO 4217 alphabetic codes (currencies, funds, precious metals and the X.. codes), sorted for
// binary search. Taken from Debian's iso-codes 4.15.0 (/usr/share/iso-codes/json/iso_4217.json; the
// same package std.countries is generated from). units_test.cpp checks every code of the machine's
// table is here: when ISO adds one, add it in order.
constexpr std::string_view kIso4217[] = {
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD",
    "CAD", "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUC", "CUP",
    "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP",
    "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HRK", "HTG", "HUF", "IDR",
    "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW",
    "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA",
    "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD",
    "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG",
    "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE",
    "SLL", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP",
    "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED",
    "VES", "VND", "VUV", "WST", "XAF", "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XCD", "XDR",
    "XOF", "XPD", "XPF", "XPT", "XSU", "XTS", "XUA", "XXX", "YER", "ZAR", "ZMW", "ZWL"
};

i128 gcd128(i128 a, i128 b) {
  if (a < 0) a = -a;
  if (b < 0) b = -b;
  while (b != 0) {
    i128 t = a % b;
    a = b;
    b = t;
  }
  return a;
}

// Reduced num/den with den > 0, or nullopt when either part leaves int64 after reduction.
std::optional<Rational> ratMake(i128 num, i128 den) {
  if (den == 0) return std::nullopt;
  if (den < 0) { num = -num; den = -den; }
  i128 g = gcd128(num, den);
  num /= g;
  den /= g;
  constexpr i128 kMax = std::numeric_limits<int64_t>::max();
  if (num > kMax || num < -kMax || den > kMax) return std::nullopt;
  return Rational{static_cast<int64_t>(num), static_cast<int64_t>(den)};
}

bool isOne(const Rational& r) { return r.num == 1 && r.den == 1; }

// The currencies of a * b^sign into u: the exponents of each code added up. At most two codes may
// remain, with exponents of opposite signs (an exchange rate, USD/EUR; EUR x USD/EUR is USD).
bool combineCurrencies(const Unit& a, const Unit& b, int sign, Unit& u) {
  std::vector<std::pair<std::string, int>> terms;
  auto add = [&](const std::string& code, int e) {
    if (e == 0) return;
    for (auto& t : terms)
      if (t.first == code) { t.second += e; return; }
    terms.emplace_back(code, e);
  };
  add(a.currency, a.currencyExp);
  add(a.currency2, a.currency2Exp);
  add(b.currency, sign * b.currencyExp);
  add(b.currency2, sign * b.currency2Exp);
  std::erase_if(terms, [](const auto& t) { return t.second == 0; });
  if (terms.size() > 2 || (terms.size() == 2 && (terms[0].second > 0) == (terms[1].second > 0))) return false;
  for (const auto& t : terms)
    if (t.second < std::numeric_limits<int8_t>::min() || t.second > std::numeric_limits<int8_t>::max()) return false;
  std::sort(terms.begin(), terms.end());
  if (terms.size() > 0) { u.currency = terms[0].first; u.currencyExp = static_cast<int8_t>(terms[0].second); }
  if (terms.size() > 1) { u.currency2 = terms[1].first; u.currency2Exp = static_cast<int8_t>(terms[1].second); }
  return true;
}

// a * b^sign for sign = +1 (multiply) or -1 (divide).
std::optional<Unit> combine(const Unit& a, const Unit& b, int sign) {
  if (unitIsInvalid(a) || unitIsInvalid(b)) return std::nullopt;
  Unit u;
  if (!combineCurrencies(a, b, sign, u)) return std::nullopt;
  for (size_t i = 0; i < kDims; ++i) {
    int e = a.exp[i] + sign * b.exp[i];
    if (e < std::numeric_limits<int8_t>::min() || e > std::numeric_limits<int8_t>::max())
      return std::nullopt;
    u.exp[i] = static_cast<int8_t>(e);
  }

  std::optional<Rational> scale =
      sign > 0 ? ratMake(static_cast<i128>(a.scale.num) * b.scale.num,
                         static_cast<i128>(a.scale.den) * b.scale.den)
               : ratMake(static_cast<i128>(a.scale.num) * b.scale.den,
                         static_cast<i128>(a.scale.den) * b.scale.num);
  if (!scale) return std::nullopt;
  u.scale = *scale;

  // With scale 1 the composed base-name text is exact and simplest ("USD/t" * "t" -> "USD").
  // Otherwise keep the operands' texts, which parse back to the same unit: multiplication appends
  // b as written; division appends b with every operator flipped, since a/(x/y) = a/x*y.
  if (!isOne(u.scale)) {
    std::string bt = unitText(b);
    u.text = unitText(a);
    if (bt != "1") {
      if (sign > 0) {
        u.text += '*';
        u.text += bt;
      } else {
        u.text += '/';
        for (char c : bt) u.text += c == '/' ? '*' : c == '*' ? '/' : c;
      }
    }
  }
  return u;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
}  // namespace

bool Unit::dimensionless() const {
  for (int8_t e : exp)
    if (e != 0) return false;
  return currencyExp == 0 && currency2Exp == 0;
}

bool Unit::sameDimension(const Unit& o) const {
  if (unitIsInvalid(*this) || unitIsInvalid(o)) return false;
  return exp == o.exp && currencyExp == o.currencyExp && currency == o.currency && currency2Exp == o.currency2Exp &&
         currency2 == o.currency2;
}

bool isCurrencyCode(std::string_view s) {
  return std::binary_search(std::begin(kIso4217), std::end(kIso4217), s);
}

Unit unitNone() { return Unit{}; }

Unit unitInvalid() {
  Unit u;
  u.currency = "!";
  u.currencyExp = 1;
  u.text = "<invalid unit>";
  return u;
}

bool unitIsInvalid(const Unit& u) { return u.currency == "!"; }

std::optional<Unit> unitAtom(std::string_view name) {
  Unit u;
  u.text = std::string(name);
  if (isCurrencyCode(name)) {
    u.currency = std::string(name);
    u.currencyExp = 1;
    return u;
  }
  for (const AtomDef& a : kAtoms) {
    if (a.name != name) continue;
    if (a.dim >= 0) u.exp[static_cast<size_t>(a.dim)] = 1;
    u.scale = Rational{a.num, a.den};
    return u;
  }
  return std::nullopt;
}

std::optional<Unit> unitParse(std::string_view text) {
  std::optional<Unit> acc;
  std::string canon;
  char op = 0;
  while (true) {
    size_t cut = text.find_first_of("/*");
    std::string_view name = trim(text.substr(0, cut));
    std::optional<Unit> atom = unitAtom(name);
    if (!atom) return std::nullopt;
    acc = op == 0 ? atom : op == '*' ? unitMulChecked(*acc, *atom) : unitDivChecked(*acc, *atom);
    if (!acc) return std::nullopt;
    if (op != 0) canon += op;
    canon += name;
    if (cut == std::string_view::npos) break;
    op = text[cut];
    text.remove_prefix(cut + 1);
  }
  acc->text = std::move(canon);
  return acc;
}

std::optional<Unit> unitMulChecked(const Unit& a, const Unit& b) { return combine(a, b, 1); }
std::optional<Unit> unitDivChecked(const Unit& a, const Unit& b) { return combine(a, b, -1); }

Unit unitMul(const Unit& a, const Unit& b) {
  std::optional<Unit> u = combine(a, b, 1);
  return u ? std::move(*u) : unitInvalid();
}

Unit unitDiv(const Unit& a, const Unit& b) {
  std::optional<Unit> u = combine(a, b, -1);
  return u ? std::move(*u) : unitInvalid();
}

std::optional<Rational> unitFactorChecked(const Unit& from, const Unit& to) {
  if (!from.sameDimension(to)) return std::nullopt;
  return ratMake(static_cast<i128>(from.scale.num) * to.scale.den,
                 static_cast<i128>(from.scale.den) * to.scale.num);
}

std::optional<int64_t> convertExact(int64_t raw, Rational f) {
  i128 p = static_cast<i128>(raw) * f.num;
  if (p % f.den != 0) return std::nullopt;
  i128 q = p / f.den;
  if (q > std::numeric_limits<int64_t>::max() || q < std::numeric_limits<int64_t>::min()) return std::nullopt;
  return static_cast<int64_t>(q);
}

std::optional<int64_t> convertCeil(int64_t raw, Rational f) {
  i128 p = static_cast<i128>(raw) * f.num;
  i128 q = p / f.den;  // toward zero
  if (p % f.den != 0 && p > 0) ++q;
  if (q > std::numeric_limits<int64_t>::max() || q < std::numeric_limits<int64_t>::min()) return std::nullopt;
  return static_cast<int64_t>(q);
}

Rational unitFactor(const Unit& from, const Unit& to) {
  return unitFactorChecked(from, to).value_or(Rational{0, 1});
}

std::string unitText(const Unit& u) {
  if (!u.text.empty()) return u.text;
  std::string num, den;
  auto put = [&](std::string_view name, int e) {
    for (; e > 0; --e) {
      if (!num.empty()) num += '*';
      num += name;
    }
    for (; e < 0; ++e) {
      den += '/';
      den += name;
    }
  };
  put(u.currency, u.currencyExp);
  put(u.currency2, u.currency2Exp);
  for (size_t i = 0; i < kDims; ++i) put(kBaseName[i], u.exp[i]);
  if (num.empty() && den.empty()) return u.scale.num == 1 && u.scale.den == 100 ? "%" : "1";
  return (num.empty() ? "1" : num) + den;
}

}  // namespace lode::rt
