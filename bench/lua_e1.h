// E1 in Lua 5.4 and in LuaJIT (bench/lua/), next to the hand-written C++ (bench/e1_native.h): what an
// integrator who embeds a scripting language instead of lode would write. E1Data loads the agreement's
// sample data once for both; LuaE1 is one Lua version behind its shim library (bench/lua/shim.h).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/e1_native.h"
#include "bench/lua/shim.h"
#include "runtime/market.h"
#include "runtime/registry.h"

namespace lode::bench {

// E1's sample shipments, market and registry, loaded as engines_bench.cpp's E1 loads them (that one
// also JIT-compiles, which the Lua versions do not need), with the hand-written baseline over them.
// The Lua versions get the same inputs as plain rows: the BMI.USPG10 observations and the registry
// rows the runtime accepted; they do their own window averages and ownership chains.
struct E1Data {
  struct Observation { int32_t date; int64_t raw; };
  struct OwnerRow { std::string entity, owner; int64_t share, country; };

  rt::MarketData market;
  rt::OwnershipGraph ownership;
  std::vector<E1Shipment> shipments;  // the sample file's good rows
  std::unique_ptr<E1Native> native;
  std::vector<Observation> bmi;       // sorted by date, one per date
  std::vector<OwnerRow> owners;

  E1Data();  // throws std::runtime_error
  E1Data(const E1Data&) = delete;  // native points into market and ownership
  E1Data& operator=(const E1Data&) = delete;
  static const E1Data& get();
};

// One Lua version of E1: its shim dlopened (RTLD_LOCAL, so Lua 5.4 and LuaJIT do not see each
// other's lua_* symbols), the script loaded and given the market and registry rows.
class LuaE1 {
 public:
  // shim: path of the shim library; dir, script: where the .lua files are, which one to run.
  LuaE1(const std::string& shim, const std::string& dir, const std::string& script, const E1Data& data);  // throws
  ~LuaE1();
  LuaE1(const LuaE1&) = delete;
  LuaE1& operator=(const LuaE1&) = delete;

  // Marshals the shipment into the shim's struct and calls into Lua once. A Lua error (a bug in the
  // script, not an evaluation error of the agreement) aborts the benchmark with its message.
  E1Result price(const E1Shipment& s);
  const char* engine() const { return api_->engine; }

 private:
  void* lib_ = nullptr;
  const lode_lua_api* api_ = nullptr;
  lode_lua_vm* vm_ = nullptr;
};

}  // namespace lode::bench
