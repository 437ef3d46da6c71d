#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "runtime/decimal.h"

using namespace lode::rt;

namespace {
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

// Independent reference: a small signed big integer (sign + magnitude in base-2^32 limbs) with
// schoolbook multiplication and bit-by-bit long division. Slow but obviously correct, and it shares
// no code path with the int128 arithmetic under test.
struct Big {
  bool neg = false;
  std::vector<uint32_t> mag;  // little-endian, no leading zero limbs; zero is empty

  static Big of(int64_t v) {
    Big b;
    b.neg = v < 0;
    uint64_t m = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
    while (m) {
      b.mag.push_back(static_cast<uint32_t>(m));
      m >>= 32;
    }
    return b;
  }
  bool zero() const { return mag.empty(); }
  void trim() {
    while (!mag.empty() && mag.back() == 0) mag.pop_back();
    if (mag.empty()) neg = false;
  }
};

int cmpMag(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  for (size_t i = a.size(); i-- > 0;)
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

std::vector<uint32_t> addMag(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
  std::vector<uint32_t> r;
  uint64_t carry = 0;
  for (size_t i = 0; i < a.size() || i < b.size() || carry; ++i) {
    uint64_t s = carry + (i < a.size() ? a[i] : 0) + (i < b.size() ? b[i] : 0);
    r.push_back(static_cast<uint32_t>(s));
    carry = s >> 32;
  }
  return r;
}

std::vector<uint32_t> subMag(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {  // a >= b
  std::vector<uint32_t> r(a.size());
  int64_t borrow = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    int64_t s = int64_t{a[i]} - (i < b.size() ? b[i] : 0) - borrow;
    borrow = s < 0;
    r[i] = static_cast<uint32_t>(s + (borrow << 32));
  }
  while (!r.empty() && r.back() == 0) r.pop_back();
  return r;
}

Big add(const Big& a, const Big& b) {
  Big r;
  if (a.neg == b.neg) {
    r.mag = addMag(a.mag, b.mag);
    r.neg = a.neg;
  } else if (cmpMag(a.mag, b.mag) >= 0) {
    r.mag = subMag(a.mag, b.mag);
    r.neg = a.neg;
  } else {
    r.mag = subMag(b.mag, a.mag);
    r.neg = b.neg;
  }
  r.trim();
  return r;
}
Big negate(Big a) {
  a.neg = !a.neg;
  a.trim();
  return a;
}
Big sub(const Big& a, const Big& b) { return add(a, negate(b)); }

Big mul(const Big& a, const Big& b) {
  Big r;
  r.mag.assign(a.mag.size() + b.mag.size() + 1, 0);
  for (size_t i = 0; i < a.mag.size(); ++i) {
    uint64_t carry = 0;
    for (size_t j = 0; j < b.mag.size() || carry; ++j) {
      uint64_t cur = r.mag[i + j] + carry + (j < b.mag.size() ? uint64_t{a.mag[i]} * b.mag[j] : 0);
      r.mag[i + j] = static_cast<uint32_t>(cur);
      carry = cur >> 32;
    }
  }
  r.neg = a.neg != b.neg;
  r.trim();
  return r;
}

// Truncating division (C semantics): q toward zero, r has the dividend's sign.
void divmod(const Big& n, const Big& d, Big* q, Big* r) {
  Big qq, rr;
  qq.mag.assign(n.mag.size(), 0);
  for (size_t bit = n.mag.size() * 32; bit-- > 0;) {
    rr.mag = addMag(rr.mag, rr.mag);  // shift left by one
    if ((n.mag[bit / 32] >> (bit % 32)) & 1) rr.mag = addMag(rr.mag, {1});
    while (!rr.mag.empty() && rr.mag.back() == 0) rr.mag.pop_back();
    if (cmpMag(rr.mag, d.mag) >= 0) {
      rr.mag = subMag(rr.mag, d.mag);
      qq.mag[bit / 32] |= uint32_t{1} << (bit % 32);
    }
  }
  qq.neg = n.neg != d.neg;
  rr.neg = n.neg;
  qq.trim();
  rr.trim();
  *q = qq;
  *r = rr;
}

Big absB(Big a) {
  a.neg = false;
  return a;
}

// n/d rounded with the given mode; d != 0.
Big roundDiv(const Big& n, const Big& d, RoundingMode mode) {
  Big q, r;
  divmod(n, d, &q, &r);
  if (r.zero() || mode == RoundingMode::Down) return q;
  Big twice = absB(add(r, r));
  int c = cmpMag(twice.mag, d.mag);
  bool odd = !q.mag.empty() && (q.mag[0] & 1);
  bool away = c > 0 || (c == 0 && (mode == RoundingMode::HalfUp || odd));
  if (!away) return q;
  return add(q, Big::of(n.neg != d.neg ? -1 : 1));
}

struct Ref { ErrCode code; int64_t v; };

Ref fit(const Big& b) {
  if (b.mag.size() > 2) return {ErrCode::Overflow, 0};
  uint64_t m = 0;
  for (size_t i = b.mag.size(); i-- > 0;) m = (m << 32) | b.mag[i];
  uint64_t limit = b.neg ? uint64_t{1} << 63 : static_cast<uint64_t>(kMax);
  if (m > limit) return {ErrCode::Overflow, 0};
  return {ErrCode::Ok, b.neg ? static_cast<int64_t>(0 - m) : static_cast<int64_t>(m)};
}

const Big kOneB = Big::of(kOne);

Ref refAdd(int64_t a, int64_t b) { return fit(add(Big::of(a), Big::of(b))); }
Ref refSub(int64_t a, int64_t b) { return fit(sub(Big::of(a), Big::of(b))); }
Ref refMul(int64_t a, int64_t b) {
  return fit(roundDiv(mul(Big::of(a), Big::of(b)), kOneB, RoundingMode::HalfEven));
}
Ref refDiv(int64_t a, int64_t b) {
  if (b == 0) return {ErrCode::DivisionByZero, 0};
  return fit(roundDiv(mul(Big::of(a), kOneB), Big::of(b), RoundingMode::HalfEven));
}
Ref refMulRatio(int64_t a, int64_t n, int64_t d) {
  if (d == 0) return {ErrCode::DivisionByZero, 0};
  return fit(roundDiv(mul(Big::of(a), Big::of(n)), Big::of(d), RoundingMode::HalfEven));
}
Ref refMulScaled(int64_t a, int64_t b, int64_t m, int64_t k) {
  return fit(roundDiv(mul(mul(Big::of(a), Big::of(b)), Big::of(m)), mul(Big::of(k), kOneB), RoundingMode::HalfEven));
}
Ref refDivScaled(int64_t a, int64_t b, int64_t m, int64_t k) {
  if (b == 0) return {ErrCode::DivisionByZero, 0};
  return fit(roundDiv(mul(mul(Big::of(a), kOneB), Big::of(m)), mul(Big::of(b), Big::of(k)), RoundingMode::HalfEven));
}
Ref refRound(int64_t a, int64_t q, RoundingMode m) {
  Big qb = Big::of(q);
  return fit(mul(roundDiv(Big::of(a), qb, m), qb));
}

// Random raw values over all magnitudes, biased toward the interesting ones: exact ties, round
// numbers, and the ends of the range.
int64_t randomRaw(std::mt19937_64& rng) {
  static const int64_t kSpecial[] = {0, 1, -1, kOne, -kOne, kOne / 2, -kOne / 2, kMax, kMin,
                                     kMax - 1, kMin + 1, 500, -500, 1500000, -2500000};
  uint64_t pick = rng() % 8;
  uint64_t bits = rng();
  int sign = (rng() & 1) ? -1 : 1;
  switch (pick) {
    case 0: return kSpecial[rng() % std::size(kSpecial)];
    case 1: {  // few significant digits, so products and quotients hit exact ties
      int64_t pow10 = 1;
      for (uint64_t k = rng() % 13; k > 0; --k) pow10 *= 10;
      return sign * static_cast<int64_t>(rng() % 2000) * (pow10 / 2 == 0 ? 1 : pow10 / 2);
    }
    case 2: return static_cast<int64_t>(bits);  // full range
    default: {
      unsigned width = static_cast<unsigned>(rng() % 63);
      int64_t v = static_cast<int64_t>(bits & ((uint64_t{1} << width) - 1));
      return sign * v;
    }
  }
}

void checkSame(ErrCode got, int64_t gotV, Ref want) {
  CHECK(got == want.code);
  if (got == ErrCode::Ok && want.code == ErrCode::Ok) CHECK(gotV == want.v);
}
}  // namespace

TEST_CASE("decimal: reference big integer sanity") {
  Big q, r;
  divmod(Big::of(-7), Big::of(2), &q, &r);
  CHECK(fit(q).v == -3);
  CHECK(fit(r).v == -1);
  CHECK(fit(mul(Big::of(kMin), Big::of(-1))).code == ErrCode::Overflow);
  CHECK(fit(add(Big::of(kMax), Big::of(kMin))).v == -1);
  CHECK(fit(roundDiv(Big::of(-25), Big::of(10), RoundingMode::HalfEven)).v == -2);
  CHECK(fit(roundDiv(Big::of(-25), Big::of(10), RoundingMode::HalfUp)).v == -3);
}

TEST_CASE("decimal: add, sub, neg overflow at both ends") {
  int64_t out = 0;
  CHECK(decAdd(kMax, 1, &out) == ErrCode::Overflow);
  CHECK(decAdd(kMin, -1, &out) == ErrCode::Overflow);
  CHECK(decAdd(kMax, kMin, &out) == ErrCode::Ok);
  CHECK(out == -1);
  CHECK(decSub(kMin, 1, &out) == ErrCode::Overflow);
  CHECK(decSub(0, kMin, &out) == ErrCode::Overflow);
  CHECK(decSub(-1, kMin, &out) == ErrCode::Ok);
  CHECK(out == kMax);
  CHECK(decNeg(kMin, &out) == ErrCode::Overflow);
  CHECK(decNeg(kMax, &out) == ErrCode::Ok);
  CHECK(out == kMin + 1);
  CHECK(decAbs(kMin, &out) == ErrCode::Overflow);
  CHECK(decAbs(-5, &out) == ErrCode::Ok);
  CHECK(out == 5);
  CHECK(decSign(kMin) == -1);
  CHECK(decSign(0) == 0);
  CHECK(decSign(3) == 1);
  CHECK(decFromIntChecked(9'223'372'036'854, &out) == ErrCode::Ok);
  CHECK(out == 9'223'372'036'854'000'000);
  CHECK(decFromIntChecked(9'223'372'036'855, &out) == ErrCode::Overflow);
  CHECK(decFromIntChecked(-9'223'372'036'855, &out) == ErrCode::Overflow);
}

TEST_CASE("decimal: multiplication") {
  int64_t out = 0;
  CHECK(decMul(decFromInt(3), 2'500'000, &out) == ErrCode::Ok);
  CHECK(out == 7'500'000);
  // 0.000001 * 0.5 = 0.0000005 -> tie, rounds to even 0; 0.000003 * 0.5 -> 0.000002.
  CHECK(decMul(1, 500'000, &out) == ErrCode::Ok);
  CHECK(out == 0);
  CHECK(decMul(3, 500'000, &out) == ErrCode::Ok);
  CHECK(out == 2);
  CHECK(decMul(-3, 500'000, &out) == ErrCode::Ok);
  CHECK(out == -2);
  CHECK(decMul(-1, 500'000, &out) == ErrCode::Ok);
  CHECK(out == 0);
  // Product overflows int64 before rescaling but the result fits (int128 path).
  CHECK(decMul(decFromInt(1'000'000), decFromInt(1'000'000), &out) == ErrCode::Ok);
  CHECK(out == decFromInt(1'000'000'000'000));
  CHECK(decMul(kMax, kOne, &out) == ErrCode::Ok);
  CHECK(out == kMax);
  CHECK(decMul(kMin, kOne, &out) == ErrCode::Ok);
  CHECK(out == kMin);
  CHECK(decMul(kMin, -kOne, &out) == ErrCode::Overflow);
  CHECK(decMul(kMax, 2 * kOne, &out) == ErrCode::Overflow);
  CHECK(decMul(kMin, 2 * kOne, &out) == ErrCode::Overflow);
  CHECK(decMul(kMin, kMin, &out) == ErrCode::Overflow);
  CHECK(decMul(kMin, 1, &out) == ErrCode::Ok);  // INT64_MIN * 0.000001
  CHECK(out == -9'223'372'036'855);             // -9223372036854.775808 rounds away from .5+
}

TEST_CASE("decimal: division") {
  int64_t out = 0;
  CHECK(decDiv(kOne, 0, &out) == ErrCode::DivisionByZero);
  CHECK(decDiv(0, 0, &out) == ErrCode::DivisionByZero);
  CHECK(decDiv(kOne, decFromInt(3), &out) == ErrCode::Ok);
  CHECK(out == 333'333);
  CHECK(decDiv(decFromInt(2), decFromInt(3), &out) == ErrCode::Ok);
  CHECK(out == 666'667);
  CHECK(decDiv(-decFromInt(2), decFromInt(3), &out) == ErrCode::Ok);
  CHECK(out == -666'667);
  CHECK(decDiv(5, decFromInt(10), &out) == ErrCode::Ok);  // 0.0000005 tie -> 0
  CHECK(out == 0);
  CHECK(decDiv(15, decFromInt(10), &out) == ErrCode::Ok);  // 0.0000015 tie -> 0.000002
  CHECK(out == 2);
  CHECK(decDiv(-15, -decFromInt(10), &out) == ErrCode::Ok);
  CHECK(out == 2);
  CHECK(decDiv(kMin, -kOne, &out) == ErrCode::Overflow);
  CHECK(decDiv(kMin, kOne, &out) == ErrCode::Ok);
  CHECK(out == kMin);
  CHECK(decDiv(kMax, 500'000, &out) == ErrCode::Overflow);
  CHECK(decDiv(kMin, kMin, &out) == ErrCode::Ok);
  CHECK(out == kOne);
  CHECK(decDiv(1, kMin, &out) == ErrCode::Ok);
  CHECK(out == 0);
}

TEST_CASE("decimal: mulRatio") {
  int64_t out = 0;
  CHECK(decMulRatio(decFromInt(2), 1000, 1, &out) == ErrCode::Ok);
  CHECK(out == decFromInt(2000));
  CHECK(decMulRatio(decFromInt(1), 45359237, 100000000, &out) == ErrCode::Ok);
  CHECK(out == 453'592);  // 0.45359237 -> 0.453592
  CHECK(decMulRatio(decFromInt(1), 1, 0, &out) == ErrCode::DivisionByZero);
  CHECK(decMulRatio(decFromInt(3), 1, -2, &out) == ErrCode::Ok);
  CHECK(out == -1'500'000);
  CHECK(decMulRatio(5, 1, 10, &out) == ErrCode::Ok);  // tie 0.5 raw -> 0
  CHECK(out == 0);
  CHECK(decMulRatio(kMax, kMax, kMax, &out) == ErrCode::Ok);
  CHECK(out == kMax);
  CHECK(decMulRatio(kMin, kMin, kMin, &out) == ErrCode::Ok);
  CHECK(out == kMin);
  CHECK(decMulRatio(kMin, -1, 1, &out) == ErrCode::Overflow);
  CHECK(decMulRatio(kMin, kMin, -1, &out) == ErrCode::Overflow);
}

TEST_CASE("decimal: products and quotients by a unit factor, rounded once") {
  int64_t out = 0;
  // 2.5 USD/lb * 1 t: USD·t/lb, x 1/0.00045359237 to USD, 5511.5565546... USD, rounded once.
  CHECK(decMulScaled(decFromInt(1), 2'500'000, 100'000'000'000, 45'359'237, &out) == ErrCode::Ok);
  CHECK(out == 5'511'556'555);
  // 1 USD / 0.000001 of a unit, x 10^8/45359237: 2204622.6218487... once.
  CHECK(decDivScaled(decFromInt(1), 1, 100'000'000, 45'359'237, &out) == ErrCode::Ok);
  CHECK(out == 2'204'622'621'849);
  CHECK(decDivScaled(decFromInt(1), 0, 3, 7, &out) == ErrCode::DivisionByZero);
  CHECK(decMulScaled(kMax, kMax, kMaxFactor, 1, &out) == ErrCode::Overflow);
  CHECK(decMulScaled(1, 1, 0, 1, &out) == ErrCode::InvalidValue);
  CHECK(decDivScaled(1, 1, 1, kMaxFactor + 1, &out) == ErrCode::InvalidValue);
}

TEST_CASE("decimal: rounding modes") {
  struct Case { int64_t a, quantum; RoundingMode mode; int64_t want; };
  const RoundingMode E = RoundingMode::HalfEven, U = RoundingMode::HalfUp, D = RoundingMode::Down;
  const int64_t c = 10'000;  // 0.01
  const Case cases[] = {
      // Ties at 0.01: 0.125 -> 0.12 / 0.13 / 0.12; 0.135 -> 0.14 / 0.14 / 0.13.
      {125'000, c, E, 120'000}, {125'000, c, U, 130'000}, {125'000, c, D, 120'000},
      {135'000, c, E, 140'000}, {135'000, c, U, 140'000}, {135'000, c, D, 130'000},
      {-125'000, c, E, -120'000}, {-125'000, c, U, -130'000}, {-125'000, c, D, -120'000},
      {-135'000, c, E, -140'000}, {-135'000, c, U, -140'000}, {-135'000, c, D, -130'000},
      // Not ties.
      {125'001, c, E, 130'000}, {124'999, c, U, 120'000}, {-124'999, c, U, -120'000},
      {-125'001, c, E, -130'000}, {-129'999, c, D, -120'000}, {129'999, c, D, 120'000},
      // Quantum 0.05.
      {1'025'000, 50'000, E, 1'000'000}, {1'075'000, 50'000, E, 1'100'000},
      {1'025'000, 50'000, U, 1'050'000}, {-1'025'000, 50'000, U, -1'050'000},
      {1'049'999, 50'000, D, 1'000'000}, {1'030'000, 50'000, E, 1'050'000},
      // Quantum 1 raw: identity in every mode.
      {kMax, 1, E, kMax}, {kMin, 1, U, kMin}, {-7, 1, D, -7},
      // Quantum 1000 (whole thousands).
      {decFromInt(2500), decFromInt(1000), E, decFromInt(2000)},
      {decFromInt(3500), decFromInt(1000), E, decFromInt(4000)},
      {decFromInt(-2500), decFromInt(1000), U, decFromInt(-3000)},
      {decFromInt(-2999), decFromInt(1000), D, decFromInt(-2000)},
      // Quantum 1 (whole units) and zero.
      {2'500'000, kOne, E, 2'000'000}, {-2'500'000, kOne, E, -2'000'000},
      {-500'000, kOne, E, 0}, {-500'000, kOne, U, -kOne}, {0, kOne, U, 0}, {0, c, D, 0},
      // Huge quantum: the midpoint test must not overflow.
      {kMax / 2 + 1, kMax, E, kMax}, {kMax / 2, kMax, U, 0}, {-(kMax / 2) - 1, kMax, U, -kMax},
  };
  for (const Case& t : cases) {
    CAPTURE(t.a);
    CAPTURE(t.quantum);
    CAPTURE(static_cast<int>(t.mode));
    int64_t out = 0;
    CHECK(decRound(t.a, t.quantum, t.mode, &out) == ErrCode::Ok);
    CHECK(out == t.want);
  }
  int64_t out = 0;
  CHECK(decRound(kMax, c, U, &out) == ErrCode::Overflow);
  CHECK(decRound(kMin, c, U, &out) == ErrCode::Overflow);
  CHECK(decRound(kMin, c, D, &out) == ErrCode::Ok);
  CHECK(out == kMin + 5'808);
  CHECK(decRound(kOne, 0, E, &out) == ErrCode::InvalidValue);
  CHECK(decRound(kOne, -c, E, &out) == ErrCode::InvalidValue);
}

TEST_CASE("decimal: parse") {
  struct Ok { const char* text; int64_t raw; };
  const Ok good[] = {
      {"0", 0}, {"-0", 0}, {"+0", 0}, {"1", kOne}, {"-12.5", -12'500'000}, {"+3.25", 3'250'000},
      {"0.000001", 1}, {"-0.000001", -1}, {"007.10", 7'100'000}, {"35000.00", 35'000'000'000},
      {"9223372036854.775807", kMax}, {"-9223372036854.775808", kMin},
      {"9223372036854", 9'223'372'036'854'000'000},
      // 12 digits in all (checked without overflow tests) and 13 (checked per digit)
      {"999999999999", 999'999'999'999'000'000}, {"-999999.999999", -999'999'999'999},
      {"9999999.999999", 9'999'999'999'999}, {"0000000000001", kOne}, {"-000000.000001", -1},
  };
  for (const Ok& t : good) {
    CAPTURE(t.text);
    DecParse p = decParse(t.text);
    CHECK(p.code == ErrCode::Ok);
    CHECK(p.raw == t.raw);
  }
  const char* invalid[] = {"", "-", "+", ".", "1.", ".5", "-.5", "1e3", "1E3", "1,000", " 1", "1 ",
                           "1.0.0", "--1", "+-1", "abc", "1a", "0x10", "1.2345678", "0.0000000",
                           "١", "1_000", "NaN", "inf"};
  for (const char* t : invalid) {
    CAPTURE(t);
    DecParse p = decParse(t);
    CHECK(p.code == ErrCode::InvalidValue);
    CHECK(p.raw == 0);
  }
  const char* range[] = {"9223372036854.775808", "-9223372036854.775809", "9223372036855",
                         "100000000000000000000000", "-99999999999999999999"};
  for (const char* t : range) {
    CAPTURE(t);
    DecParse p = decParse(t);
    CHECK(p.code == ErrCode::OutOfRange);
    CHECK(p.raw == 0);
  }
}

TEST_CASE("decimal: format") {
  CHECK(decFormat(-12'500'000) == "-12.5");
  CHECK(decFormat(35'000'000'000, 2) == "35000.00");
  CHECK(decFormat(35'000'000'000) == "35000");
  CHECK(decFormat(0) == "0");
  CHECK(decFormat(0, 2) == "0.00");
  CHECK(decFormat(1) == "0.000001");
  CHECK(decFormat(-1, 2) == "-0.000001");
  CHECK(decFormat(1'234'500, 2) == "1.2345");
  CHECK(decFormat(1'200'000, 6) == "1.200000");
  CHECK(decFormat(1'200'000, 9) == "1.200000");
  CHECK(decFormat(1'200'000, -3) == "1.2");
  CHECK(decFormat(kMax) == "9223372036854.775807");
  CHECK(decFormat(kMin) == "-9223372036854.775808");
  CHECK(decFormat(decFromInt(1'000'000'000'000)) == "1000000000000");
}

TEST_CASE("decimal: random comparison against big-integer reference") {
  std::mt19937_64 rng(0x10de'dec1'2024ULL);
  const RoundingMode modes[] = {RoundingMode::HalfEven, RoundingMode::HalfUp, RoundingMode::Down};
  const int64_t quanta[] = {1, 10, 5'000, 10'000, 50'000, kOne, decFromInt(1000), 3, 7'777};
  int mismatches = 0;
  for (int i = 0; i < 200'000 && mismatches < 20; ++i) {
    int64_t a = randomRaw(rng), b = randomRaw(rng);
    CAPTURE(a);
    CAPTURE(b);
    int64_t out = 0;
    auto expect = [&](const char* what, ErrCode got, Ref want) {
      bool same = got == want.code && (got != ErrCode::Ok || out == want.v);
      if (!same) {
        ++mismatches;
        INFO(what);
        checkSame(got, out, want);
      }
    };
    expect("add", decAdd(a, b, &out), refAdd(a, b));
    expect("sub", decSub(a, b, &out), refSub(a, b));
    expect("mul", decMul(a, b, &out), refMul(a, b));
    expect("div", decDiv(a, b, &out), refDiv(a, b));
    int64_t num = randomRaw(rng) >> (rng() % 64);
    int64_t den = randomRaw(rng) >> (rng() % 64);
    expect("mulRatio", decMulRatio(a, num, den, &out), refMulRatio(a, num, den));
    // Unit factors: whole numbers up to kMaxFactor, small ones most often (1/0.45359237 is 10^8/45359237).
    int64_t m = 1 + int64_t(rng() % uint64_t(kMaxFactor >> (rng() % 43)));
    int64_t k = 1 + int64_t(rng() % uint64_t(kMaxFactor >> (rng() % 43)));
    expect("mulScaled", decMulScaled(a, b, m, k, &out), refMulScaled(a, b, m, k));
    expect("divScaled", decDivScaled(a, b, m, k, &out), refDivScaled(a, b, m, k));
    int64_t quantum = (i & 1) ? quanta[rng() % std::size(quanta)] : (b == kMin ? kMax : (b < 0 ? -b : b));
    if (quantum > 0) {
      RoundingMode m = modes[rng() % 3];
      expect("round", decRound(a, quantum, m, &out), refRound(a, quantum, m));
    }
    DecParse p = decParse(decFormat(a, static_cast<int>(rng() % 7)));
    if (p.code != ErrCode::Ok || p.raw != a) {
      ++mismatches;
      CHECK(decFormat(a) == decFormat(p.raw));
    }
  }
  CHECK(mismatches == 0);
}

TEST_CASE("errors: codes and texts") {
  CHECK(errCodeName(ErrCode::Ok) == "E0000");
  CHECK(errCodeName(ErrCode::Overflow) == "E0001");
  CHECK(errCodeName(ErrCode::MissingObservation) == "E0003");
  CHECK(errCodeName(ErrCode::BadUnit) == "E0011");
  CHECK(errCodeText(ErrCode::MissingObservation) == "no market observation");
  CHECK(errCodeText(ErrCode::DivisionByZero) == "division by zero");
  CHECK(errCodeName(static_cast<ErrCode>(999)) == "E????");
}
