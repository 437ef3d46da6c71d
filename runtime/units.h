// Units of measure and currencies.
//
// A unit is a product of base dimensions with integer exponents, one currency at most, and an exact
// rational scale relative to the base units (kg, mAh, kWh, l, kg CO2e, piece; currency 1). Percent is
// dimensionless with scale 1/100. The checker uses this to type expressions (USD/t * t = USD) and to
// derive the exact conversion factor between two units of the same dimension (t -> kg is 1000/1).
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lode::rt {

enum class Dim : uint8_t { Mass = 0, Charge, Energy, Volume, Co2, Count, kCount };

struct Rational {
  int64_t num = 1;
  int64_t den = 1;  // > 0, reduced
};

struct Unit {
  std::array<int8_t, static_cast<size_t>(Dim::kCount)> exp{};  // dimension exponents
  std::string currency;      // "" or ISO 4217 code
  int8_t currencyExp = 0;    // exponent of the currency (1 in USD, 1 in USD/t, 0 in t)
  // An exchange rate holds a second currency (USD/EUR): then the two codes are in alphabetical order
  // (EUR -1 here, USD +1 above would be swapped) and their exponents have opposite signs.
  std::string currency2;
  int8_t currency2Exp = 0;
  Rational scale;            // value in base units = value * scale
  std::string text;          // as written, for messages ("USD/t")

  bool dimensionless() const;
  // Same dimensions and same currency (conversion possible).
  bool sameDimension(const Unit& o) const;
};

// Look up one atom: t, kg, g, mg, lb, mAh, Ah, Wh, kWh, MWh, l, m3, tCO2, kgCO2, pcs, %, 1 (none), or
// an ISO 4217 currency code (isCurrencyCode). nullopt if unknown.
std::optional<Unit> unitAtom(std::string_view name);
// Parse "USD/t", "mAh/g", "tCO2/t", "USD*t" (atoms separated by '/' or '*', left to right, so
// "USD/t/kWh" is USD per (t*kWh)). Whitespace around atoms is allowed; the stored text drops it.
// nullopt on an unknown or empty atom and wherever unitMulChecked/unitDivChecked would fail.
std::optional<Unit> unitParse(std::string_view text);
Unit unitNone();  // dimensionless, scale 1
// unitMul/unitDiv assume the operands combine: at most two distinct currencies, one per and one over
// (an exchange rate, USD/EUR), and exponents and scale stay representable. Otherwise they return
// unitInvalid(). Use the Checked forms to test.
Unit unitMul(const Unit& a, const Unit& b);
Unit unitDiv(const Unit& a, const Unit& b);
// nullopt when currencies would combine other than as a rate (USD * EUR, USD*EUR/t) or on overflow.
std::optional<Unit> unitMulChecked(const Unit& a, const Unit& b);
std::optional<Unit> unitDivChecked(const Unit& a, const Unit& b);
// Poison unit: currency "!", so it has the same dimension as no real unit.
Unit unitInvalid();
bool unitIsInvalid(const Unit& u);
// Factor f such that value_in_from * f = value_in_to (requires sameDimension). Exact rational.
// Returns {0, 1} if the factor does not fit in int64/int64 (only possible for contrived compounds).
Rational unitFactor(const Unit& from, const Unit& to);
std::optional<Rational> unitFactorChecked(const Unit& from, const Unit& to);
// A raw value brought into another unit by factor f, never rounded: raw * f, or nullopt when that is
// not a whole raw value (1000 lb in t is 0.45359237 t) or is out of range. The readers and the
// checker both convert this way: a rounded 0.453592 t would fall below a `1000 lb` threshold.
std::optional<int64_t> convertExact(int64_t raw, Rational f);
// The smallest raw value >= raw * f (f.den > 0), or nullopt when out of range: where a comparison
// with a constant that the other side's unit cannot hold keeps its meaning (x >= k iff x >= it).
std::optional<int64_t> convertCeil(int64_t raw, Rational f);
// Canonical text: `text` when set, else composed from exponents with base names
// (kg, mAh, kWh, l, kgCO2, pcs, currency), "%" for percent and "1" for unitNone().
// Results of unitMul/unitDiv keep a parseable text ("USD/t*kg") whenever their scale is not 1.
std::string unitText(const Unit& u);
// An ISO 4217 alphabetic code (USD, EUR, XAU, ...): three capitals alone are not enough, so a
// made-up code is neither a currency of account nor a unit.
bool isCurrencyCode(std::string_view s);

}  // namespace lode::rt
