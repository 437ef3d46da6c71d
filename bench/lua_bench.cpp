// E1 in Lua 5.4 and in LuaJIT (bench/lua/), priced round-robin over the sample shipments like
// BM_NativeE1PerShipment in engines_bench.cpp, in the same run so the ratios hold. Each call marshals
// one shipment into Lua and its result back out. Before measuring, each Lua version must price
// exactly like the hand-written C++ (itself checked against the interpreter in engines_bench.cpp).
#include <benchmark/benchmark.h>

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iterator>
#include <string>
#include <vector>

#include "bench/lua_e1.h"
#include "runtime/date.h"
#include "runtime/record.h"

namespace {

using lode::bench::E1Data;
using lode::bench::E1Result;
using lode::bench::E1Shipment;
using lode::bench::LuaE1;

// Shipments recombined from the samples' fields with a fixed seed and pushed to E1's edges: the
// phase-in, accession, in-force and expiry dates, every registry entity (chains included) and none,
// the 330 mAh/g scope, duty lines on a half cent, values large enough for the 128-bit paths or to
// overflow, a zero quantity. The samples alone leave most of those branches untaken.
std::vector<E1Shipment> edgeCases(const E1Data& d, size_t n) {
  using lode::rt::countryCode, lode::rt::daysFromCivil;
  const int32_t dates[] = {daysFromCivil(2026, 12, 31), daysFromCivil(2027, 1, 1),  daysFromCivil(2027, 12, 31),
                           daysFromCivil(2028, 1, 1),   daysFromCivil(2028, 6, 30), daysFromCivil(2028, 7, 1),
                           daysFromCivil(2028, 12, 31), daysFromCivil(2029, 1, 1),  daysFromCivil(2029, 5, 30),
                           daysFromCivil(2029, 6, 1),   daysFromCivil(2036, 12, 31), daysFromCivil(2037, 1, 1)};
  const int64_t origins[] = {countryCode('C', 'N'), countryCode('I', 'D'), countryCode('M', 'Z'),
                             countryCode('N', 'O'), countryCode('U', 'S'), countryCode('K', 'R'),
                             countryCode('J', 'P'), countryCode('R', 'U'), countryCode('C', 'A')};
  const int64_t densities[] = {329'000'000, 330'000'000, 340'000'000};
  // 2.005 USD and 90 % of 4.45 USD round half-even to the cent; the last three overflow somewhere.
  const int64_t values[] = {1, 2'005'000, 4'450'000, 92'233'720'368'547, 922'337'203'685'477, INT64_MAX / 10 * 6, INT64_MAX};
  const int64_t quantities[] = {0, 1'100, 2'000'000, 20'000'000'000};
  std::vector<std::string> facilities = {"", "F-UNKNOWN"};
  for (const auto& o : d.owners) facilities.push_back(o.entity);
  uint64_t x = 0x9E3779B97F4A7C15ULL;
  auto next = [&](uint64_t bound) { x ^= x << 13, x ^= x >> 7, x ^= x << 17; return x % bound; };  // xorshift64
  std::vector<E1Shipment> out;
  for (size_t i = 0; i < n; ++i) {
    E1Shipment s = d.shipments[next(d.shipments.size())];
    const E1Shipment& other = d.shipments[next(d.shipments.size())];
    if (next(2)) s.hs = other.hs, s.node = other.node, s.coated = other.coated;
    if (next(2)) s.date = dates[next(std::size(dates))];
    if (next(2)) s.origin = origins[next(std::size(origins))];
    if (next(2)) {
      s.facility = facilities[next(facilities.size())];
      s.hasFacility = !s.facility.empty();
    }
    if (next(3) == 0) s.hasEnergyDensity = next(4) != 0, s.energyDensity = densities[next(std::size(densities))];
    if (next(4) == 0) s.value = values[next(std::size(values))];
    if (next(6) == 0) s.quantity = quantities[next(std::size(quantities))];
    if (next(8) == 0) s.hasContentValue = !s.hasContentValue, s.contentValue = s.value / 7;
    if (next(8) == 0) s.feocControlled = !s.feocControlled;
    if (next(16) == 0) s.mineral = -1;
    out.push_back(s);
  }
  return out;
}

// The same ok flag, and when ok the same total, number of lines and effective origin, on every
// shipment; otherwise the figures would compare different programs.
void verify(LuaE1& lua, const E1Data& d, const std::vector<E1Shipment>& shipments, const char* what) {
  for (size_t i = 0; i < shipments.size(); ++i) {
    E1Result n = d.native->price(shipments[i]), l = lua.price(shipments[i]);
    if (n.ok != l.ok || (n.ok && (n.total != l.total || n.lines != l.lines || n.origin != l.origin))) {
      std::fprintf(stderr, "%s's E1 disagrees with the hand-written E1 on %s %zu: ok %d/%d total %" PRId64 "/%" PRId64
                   " lines %d/%d\n", lua.engine(), what, i + 1, n.ok, l.ok, n.total, l.total, n.lines, l.lines);
      std::abort();
    }
  }
}

// Two VMs per version: one checked on the edge cases, then dropped, so that the measured one, checked
// on the sample shipments only, has warmed up (LuaJIT: traced) on just what it prices, as every other
// engine here prices the samples only. Null when a shim or script cannot be loaded (the message is
// printed; the other benchmarks still run); a disagreement aborts.
LuaE1* load(const char* shim, const char* script) {
  try {
    const E1Data& d = E1Data::get();
    {
      LuaE1 lua(shim, LODE_LUA_DIR, script, d);
      verify(lua, d, edgeCases(d, 20000), "edge case");
    }
    auto* lua = new LuaE1(shim, LODE_LUA_DIR, script, d);  // lives to the end: benchmarks run repeatedly
    verify(*lua, d, d.shipments, "sample shipment");
    return lua;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return nullptr;
  }
}

void runLua(benchmark::State& state, LuaE1* lua) {
  if (!lua) {
    state.SkipWithError("cannot load this Lua version of E1 (see the message above)");
    return;
  }
  const auto& shipments = E1Data::get().shipments;
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(lua->price(shipments[i]));
    if (++i == shipments.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(lua->engine());
}

#ifdef LODE_LUA54_SHIM
void BM_Lua54E1PerShipment(benchmark::State& state) {
  static LuaE1* lua = load(LODE_LUA54_SHIM, "e1.lua");
  runLua(state, lua);
}
BENCHMARK(BM_Lua54E1PerShipment);
#endif

#ifdef LODE_LUAJIT_SHIM
void BM_LuaJitE1PerShipment(benchmark::State& state) {
  static LuaE1* lua = load(LODE_LUAJIT_SHIM, "e1_luajit.lua");
  runLua(state, lua);
}
BENCHMARK(BM_LuaJitE1PerShipment);
#endif

}  // namespace
