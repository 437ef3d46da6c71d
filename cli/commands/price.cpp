// lode price AGREEMENT --shipments FILE : evaluate every shipment of a file, one output line each.
//
// Streams: one record in, one line out, with the record, the assessment and the line buffer reused,
// so memory stays flat however large the shipment file is. A bad row never stops the batch: it is
// reported on stderr and written to the output with its errors.
#include <fmt/format.h>

#include <fstream>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/commands/commands.h"
#include "cli/common.h"
#include "cli/progress.h"
#include "compiler/interp/interp.h"
#include "compiler/report/report.h"
#include "runtime/shipment_reader.h"

namespace lode::cli {

namespace {

struct PriceOptions {
  std::string agreement;
  std::string shipments;
  std::string market;
  std::vector<std::string> registries;
  std::string quotas, quotasOut;
  EngineOptions engine;
  std::string format = "jsonl";
  std::string inputFormat;
  std::string out;
  std::string stdlib;
  bool trace = false;
  size_t maxErrors = 100;
};

bool endsWith(const std::string& s, std::string_view suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}

rt::RecordFormat inputFormatOf(const PriceOptions& o) {
  if (o.inputFormat == "csv") return rt::RecordFormat::Csv;
  if (o.inputFormat == "jsonl") return rt::RecordFormat::Jsonl;
  // As docs/formats.md says: JSON Lines by extension, CSV for everything else (stdin included).
  if (endsWith(o.shipments, ".jsonl") || endsWith(o.shipments, ".ndjson") || endsWith(o.shipments, ".json"))
    return rt::RecordFormat::Jsonl;
  return rt::RecordFormat::Csv;
}

// Owns the output stream; stdout is never closed.
struct Output {
  std::FILE* f = stdout;
  bool owned = false;
  ~Output() {
    if (owned && f) std::fclose(f);
  }
};

int runPrice(const PriceOptions& o) {
  if (o.trace && o.format != "jsonl") throw UsageError("--trace needs --format jsonl (a trace does not fit a CSV cell)");
  rt::RecordFormat inFmt = inputFormatOf(o);

  CompileOptions copts;
  copts.stdlibDir = o.stdlib;
  DiagCounts counts;
  std::unique_ptr<Compilation> c = compileReported(o.agreement, copts, /*quiet=*/true, counts);
  if (!c->program) {
    std::fprintf(stderr, "lode price: %s has errors; nothing priced\n", o.agreement.c_str());
    return kExitFindings;
  }
  const ir::Program& p = *c->program;

  // Reference data first: a missing market file should fail before any output is written.
  RowErrorPrinter errors(o.maxErrors);
  size_t inputErrors = 0;
  testing::InputSet inputs(p);
  if (!o.market.empty()) loadMarket(p, inputs, o.market, errors, inputErrors);
  loadRegistries(p, inputs, o.registries, errors, inputErrors);
  if (!o.quotas.empty()) loadQuotas(inputs, o.quotas, errors, inputErrors);
  const interp::Inputs& in = inputs.inputs();

  rt::ReaderOptions ropts;
  ropts.countries = p.countries.empty() ? nullptr : &p.countries;
  ropts.uniqueField = p.shipment.find("id");  // a declaration id twice in one batch is a row error
  rt::RecordReader reader(p.shipment, ropts);
  if (o.shipments == "-") {
    reader.attach(std::cin, inFmt, "<stdin>");
  } else {
    rt::RowError err;
    if (!reader.open(o.shipments, inFmt, err)) throw UsageError(fmt::format("cannot read shipments file '{}'", o.shipments));
  }

  // The new quota state is written beside its destination and renamed over it at the end, so a run
  // that fails halfway leaves the old state whole (it may be the --quotas file itself); opened now so
  // that an unwritable place fails before anything is priced.
  std::string quotasPartial = o.quotasOut.empty() ? std::string() : o.quotasOut + ".partial";
  std::ofstream quotasFile;
  if (!quotasPartial.empty()) {
    quotasFile.open(quotasPartial, std::ios::binary | std::ios::trunc);
    if (!quotasFile) throw UsageError(fmt::format("cannot write quota state '{}'", o.quotasOut));
  }
  Output out;
  if (!o.out.empty()) {
    out.f = std::fopen(o.out.c_str(), "wb");
    if (!out.f) throw UsageError(fmt::format("cannot write '{}'", o.out));
    out.owned = true;
  }
  static char buffer[1 << 20];  // fewer write calls; lines are small and many
  std::setvbuf(out.f, buffer, _IOFBF, sizeof buffer);

  // The progress line would tear the results apart when both go to the same terminal.
  bool resultsOnTerminal = !out.owned && isatty(fileno(stdout));
  Progress progress(!resultsOnTerminal);

  // The jit engine compiles the agreement's expressions to native code once, before the first row.
  std::unique_ptr<jit::CompiledProgram> compiled;
  if (o.engine.engine == "jit") compiled = testing::compileNative(p, o.engine.compileOptions());
  interp::Interpreter interp(p, compiled.get());
  std::string line;
  if (o.format == "csv") {
    line = report::csvHeader() + '\n';
    std::fwrite(line.data(), 1, line.size(), out.f);
  }

  size_t warned = 0;
  auto flushWarnings = [&] {
    for (; warned < reader.warnings().size(); ++warned) errors.warn(reader.warnings()[warned]);
  };
  flushWarnings();  // CSV header problems are known right after opening

  rt::Record rec;
  std::vector<rt::RowError> rowErrs;
  rt::Assessment a;
  uint64_t rows = 0, badRows = 0;
  while (reader.next(rec, rowErrs)) {
    flushWarnings();
    ++rows;
    std::string id = shipmentId(rec);
    line.clear();
    if (!rowErrs.empty()) {
      ++badRows;
      for (const rt::RowError& e : rowErrs) errors.print(e);
      if (o.format == "csv") report::appendInputErrorsCsv(line, p, rec.row, id, rowErrs);
      else report::appendInputErrorsJson(line, p, rec.row, id, rowErrs);
    } else {
      testing::applyFieldDefaults(p, rec);
      a.clear();
      a.origin = a.declaredOrigin = 0;  // clear() keeps them; a stale origin must not leak across rows
      interp.evaluate(rec, in, a, o.trace);
      // First come, first served: a row with errors still holds what it was granted (its
      // declaration exists and customs decides on it).
      testing::commitQuotas(p, a, inputs.quotas());
      if (!a.ok()) {
        ++badRows;
        for (const rt::EvalError& e : a.errors) {
          std::string at = report::clausePosition(p, c->sm, e.pos);
          errors.printText(fmt::format("{}:{}: {} {}{}", reader.fileName(), rec.row, rt::errCodeName(e.code),
                                       report::errorMessage(e), at.empty() ? "" : " (at " + at + ")"));
        }
      }
      if (o.format == "csv") report::appendAssessmentCsv(line, p, c->sm, a, rec.row, id);
      else report::appendAssessmentJson(line, p, c->sm, a, rec.row, id);
    }
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), out.f);
    progress.tick(rows);
  }
  flushWarnings();
  errors.finish();

  bool writeFailed = std::fflush(out.f) != 0 || std::ferror(out.f);
  bool quotasFailed = false;
  if (!quotasPartial.empty()) {
    inputs.quotas().writeCsv(quotasFile);
    quotasFile.close();
    quotasFailed = !quotasFile || std::rename(quotasPartial.c_str(), o.quotasOut.c_str()) != 0;
    if (quotasFailed) std::remove(quotasPartial.c_str());
  }
  if (out.owned) {
    writeFailed |= std::fclose(out.f) != 0;
    out.f = nullptr;
  }
  progress.clear();
  double secs = progress.elapsedSeconds();
  std::fprintf(stderr, "priced %llu rows, %llu with errors, in %.2f s", static_cast<unsigned long long>(rows),
               static_cast<unsigned long long>(badRows), secs);
  if (secs > 0 && rows > 0) std::fprintf(stderr, " (%.0f rows/s)", rows / secs);
  std::fputc('\n', stderr);
  if (inputErrors > 0)
    std::fprintf(stderr, "%zu %s in market, registry or quota state files\n", inputErrors, inputErrors == 1 ? "error" : "errors");
  if (writeFailed) std::fprintf(stderr, "lode: writing %s failed\n", o.out.empty() ? "stdout" : o.out.c_str());
  if (quotasFailed) std::fprintf(stderr, "lode: writing quota state %s failed; it is unchanged\n", o.quotasOut.c_str());
  if (writeFailed || quotasFailed) return kExitUsage;
  return badRows > 0 || inputErrors > 0 ? kExitFindings : kExitOk;
}

}  // namespace

void addPriceCommand(CLI::App& app, int& rc) {
  auto o = std::make_shared<PriceOptions>();
  CLI::App* sub = app.add_subcommand("price", "Evaluate a file of shipments, one result line per shipment");
  sub->add_option("AGREEMENT", o->agreement, "Agreement file (.lode)")->required();
  sub->add_option("-s,--shipments", o->shipments, "Shipments: .jsonl/.ndjson/.json are JSON Lines, anything else CSV; - reads stdin")
      ->required();
  sub->add_option("-m,--market", o->market, "Market observations CSV: series,date,value");
  sub->add_option("-r,--registry", o->registries, "Registry CSV as NAME=FILE, or FILE named after the registry; repeatable")
      ->allow_extra_args(false);  // one file per --registry, so a following AGREEMENT is not swallowed
  o->engine.addTo(sub);
  sub->add_option("--quotas", o->quotas, "Tariff-rate quota balances used so far: CSV quota,period,key,used");
  sub->add_option("--quotas-out", o->quotasOut, "Write the quota balances after the batch (same CSV) to FILE");
  sub->add_option("-f,--format", o->format, "Output format (default jsonl)")->check(CLI::IsMember({"jsonl", "csv"}));
  sub->add_option("--input-format", o->inputFormat, "Override the shipments format chosen from the file name")
      ->check(CLI::IsMember({"csv", "jsonl"}));
  sub->add_option("-o,--out", o->out, "Write results to FILE instead of stdout");
  sub->add_flag("--trace", o->trace, "Add the derivation (\"trace\") to every JSON line");
  sub->add_option("--max-errors", o->maxErrors, "Row errors printed on stderr before the rest are only counted (default 100)");
  sub->add_option("--stdlib", o->stdlib, "Directory of the standard modules (`use std.NAME`)")
      ->check(CLI::ExistingDirectory);
  sub->footer(
      "Exit status: 0 every row priced, 1 some rows (or market/registry rows) had errors or the agreement\n"
      "does not compile, 2 bad usage or an unreadable/unwritable file.");
  sub->callback([o, &rc] { rc = runPrice(*o); });
}

}  // namespace lode::cli
