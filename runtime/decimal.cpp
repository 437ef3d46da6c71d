#include "runtime/decimal.h"

namespace lode::rt {

namespace {
using i128 = __int128;
using detail::kMax;
using detail::kMin;

ErrCode narrow(i128 v, int64_t* out) {
  if (v > kMax || v < kMin) return ErrCode::Overflow;
  *out = static_cast<int64_t>(v);
  return ErrCode::Ok;
}
}  // namespace

ErrCode decFromIntChecked(int64_t v, int64_t* out) {
  return __builtin_mul_overflow(v, kOne, out) ? ErrCode::Overflow : ErrCode::Ok;
}

// decDiv's 10^6 and decMul's operands times at most 2^63 stay below 2^126: the product and its
// negation fit in int128.
ErrCode detail::mulRatioWide(int64_t a, int64_t num, int64_t den, int64_t* out) {
  i128 n = static_cast<i128>(a) * num;
  i128 d = den;
  if (d < 0) { n = -n; d = -d; }
  return narrow(divHalfEven<i128>(n, d), out);
}

// |a*b| < 2^126, and a product past 2^127 after m is past 2^63 after the division by k * 10^6 <=
// 2^63: the overflow of the numerator is the overflow of the result.
ErrCode detail::mulScaledWide(int64_t a, int64_t b, int64_t m, int64_t k, int64_t* out) {
  if (m < 1 || k < 1 || m > kMaxFactor || k > kMaxFactor) return ErrCode::InvalidValue;
  i128 n;
  if (__builtin_mul_overflow(static_cast<i128>(a) * b, static_cast<i128>(m), &n)) return ErrCode::Overflow;
  return narrow(detail::divHalfEven<i128>(n, static_cast<i128>(k) * kOne), out);
}

// a * 10^6 * m and b * k both stay below 2^126.
ErrCode decDivScaled(int64_t a, int64_t b, int64_t m, int64_t k, int64_t* out) {
  if (m < 1 || k < 1 || m > kMaxFactor || k > kMaxFactor) return ErrCode::InvalidValue;
  if (b == 0) return ErrCode::DivisionByZero;
  i128 n = static_cast<i128>(a) * (static_cast<i128>(m) * kOne);
  i128 d = static_cast<i128>(b) * k;
  if (d < 0) { n = -n; d = -d; }
  return narrow(detail::divHalfEven<i128>(n, d), out);
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

  // At most 12 digits in all are below 10^12 and, scaled to micros, below 10^18: nothing to check
  // per digit (the common cell: every CSV and C ABI amount goes through here).
  if ((intEnd - intStart) + (fracEnd - fracStart) <= 12) {
    static constexpr uint64_t kPow10[] = {1, 10, 100, 1'000, 10'000, 100'000, 1'000'000};
    uint64_t mag = 0;
    for (size_t k = intStart; k < intEnd; ++k) mag = mag * 10 + static_cast<uint64_t>(s[k] - '0');
    for (size_t k = fracStart; k < fracEnd; ++k) mag = mag * 10 + static_cast<uint64_t>(s[k] - '0');
    mag *= kPow10[static_cast<size_t>(kScale) - (fracEnd - fracStart)];
    return {ErrCode::Ok, neg ? -static_cast<int64_t>(mag) : static_cast<int64_t>(mag)};
  }

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
