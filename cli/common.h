// Pieces the lode commands share: exit codes, compiling with diagnostics on stderr, loading market
// and registry files, and capped row-error reporting. Only the CLI prints; the libraries never do.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "compiler/driver.h"
#include "compiler/testing/example_runner.h"
#include "runtime/record.h"

namespace lode::cli {

// Exit codes, the same for every command (docs/cli.md).
inline constexpr int kExitOk = 0;        // done, nothing wrong
inline constexpr int kExitFindings = 1;  // diagnostics, failing examples, rows with errors
inline constexpr int kExitUsage = 2;     // bad command line, unreadable or unwritable file

// Thrown for problems that make running the command pointless (unknown registry name, unreadable
// file). main() prints "lode: <what>" and exits with kExitUsage.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// True when the file can be opened for reading (checked up front so "no such file" is an I/O error,
// exit 2, rather than a diagnostic about the agreement).
bool readable(const std::string& path);
std::string fileStem(const std::string& path);

// --engine, --jit-opt and --jit-cache, shared by `price` and `test`. The JIT is the default engine:
// the differential tests hold it to the interpreter's results on every corpus file.
struct EngineOptions {
  std::string engine = "jit";
  std::string jitOpt = "O2";
  std::string jitCache;  // default: $LODE_JIT_CACHE when set
  void addTo(CLI::App* sub);
  jit::CompileOptions compileOptions() const;
  testing::Executor executor(const ir::Program& p) const { return testing::executorFor(engine, p, compileOptions()); }
};

struct DiagCounts {
  size_t errors = 0, warnings = 0;
};

// Compiles one agreement (or module when requireHeader is false), printing diagnostics to stderr:
// errors always, warnings and their notes unless `quiet`. Throws UsageError when the file cannot be read.
std::unique_ptr<Compilation> compileReported(const std::string& path, const CompileOptions& opts, bool quiet,
                                             DiagCounts& counts);

// Prints row errors as "file:row: field: message", at most `limit` of them; the rest are counted and
// mentioned once by finish(). Keeps a flood of identical errors in a big file readable.
class RowErrorPrinter {
 public:
  explicit RowErrorPrinter(size_t limit = 100) : limit_(limit) {}
  void print(const rt::RowError& e);
  void printText(const std::string& line);  // an already formatted line, under the same cap
  void warn(const rt::RowError& e);         // "warning: ..." (not capped: one per header problem)
  void finish();                            // "... N more not shown"
  size_t printed() const { return printed_; }

 private:
  size_t limit_;
  size_t printed_ = 0, suppressed_ = 0;
};

// Loads --market and --registry files into `in`. Row errors are printed (loading goes on) and
// counted in `rowErrors`; an unreadable file or an unknown registry name throws UsageError.
// Registry specs are NAME=FILE, or FILE whose stem names the registry.
void loadMarket(const ir::Program& p, testing::InputSet& in, const std::string& path, RowErrorPrinter& out,
                size_t& rowErrors);
// Tariff-rate quota balances (quota,period,key,used); bad rows are reported and counted.
void loadQuotas(testing::InputSet& in, const std::string& path, RowErrorPrinter& out, size_t& rowErrors);
void loadRegistries(const ir::Program& p, testing::InputSet& in, const std::vector<std::string>& specs,
                    RowErrorPrinter& out, size_t& rowErrors);

// The shipment's id field ("" when absent).
std::string shipmentId(const rt::Record& rec);

}  // namespace lode::cli
