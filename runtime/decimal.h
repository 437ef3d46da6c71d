// Exact fixed-point decimal: an int64 count of millionths (scale 6).
//
// Why a fixed scale: every value in an evaluation (money, quantities, prices, rates) shares one
// representation, so the JIT can keep values in registers and the interpreter needs no tags.
// Range is +-9,223,372,036,854.775807 (19 significant digits, 6 fractional). Products and quotients
// are formed exactly in int128 and rounded once, half-even, back to scale 6 ("intermediate rounding",
// documented in docs/language.md); agreement-declared rounding (to a minor unit, in a declared mode)
// is a separate explicit step (decRound). No binary floating point anywhere.
//
// All arithmetic reports failure through ErrCode and never wraps, traps or throws.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/errors.h"

namespace lode::rt {

inline constexpr int kScale = 6;
inline constexpr int64_t kOne = 1'000'000;  // raw value of 1

enum class RoundingMode : uint8_t { HalfEven = 0, HalfUp = 1, Down = 2 };

// Raw representation helpers. A decimal is just int64 "raw" = value * 10^6.
constexpr int64_t decFromInt(int64_t v) { return v * kOne; }  // caller guarantees range
// decFromInt for values that may not fit (integer literals, counts read from data).
ErrCode decFromIntChecked(int64_t v, int64_t* out);
constexpr int decSign(int64_t a) { return (a > 0) - (a < 0); }

// The arithmetic below is inline, so the interpreter, the hand-written baseline and the JIT's runtime
// wrappers (compiler/jit/jit.cpp) run the 64-bit fast paths without a further call. The 128-bit
// paths, rare, are out of line in decimal.cpp.
namespace detail {
inline constexpr int64_t kMax = INT64_MAX, kMin = INT64_MIN;
// Quotient n/d (d > 0) rounded half-even. Truncating division leaves r with n's sign, so the
// rounding step moves q by sign(n) when |r| is past half of d (or exactly half and q is odd).
// Comparing |r| with d - |r| avoids forming 2|r|, which could overflow for large d.
template <typename T>
inline T divHalfEven(T n, T d) {
  T q = n / d;
  T r = n % d;
  T ar = r < 0 ? -r : r;
  T rest = d - ar;
  T inc = static_cast<T>((ar > rest) | ((ar == rest) & static_cast<int>(q & 1)));
  T sign = static_cast<T>((n > 0) - (n < 0));
  return q + sign * inc;
}
// a * num / den in 128 bits (den != 0), rounded half-even; Overflow when it does not fit.
ErrCode mulRatioWide(int64_t a, int64_t num, int64_t den, int64_t* out);
}  // namespace detail

// |a|; Overflow only for INT64_MIN.
inline ErrCode decAbs(int64_t a, int64_t* out) {
  if (a == detail::kMin) return ErrCode::Overflow;
  *out = a < 0 ? -a : a;
  return ErrCode::Ok;
}
inline ErrCode decAdd(int64_t a, int64_t b, int64_t* out) {
  return __builtin_add_overflow(a, b, out) ? ErrCode::Overflow : ErrCode::Ok;
}
inline ErrCode decSub(int64_t a, int64_t b, int64_t* out) {
  return __builtin_sub_overflow(a, b, out) ? ErrCode::Overflow : ErrCode::Ok;
}
inline ErrCode decNeg(int64_t a, int64_t* out) {
  return __builtin_sub_overflow(int64_t{0}, a, out) ? ErrCode::Overflow : ErrCode::Ok;
}
// a * num / den (plain integers, den > 0), rounded half-even: exact unit conversion factors.
// den < 0 is accepted (sign moves to num); den == 0 gives DivisionByZero.
inline ErrCode decMulRatio(int64_t a, int64_t num, int64_t den, int64_t* out) {
  if (den == 0) return ErrCode::DivisionByZero;
  // 64 bits when the product fits (a 128-bit division is a library call).
  int64_t n64;
  if (!__builtin_mul_overflow(a, num, &n64) && den != detail::kMin && n64 != detail::kMin) [[likely]] {
    if (den < 0) { n64 = -n64; den = -den; }
    *out = detail::divHalfEven<int64_t>(n64, den);
    return ErrCode::Ok;
  }
  return detail::mulRatioWide(a, num, den, out);
}
// a*b rounded half-even to scale 6. Most products (prices times quantities) fit in int64 before
// rescaling; the 128-bit path is the rare case and the only one that can overflow after rounding.
inline ErrCode decMul(int64_t a, int64_t b, int64_t* out) {
  int64_t p;
  if (!__builtin_mul_overflow(a, b, &p)) [[likely]] {
    *out = detail::divHalfEven<int64_t>(p, kOne);
    return ErrCode::Ok;
  }
  return detail::mulRatioWide(a, b, kOne, out);
}
// a*b/k (k >= 1) rounded half-even to scale 6, once: a product brought to the unit of its result by
// the reciprocal of a whole number (`90 % of value`: %·USD to USD is /100). Multiplying and then
// scaling would round twice. The caller guarantees that k * 10^6 fits (the checker does).
inline ErrCode decMulDiv(int64_t a, int64_t b, int64_t k, int64_t* out) {
  return k <= 1 ? decMul(a, b, out) : decMulRatio(a, b, kOne * k, out);
}
// A product or quotient brought to the unit of its result by a rational factor m/k (1 <= m, k <=
// kMaxFactor), rounded once: a*b*m/k and (a/b)*m/k. `USD/lb * t` is USD·t/lb, x 1/0.45359237 to
// USD: rounding the product to 6 places and then converting it would round twice.
// InvalidValue when m or k is out of that range.
inline constexpr int64_t kMaxFactor = INT64_MAX / kOne;
namespace detail {
ErrCode mulScaledWide(int64_t a, int64_t b, int64_t m, int64_t k, int64_t* out);
}
inline ErrCode decMulScaled(int64_t a, int64_t b, int64_t m, int64_t k, int64_t* out) {
  int64_t p;
  if (m >= 1 && k >= 1 && m <= kMaxFactor && k <= kMaxFactor && !__builtin_mul_overflow(a, b, &p) &&
      !__builtin_mul_overflow(p, m, &p)) [[likely]] {
    *out = detail::divHalfEven<int64_t>(p, k * kOne);
    return ErrCode::Ok;
  }
  return detail::mulScaledWide(a, b, m, k, out);
}
ErrCode decDivScaled(int64_t a, int64_t b, int64_t m, int64_t k, int64_t* out);
// a * m against b * k, exactly (m, k > 0): -1, 0 or 1. Two values in units that meet through a
// factor that is not whole (lb and t) compared without rounding either.
inline int decCompareScaled(int64_t a, int64_t m, int64_t b, int64_t k) {
  __int128 x = static_cast<__int128>(a) * m, y = static_cast<__int128>(b) * k;
  return (x > y) - (x < y);
}
// a/b rounded half-even to scale 6; DivisionByZero when b == 0.
inline ErrCode decDiv(int64_t a, int64_t b, int64_t* out) {
  if (b == 0) return ErrCode::DivisionByZero;
  return decMulRatio(a, kOne, b, out);
}
// Round a to a multiple of quantum (raw, > 0; e.g. 0.01 -> 10000) with the given mode.
// Down means toward zero; HalfUp means half away from zero. Branch-free.
// quantum <= 0 gives InvalidValue; a result beyond the int64 range gives Overflow.
inline ErrCode decRound(int64_t a, int64_t quantum, RoundingMode mode, int64_t* out) {
  if (quantum <= 0) return ErrCode::InvalidValue;
  int64_t q = a / quantum;
  int64_t r = a % quantum;
  int64_t ar = r < 0 ? -r : r;  // r > -quantum, so no INT64_MIN here
  int64_t rest = quantum - ar;
  int64_t past = ar > rest;
  int64_t tie = ar == rest;
  int64_t even = mode == RoundingMode::HalfEven;
  int64_t up = mode == RoundingMode::HalfUp;
  int64_t down = mode == RoundingMode::Down;
  // Nearest modes step away from zero past the midpoint; at the midpoint HalfUp always does and
  // HalfEven only from an odd quotient. Down never steps (truncation already went toward zero).
  int64_t inc = (past | (tie & (up | (even & (q & 1))))) & (1 - down);
  int64_t stepped = q + decSign(a) * inc;  // |q| <= |a|/quantum, and inc only grows it when |q| < max
  return __builtin_mul_overflow(stepped, quantum, out) ? ErrCode::Overflow : ErrCode::Ok;
}

// Strict grammar: [+-]? digit+ ( '.' digit{1,6} )?  -- so "1e3", "1,000", " 1", "1.", ".5" are rejected.
// Malformed text or more than 6 fractional digits: code InvalidValue; magnitude beyond the int64 raw
// range: code OutOfRange. raw is 0 whenever code != Ok.
struct DecParse { ErrCode code; int64_t raw; };
DecParse decParse(std::string_view text);
// Canonical text: no trailing zeros beyond minFrac fractional digits ("35000", "35000.00" with 2).
// minFrac is clamped to 0..6. Output always parses back to the same raw with decParse.
std::string decFormat(int64_t raw, int minFrac = 0);

}  // namespace lode::rt
