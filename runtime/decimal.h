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
// |a|; Overflow only for INT64_MIN.
ErrCode decAbs(int64_t a, int64_t* out);

ErrCode decAdd(int64_t a, int64_t b, int64_t* out);
ErrCode decSub(int64_t a, int64_t b, int64_t* out);
ErrCode decNeg(int64_t a, int64_t* out);
// a*b rounded half-even to scale 6.
ErrCode decMul(int64_t a, int64_t b, int64_t* out);
// a/b rounded half-even to scale 6; DivisionByZero when b == 0.
ErrCode decDiv(int64_t a, int64_t b, int64_t* out);
// a * num / den (plain integers, den > 0), rounded half-even: exact unit conversion factors.
// den < 0 is accepted (sign moves to num); den == 0 gives DivisionByZero.
ErrCode decMulRatio(int64_t a, int64_t num, int64_t den, int64_t* out);
// Round a to a multiple of quantum (raw, > 0; e.g. 0.01 -> 10000) with the given mode.
// Down means toward zero; HalfUp means half away from zero. Branch-free on the common path.
// quantum <= 0 gives InvalidValue; a result beyond the int64 range gives Overflow.
ErrCode decRound(int64_t a, int64_t quantum, RoundingMode mode, int64_t* out);

// Strict grammar: [+-]? digit+ ( '.' digit{1,6} )?  -- so "1e3", "1,000", " 1", "1.", ".5" are rejected.
// Malformed text or more than 6 fractional digits: code InvalidValue; magnitude beyond the int64 raw
// range: code OutOfRange. raw is 0 whenever code != Ok.
struct DecParse { ErrCode code; int64_t raw; };
DecParse decParse(std::string_view text);
// Canonical text: no trailing zeros beyond minFrac fractional digits ("35000", "35000.00" with 2).
// minFrac is clamped to 0..6. Output always parses back to the same raw with decParse.
std::string decFormat(int64_t raw, int minFrac = 0);

}  // namespace lode::rt
