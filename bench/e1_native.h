// E1 (graphite_anode_na_indopacific.lode) written by hand in C++: the native baseline the JIT is
// measured against. Same exact arithmetic (the lode runtime's fixed-point decimal, market windows and
// ownership graph), same order of operations as the checked IR, a plain struct instead of a record.
// It prices the agreement's sample shipments; the benchmark checks it against the interpreter before
// measuring, so the baseline cannot drift from the agreement.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "compiler/ir/ir.h"
#include "runtime/market.h"
#include "runtime/registry.h"

namespace lode::bench {

struct E1Shipment {
  int32_t date = 0;
  std::string hs;          // digits
  int64_t origin = 0;      // packed country
  int mineral = -1;        // 0 graphite, -1 other
  int node = -1;           // index in std.minerals `node`
  int64_t quantity = 0;    // t, raw
  int64_t value = 0;       // USD, raw
  bool hasFacility = false;
  std::string facility;
  bool hasEnergyDensity = false;
  int64_t energyDensity = 0;  // mAh/g, raw
  bool coated = false;
  bool feocControlled = false;
  bool hasContentValue = false;
  int64_t contentValue = 0;   // USD, raw
};

struct E1Result {
  bool ok = true;              // false: an evaluation error (a clause failed)
  int64_t total = 0;           // rounded, raw
  int lines = 0;
  int64_t origin = 0;
};

// A shipment record of the agreement as the baseline's plain struct (fields looked up by name).
E1Shipment toE1Shipment(const ir::Program& p, const rt::Record& r);

class E1Native {
 public:
  E1Native(const rt::MarketData& market, int bmiHandle, const rt::OwnershipGraph& owners)
      : market_(market), bmi_(bmiHandle), owners_(owners) {}
  E1Result price(const E1Shipment& s) const;

 private:
  const rt::MarketData& market_;
  int bmi_;
  const rt::OwnershipGraph& owners_;
};

}  // namespace lode::bench
