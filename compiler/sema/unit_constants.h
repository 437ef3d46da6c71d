// A constant brought into another unit of its dimension (1000 lb into t): exact, or the nearest
// representable value above it. Why not simply round: a rounded bound changes which shipments a
// comparison admits (453.592 kg would pass `quantity >= 1000 lb`). The checker uses the exact
// conversion everywhere, and the value above it only where it preserves meaning (comparisons and
// band bounds, against values that are whole multiples of the scale).
#pragma once

#include <cstdint>
#include <optional>

#include "runtime/units.h"

namespace lode::sema {

// raw * f, or nullopt when that is not a whole raw value or is out of range.
inline std::optional<int64_t> exactConversion(int64_t raw, rt::Rational f) {
  __int128 p = __int128(raw) * f.num;
  if (p % f.den != 0) return std::nullopt;
  __int128 q = p / f.den;
  if (q > INT64_MAX || q < INT64_MIN) return std::nullopt;
  return int64_t(q);
}

// The smallest raw value >= raw * f (f.den > 0), or nullopt when out of range.
inline std::optional<int64_t> ceilConversion(int64_t raw, rt::Rational f) {
  __int128 p = __int128(raw) * f.num;
  __int128 q = p / f.den;  // toward zero
  if (p % f.den != 0 && p > 0) ++q;
  if (q > INT64_MAX || q < INT64_MIN) return std::nullopt;
  return int64_t(q);
}

}  // namespace lode::sema
