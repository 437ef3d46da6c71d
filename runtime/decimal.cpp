#include "runtime/decimal.h"

#include <limits>

namespace lode::rt {

namespace {
using i128 = __int128;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

// Quotient n/d (d > 0) rounded half-even. Truncating division leaves r with n's sign, so the
// rounding step moves q by sign(n) when |r| is past half of d (or exactly half and q is odd).
// Comparing |r| with d - |r| avoids forming 2|r|, which could overflow for large d.
template <typename T>
T divHalfEven(T n, T d) {
  T q = n / d;
  T r = n % d;
  T ar = r < 0 ? -r : r;
  T rest = d - ar;
  T inc = static_cast<T>((ar > rest) | ((ar == rest) & static_cast<int>(q & 1)));
  T sign = static_cast<T>((n > 0) - (n < 0));
  return q + sign * inc;
}

ErrCode narrow(i128 v, int64_t* out) {
  if (v > kMax || v < kMin) return ErrCode::Overflow;
  *out = static_cast<int64_t>(v);
  return ErrCode::Ok;
}
}  // namespace

ErrCode decFromIntChecked(int64_t v, int64_t* out) {
  return __builtin_mul_overflow(v, kOne, out) ? ErrCode::Overflow : ErrCode::Ok;
}

ErrCode decAbs(int64_t a, int64_t* out) {
  if (a == kMin) return ErrCode::Overflow;
  *out = a < 0 ? -a : a;
  return ErrCode::Ok;
}

ErrCode decAdd(int64_t a, int64_t b, int64_t* out) {
  return __builtin_add_overflow(a, b, out) ? ErrCode::Overflow : ErrCode::Ok;
}

ErrCode decSub(int64_t a, int64_t b, int64_t* out) {
  return __builtin_sub_overflow(a, b, out) ? ErrCode::Overflow : ErrCode::Ok;
}

ErrCode decNeg(int64_t a, int64_t* out) {
  return __builtin_sub_overflow(int64_t{0}, a, out) ? ErrCode::Overflow : ErrCode::Ok;
}

ErrCode decMul(int64_t a, int64_t b, int64_t* out) {
  int64_t p;
  // Most products (prices times quantities) fit in int64 before rescaling; the int128 path is the
  // rare case and the only one that can overflow after rounding.
  if (!__builtin_mul_overflow(a, b, &p)) {
    *out = divHalfEven<int64_t>(p, kOne);
    return ErrCode::Ok;
  }
  return narrow(divHalfEven<i128>(static_cast<i128>(a) * b, kOne), out);
}

ErrCode decDiv(int64_t a, int64_t b, int64_t* out) {
  if (b == 0) return ErrCode::DivisionByZero;
  // The common case in 64 bits (a 128-bit division is a library call): a * 10^6 fits, and so does
  // the divisor's magnitude; the quotient of those always fits.
  int64_t n64;
  if (!__builtin_mul_overflow(a, kOne, &n64) && b != kMin && n64 != kMin) {
    if (b < 0) { n64 = -n64; b = -b; }
    *out = divHalfEven<int64_t>(n64, b);
    return ErrCode::Ok;
  }
  i128 n = static_cast<i128>(a) * kOne;
  i128 d = b;
  if (d < 0) { n = -n; d = -d; }  // |a * 10^6| < 2^83, so negation cannot overflow int128
  return narrow(divHalfEven<i128>(n, d), out);
}

ErrCode decMulRatio(int64_t a, int64_t num, int64_t den, int64_t* out) {
  if (den == 0) return ErrCode::DivisionByZero;
  int64_t n64;  // as in decDiv: 64 bits when the product fits
  if (!__builtin_mul_overflow(a, num, &n64) && den != kMin && n64 != kMin) {
    if (den < 0) { n64 = -n64; den = -den; }
    *out = divHalfEven<int64_t>(n64, den);
    return ErrCode::Ok;
  }
  i128 n = static_cast<i128>(a) * num;
  i128 d = den;
  if (d < 0) { n = -n; d = -d; }  // |a * num| <= 2^126
  return narrow(divHalfEven<i128>(n, d), out);
}

ErrCode decRound(int64_t a, int64_t quantum, RoundingMode mode, int64_t* out) {
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

DecParse decParse(std::string_view s) {
  size_t i = 0;
  bool neg = false;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
  auto isDigit = [&](size_t k) { return k < s.size() && s[k] >= '0' && s[k] <= '9'; };

  size_t intStart = i;
  while (isDigit(i)) ++i;
  size_t intEnd = i;
  size_t fracStart = i, fracEnd = i;
  if (i < s.size() && s[i] == '.') {
    fracStart = ++i;
    while (isDigit(i)) ++i;
    fracEnd = i;
    if (fracEnd == fracStart) return {ErrCode::InvalidValue, 0};  // "1."
  }
  if (intEnd == intStart || i != s.size()) return {ErrCode::InvalidValue, 0};
  if (fracEnd - fracStart > static_cast<size_t>(kScale)) return {ErrCode::InvalidValue, 0};

  // Accumulate the magnitude in unsigned so that INT64_MIN's magnitude (2^63) is representable.
  const uint64_t limit = neg ? uint64_t{1} << 63 : static_cast<uint64_t>(kMax);
  uint64_t mag = 0;
  auto push = [&](char c) {
    uint64_t next;
    if (__builtin_mul_overflow(mag, uint64_t{10}, &next) ||
        __builtin_add_overflow(next, static_cast<uint64_t>(c - '0'), &next) || next > limit)
      return false;
    mag = next;
    return true;
  };
  for (size_t k = intStart; k < intEnd; ++k)
    if (!push(s[k])) return {ErrCode::OutOfRange, 0};
  for (size_t k = fracStart; k < fracStart + kScale; ++k)
    if (!push(k < fracEnd ? s[k] : '0')) return {ErrCode::OutOfRange, 0};
  int64_t raw = neg ? static_cast<int64_t>(0 - mag) : static_cast<int64_t>(mag);
  return {ErrCode::Ok, raw};
}

std::string decFormat(int64_t raw, int minFrac) {
  minFrac = minFrac < 0 ? 0 : (minFrac > kScale ? kScale : minFrac);
  uint64_t mag = raw < 0 ? 0 - static_cast<uint64_t>(raw) : static_cast<uint64_t>(raw);
  uint64_t whole = mag / kOne;
  uint64_t frac = mag % kOne;

  std::string out;
  if (raw < 0) out += '-';
  out += std::to_string(whole);
  char digits[kScale];
  for (int k = kScale - 1; k >= 0; --k) {
    digits[k] = static_cast<char>('0' + frac % 10);
    frac /= 10;
  }
  int keep = kScale;
  while (keep > minFrac && digits[keep - 1] == '0') --keep;
  if (keep > 0) {
    out += '.';
    out.append(digits, static_cast<size_t>(keep));
  }
  return out;
}

}  // namespace lode::rt
