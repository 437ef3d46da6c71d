// Random operands for the Lua decimal modules (dec54.lua, dec_luajit.lua) with the lode runtime's
// answers, one case a line: "op a b c result", result "nil" for an error. Edge values, every
// magnitude and ties are drawn on purpose, so the 128-bit paths and the rounding are exercised:
//   build/bench/lode_lua_dec_cases 200000 > cases.txt
//   lua5.4 bench/lua/dec_check.lua bench/lua/dec54.lua cases.txt
//   luajit bench/lua/dec_check.lua bench/lua/dec_luajit.lua cases.txt
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <random>

#include "runtime/decimal.h"
#include "runtime/market.h"

using namespace lode::rt;

namespace {

std::mt19937_64 rng(12345);

int64_t operand() {
  static const int64_t edges[] = {0, 1, -1, 2, -2, 500000, -500000, 1000000, -1000000, 1500000, 2500000, -2500000,
                                  INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1, 9223372036854, -9223372036854,
                                  9223372036855, 3037000499, 3037000500, 100000000, 4294967296, -4294967296, 10000,
                                  5000, 15000, -5000};
  switch (rng() % 4) {
    case 0: return edges[rng() % std::size(edges)];
    case 1: {  // any magnitude
      int64_t v = int64_t(rng() >> (rng() % 64) >> 1);
      return rng() & 1 ? -v : v;
    }
    case 2: {  // multiples of a half: ties
      int64_t v = int64_t(rng() % 100000) * 500000;
      return rng() & 1 ? -v : v;
    }
    default: return int64_t(rng());
  }
}

void show(const char* op, int64_t a, int64_t b, int64_t c, ErrCode e, int64_t r) {
  if (e == ErrCode::Ok) std::printf("%s %lld %lld %lld %lld\n", op, (long long)a, (long long)b, (long long)c, (long long)r);
  else std::printf("%s %lld %lld %lld nil\n", op, (long long)a, (long long)b, (long long)c);
}

}  // namespace

int main(int argc, char** argv) {
  const long n = argc > 1 ? std::atol(argv[1]) : 100000;
  for (long i = 0; i < n; ++i) {
    int64_t a = operand(), b = operand(), c = operand(), r = 0;
    ErrCode e = decAdd(a, b, &r);
    show("add", a, b, 0, e, r);
    e = decSub(a, b, &r);
    show("sub", a, b, 0, e, r);
    e = decMul(a, b, &r);
    show("mul", a, b, 0, e, r);
    e = decDiv(a, b, &r);
    show("div", a, b, 0, e, r);
    e = decMulRatio(a, b, c, &r);
    show("ratio", a, b, c, e, r);
    int64_t quantum = b > 0 ? b : b == 0 || b == INT64_MIN ? 10000 : -b;
    e = decRound(a, quantum, RoundingMode::HalfEven, &r);
    show("round", a, quantum, 0, e, r);
    // The window mean of 1 to 4 observations: "mean n v1 .. vn result".
    MarketData m;
    int count = 1 + int(rng() % 4);
    std::printf("mean %d", count);
    for (int k = 0; k < count; ++k) {
      int64_t v = k == 0 ? a : k == 1 ? b : k == 2 ? c : operand();
      m.add("s", k, v);
      std::printf(" %lld", (long long)v);
    }
    m.finalize();
    m.avg("s", 0, count, &r);
    std::printf(" %lld\n", (long long)r);
  }
}
