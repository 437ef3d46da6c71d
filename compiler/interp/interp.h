// The reference interpreter: walks the IR of one program for one shipment at a time.
// Thread-safe: evaluate() keeps all per-shipment state on the caller's side (EvalScratch).
#pragma once
#include <array>
#include <vector>

#include "compiler/ir/ir.h"
#include "compiler/jit/jit.h"
#include "runtime/assessment.h"
#include "runtime/market.h"
#include "runtime/quota.h"
#include "runtime/record.h"
#include "runtime/registry.h"

namespace lode::interp {

// Run-time data an evaluation reads besides the shipment. Index = registry index in the program;
// ownership registries use `ownership`, keyed tables use `tables`.
struct Inputs {
  const rt::MarketData* market = nullptr;
  // Per Program::series, its handle in `market`, bound once (MarketData::declare) so that pricing does
  // no lookup by name; empty: each evaluation looks the series up by its key.
  std::vector<int> seriesHandles;
  std::vector<const rt::RegistryTable*> tables;
  const rt::OwnershipGraph* ownership = nullptr;
  const rt::QuotaLedger* quotas = nullptr;  // null: every quota balance is untouched
};

// The callback compiled expressions use for nodes they do not generate inline (jit.h).
jit::Callbacks jitCallback();

class Interpreter {
 public:
  // With `compiled`, expressions run as native code from the LLVM JIT and only the clause skeleton
  // is walked here: the "jit" engine. Without, every node is interpreted: the reference.
  explicit Interpreter(const ir::Program& p, const jit::CompiledProgram* compiled = nullptr);
  // Prices one shipment. Errors are recorded in `out.errors`, never thrown.
  void evaluate(const rt::Record& shipment, const Inputs& in, rt::Assessment& out, bool trace = false) const;
  const ir::Program& program() const { return p_; }

 private:
  const ir::Program& p_;
  const jit::CompiledProgram* compiled_;

 public:
  // A group of countries none of whose members has dates, a bit per two-letter code: the ownership
  // walk tests the country of every owner it meets, and a loop over the members cost more than the
  // walk itself.
  struct CountrySet {
    bool undated = false;  // false: test the members one by one, with their dates
    std::array<uint64_t, 11> bits{};  // 26 x 26 codes
    // The bit of a packed code (rt::countryCode of two capital letters), or -1.
    static int index(int64_t code) {
      uint64_t a = (uint64_t(code) >> 8) - 'A', b = (uint64_t(code) & 0xff) - 'A';
      return uint64_t(code) <= 0xffff && a < 26 && b < 26 ? int(a * 26 + b) : -1;
    }
    bool has(int64_t code) const {
      int i = index(code);
      return i >= 0 && (bits[size_t(i) / 64] >> (i % 64) & 1);
    }
  };
  // What evaluations read besides the program, built once here.
  struct Tables {
    std::vector<CountrySet> groupSets;                            // per Program::groups entry
    std::vector<std::vector<rt::HsRange>> hsRanges;               // per Program::strLists entry: its HS prefixes as key ranges
    std::vector<std::array<rt::FieldValue, 2>> classified;       // per classification: the mineral and node it fills
    std::vector<rt::HsRange> classifiedRanges;                   // ... and its HS prefix as a key range
    // Per-shipment state bytes: top-level values' states, then fired blocks, then scope answers.
    uint64_t id = 0;  // unique per interpreter: which one a thread's buffers were sized for
    uint32_t defs = 0, blocks = 0, stateBytes = 0;
    uint32_t compiledSlots = 0;  // locals the compiled measures may write (CompiledProgram::maxSlots)
    ir::OriginReaders originReaders;  // scopes answered before the origin is settled, values to redo
    std::vector<uint32_t> portionReaders;  // values to redo for each quota part, and after
    std::vector<uint32_t> classificationReaders;  // values to redo once a `classify` rule applies
    std::vector<uint32_t> required;        // the shipment fields every evaluation needs
    bool requiredAreStandard = false;      // exactly date, hs, origin, quantity and value
  };

 private:
  Tables tables_;
};

}  // namespace lode::interp
