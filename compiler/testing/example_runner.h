// Runs an agreement's inline `example` blocks against an executor and compares the results with
// their `expect` clauses (lode test). The executor is a parameter so the interpreter and, later,
// the JIT are checked by the same runner against the same expectations.
#pragma once
#include <functional>
#include <istream>
#include <memory>
#include <string>
#include <vector>

#include "compiler/diag/source.h"
#include "compiler/interp/interp.h"
#include "compiler/ir/ir.h"
#include "runtime/assessment.h"
#include "runtime/market.h"
#include "runtime/record.h"
#include "runtime/registry.h"

namespace lode::testing {

struct ExampleResult {
  std::string title;
  bool passed = false;
  std::vector<std::string> failures;  // one sentence each, naming the example and the expectation
};

// Prices one shipment. Must record problems in the assessment; an exception is reported as a failure.
using Executor = std::function<void(const rt::Record&, const interp::Inputs&, rt::Assessment&)>;

std::vector<ExampleResult> runExamples(const ir::Program& p, const SourceManager& sm, Executor exec);

// The reference interpreter as an Executor (the Interpreter is owned by the returned function).
Executor interpreterExecutor(const ir::Program& p);
// The JIT engine as an Executor: the program's expressions compiled with LLVM. Throws
// std::runtime_error when LLVM cannot compile them (a bug: every checked program must compile).
Executor jitExecutor(const ir::Program& p, const jit::CompileOptions& options = {});
// The program's expressions compiled with LLVM; throws std::runtime_error when LLVM fails.
std::unique_ptr<jit::CompiledProgram> compileNative(const ir::Program& p, const jit::CompileOptions& options = {});
// "interp" or "jit"; throws std::invalid_argument for another name.
Executor executorFor(const std::string& engine, const ir::Program& p, const jit::CompileOptions& options = {});

// Run-time inputs built from data: one table per keyed registry (empty when no rows were given, so an
// executor never sees a null table for a declared registry), one ownership graph shared by all
// ownership registries, and market data whose series handles equal the program's series indices.
// Owns everything `inputs()` points to; not copyable because the pointers refer into it.
class InputSet {
 public:
  explicit InputSet(const ir::Program& p);
  InputSet(const InputSet&) = delete;
  InputSet& operator=(const InputSet&) = delete;

  rt::MarketData& market() { return market_; }
  rt::OwnershipGraph& ownership() { return ownership_; }
  rt::QuotaLedger& quotas() { return quotas_; }
  // Quota state (QuotaLedger::loadCsv) whose rows are checked against the agreement's quotas.
  std::vector<rt::RowError> loadQuotaState(std::istream& in, const std::string& fileName);
  // Null for ownership registries (they all use ownership()).
  rt::RegistryTable* table(size_t registry) { return registry < tables_.size() ? tables_[registry].get() : nullptr; }
  const interp::Inputs& inputs();

 private:
  const ir::Program& p_;
  rt::MarketData market_;
  std::vector<int> seriesHandles_;  // per Program::series, from market_.declare
  rt::OwnershipGraph ownership_;
  rt::QuotaLedger quotas_;
  std::vector<std::unique_ptr<rt::RegistryTable>> tables_;
  interp::Inputs inputs_;
};

// Adds an ownership row (a record with the registry's entity/owner/share/country columns) to a graph.
bool addOwnershipRow(const ir::Registry& reg, const rt::Record& row, rt::OwnershipGraph& g, rt::RowError& err);

// An example's market observations, registry rows and quota balances, added to `in` (market not yet
// finalized). Returns one sentence per row that could not be added.
std::vector<std::string> addExampleInputs(const ir::Program& p, const ir::Example& ex, InputSet& in);

// First come, first served: takes each quota request's in-quota quantity from the balances.
void commitQuotas(const ir::Program& p, const rt::Assessment& a, rt::QuotaLedger& ledger);

// Fills absent shipment fields that have a declared default (`attribute coated: bool default false`).
// Readers know nothing of defaults, so every caller feeding an executor applies them first.
void applyFieldDefaults(const ir::Program& p, rt::Record& rec);

}  // namespace lode::testing
