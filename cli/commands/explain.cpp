// lode explain AGREEMENT --shipment JSON : the derivation of one shipment's duty, in words.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "cli/commands/commands.h"
#include "cli/common.h"
#include "compiler/interp/interp.h"
#include "compiler/report/report.h"
#include "runtime/shipment_reader.h"

namespace lode::cli {

namespace {

struct ExplainOptions {
  std::string agreement;
  std::string shipment;
  std::string market;
  std::vector<std::string> registries;
  std::string quotas;
  std::string stdlib;
  bool json = false;
};

// The --shipment argument: a JSON object, or @FILE holding one.
std::string shipmentText(const std::string& arg) {
  if (arg.empty() || arg[0] != '@') return arg;
  std::ifstream f(arg.substr(1), std::ios::binary);
  if (!f) throw UsageError(fmt::format("cannot read shipment file '{}'", arg.substr(1)));
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

int runExplain(const ExplainOptions& o) {
  CompileOptions copts;
  copts.stdlibDir = o.stdlib;
  DiagCounts counts;
  std::unique_ptr<Compilation> c = compileReported(o.agreement, copts, /*quiet=*/true, counts);
  if (!c->program) {
    std::fprintf(stderr, "lode explain: %s has errors\n", o.agreement.c_str());
    return kExitFindings;
  }
  const ir::Program& p = *c->program;

  RowErrorPrinter errors;
  size_t inputErrors = 0;
  testing::InputSet inputs(p);
  if (!o.market.empty()) loadMarket(p, inputs, o.market, errors, inputErrors);
  loadRegistries(p, inputs, o.registries, errors, inputErrors);
  if (!o.quotas.empty()) loadQuotas(inputs, o.quotas, errors, inputErrors);

  // The reader takes one object per line; a pretty-printed object is folded onto one line first
  // (JSON strings cannot contain raw newlines, so this never changes a value).
  std::string text = shipmentText(o.shipment);
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '\r', ' ');
  std::istringstream in(text);
  rt::ReaderOptions ropts;
  ropts.countries = p.countries.empty() ? nullptr : &p.countries;
  rt::RecordReader reader(p.shipment, ropts);
  reader.attach(in, rt::RecordFormat::Jsonl, "--shipment");
  rt::Record rec;
  std::vector<rt::RowError> rowErrs;
  if (!reader.next(rec, rowErrs)) throw UsageError("--shipment is empty; give a JSON object like {\"id\": \"T1\", ...}");
  for (const rt::RowError& w : reader.warnings()) errors.warn(w);
  if (!rowErrs.empty()) {
    for (const rt::RowError& e : rowErrs) {
      rt::RowError shown = e;
      shown.row = 0;  // there is only one "row": the line number would mislead
      errors.print(shown);
    }
    throw UsageError("the shipment cannot be read; nothing to explain");
  }

  testing::applyFieldDefaults(p, rec);
  interp::Interpreter interp(p);
  rt::Assessment a;
  interp.evaluate(rec, inputs.inputs(), a, /*trace=*/true);
  std::string out = o.json ? report::assessmentJson(p, c->sm, a, rec.row, shipmentId(rec)) + '\n'
                           : report::explainText(p, c->sm, rec, a);
  std::fputs(out.c_str(), stdout);
  std::fflush(stdout);
  return a.ok() && inputErrors == 0 ? kExitOk : kExitFindings;
}

}  // namespace

void addExplainCommand(CLI::App& app, int& rc) {
  auto o = std::make_shared<ExplainOptions>();
  CLI::App* sub = app.add_subcommand("explain", "Explain, in words, how one shipment's duty is derived");
  sub->add_option("AGREEMENT", o->agreement, "Agreement file (.lode)")->required();
  sub->add_option("-s,--shipment", o->shipment, "The shipment as a JSON object, or @FILE containing one")->required();
  sub->add_option("-m,--market", o->market, "Market observations CSV: series,date,value");
  sub->add_option("-r,--registry", o->registries, "Registry CSV as NAME=FILE, or FILE named after the registry; repeatable")
      ->allow_extra_args(false);  // one file per --registry, so a following AGREEMENT is not swallowed
  sub->add_flag("--json", o->json, "Print the assessment with its trace as one JSON object instead of text");
  sub->add_option("--quotas", o->quotas, "Tariff-rate quota balances used so far: CSV quota,period,key,used");
  sub->add_option("--stdlib", o->stdlib, "Directory of the standard modules (`use std.NAME`)")
      ->check(CLI::ExistingDirectory);
  sub->footer(
      "Example:\n"
      "  lode explain graphite.lode --market market.csv \\\n"
      "    --shipment '{\"id\":\"T2\",\"date\":\"2029-02-10\",\"hs\":\"2504.10\",\"origin\":\"MZ\",\n"
      "                \"mineral\":\"graphite\",\"node\":\"processed\",\"quantity\":\"20 t\",\"value\":\"40000 USD\"}'\n"
      "Exit status: 0 evaluated without errors, 1 evaluation errors, 2 bad usage or unreadable input.");
  sub->callback([o, &rc] { rc = runExplain(*o); });
}

}  // namespace lode::cli
