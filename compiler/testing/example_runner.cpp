#include "compiler/testing/example_runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <set>
#include <stdexcept>

#include "compiler/report/report.h"
#include "runtime/date.h"
#include "runtime/errors.h"

namespace lode::testing {

namespace {

const char* kindName(uint8_t k) { return report::outcomeKindName(k); }

bool isOutcomeWord(const std::string& s) {
  return s == "admit" || s == "refuse" || s == "detain" || s == "licence" || s == "prohibit";
}

std::string measureName(const ir::Program& p, int m) {
  return m >= 0 && static_cast<size_t>(m) < p.measures.size() ? p.measures[static_cast<size_t>(m)].name
                                                               : fmt::format("measure#{}", m);
}

const std::string& stmtLabel(const ir::Program& p, uint32_t m, uint32_t s) {
  static const std::string empty;
  if (m >= p.measures.size() || s >= p.measures[m].stmts.size()) return empty;
  return p.measures[m].stmts[s].label;
}

// Column index by name, falling back to the documented order entity, owner, share, country when the
// checker left the ownership schema empty.
int column(const ir::Registry& reg, const char* name, int fallback) {
  int c = reg.columns.find(name);
  return c >= 0 ? c : (reg.columns.fields.empty() ? fallback : -1);
}

class Checker {
 public:
  Checker(const ir::Program& p, const SourceManager& sm, const ir::Example& ex, ExampleResult& res)
      : p_(p), sm_(sm), ex_(ex), res_(res) {}

  void fail(uint32_t pos, const std::string& what) {
    std::string where = report::clausePosition(p_, sm_, pos);
    res_.failures.push_back(where.empty() ? fmt::format("\"{}\": {}", ex_.title, what)
                                          : fmt::format("\"{}\": {} ({})", ex_.title, what, where));
  }

  void compare(const rt::Assessment& a) {
    std::set<uint32_t> expectedMeasures;  // measures named by a Line or NoLine expectation
    std::set<std::string> expectedFlags, expectedErrors;
    // Outcomes asked for: (kind, reason); an empty reason accepts any outcome of the kind.
    std::set<std::pair<std::string, std::string>> expectedOutcomes;

    for (const ir::Expectation& e : ex_.expects) {
      switch (e.kind) {
        case ir::Expectation::Line: {
          if (e.measure >= 0) expectedMeasures.insert(static_cast<uint32_t>(e.measure));
          int64_t sum = 0;
          int count = 0;
          bool overflow = false;
          for (const rt::DutyLine& l : a.lines) {
            if (static_cast<int>(l.measure) != e.measure) continue;
            ++count;
            overflow |= rt::decAdd(sum, l.rounded, &sum) != rt::ErrCode::Ok;
          }
          std::string name = measureName(p_, e.measure);
          if (count == 0)
            fail(e.pos, fmt::format("{}: expected {}, got no line", name, report::formatMoneyUnit(p_, e.value)));
          else if (overflow)
            fail(e.pos, fmt::format("{}: expected {}, got lines whose sum overflows", name,
                                    report::formatMoneyUnit(p_, e.value)));
          else if (sum != e.value)
            fail(e.pos, fmt::format("{}: expected {}, got {}{}", name, report::formatMoneyUnit(p_, e.value),
                                    report::formatMoneyUnit(p_, sum),
                                    count > 1 ? fmt::format(" (sum of {} lines)", count) : ""));
          break;
        }
        case ir::Expectation::NoLine: {
          if (e.measure >= 0) expectedMeasures.insert(static_cast<uint32_t>(e.measure));
          for (const rt::DutyLine& l : a.lines) {
            if (static_cast<int>(l.measure) != e.measure) continue;
            fail(e.pos, fmt::format("no {}: expected no line, got {}", measureName(p_, e.measure),
                                    report::formatMoneyUnit(p_, l.rounded)));
            break;
          }
          break;
        }
        case ir::Expectation::Total:
          if (!a.ok())
            fail(e.pos, fmt::format("total: expected {}, got no total (the evaluation had errors)",
                                    report::formatMoneyUnit(p_, e.value)));
          else if (a.total != e.value)
            fail(e.pos, fmt::format("total: expected {}, got {}", report::formatMoneyUnit(p_, e.value),
                                    report::formatMoneyUnit(p_, a.total)));
          break;
        case ir::Expectation::Origin:
          if (a.origin != e.value) {
            std::string got = report::countryOrEmpty(a.origin);
            fail(e.pos, fmt::format("origin: expected {}, got {}", rt::countryText(e.value),
                                    got.empty() ? "no origin" : got));
          }
          break;
        case ir::Expectation::Outcome: {
          // Two encodings are accepted until the lowering settles: text = the kind word, or
          // value = the ir::OutcomeKind with text = the reason required.
          std::string kind = isOutcomeWord(e.text) ? e.text : kindName(static_cast<uint8_t>(e.value));
          std::string reason = isOutcomeWord(e.text) ? std::string() : e.text;
          expectedOutcomes.insert({kind, reason});
          bool found = false;
          for (const rt::OutcomeRec& o : a.outcomes)
            if (outcomeMatches(o, kind, reason)) found = true;
          if (!found)
            fail(e.pos, fmt::format("outcome: expected {}{}, got {}", kind,
                                    reason.empty() ? "" : " \"" + reason + "\"", producedOutcomes(a)));
          break;
        }
        case ir::Expectation::Flag: {
          expectedFlags.insert(e.text);
          bool found = false;
          for (const rt::OutcomeRec& o : a.outcomes)
            if (o.kind == static_cast<uint8_t>(ir::OutcomeKind::Flag) && stmtLabel(p_, o.measure, o.stmt) == e.text)
              found = true;
          if (!found) fail(e.pos, fmt::format("flag: expected \"{}\", got {}", e.text, producedFlags(a)));
          break;
        }
        case ir::Expectation::InQuota:
        case ir::Expectation::OverQuota: {
          bool in = e.kind == ir::Expectation::InQuota;
          const std::string& name = p_.quotas[static_cast<size_t>(e.measure)].name;
          const rt::QuotaRec* rec = nullptr;
          for (const rt::QuotaRec& q : a.quotas)
            if (static_cast<int>(q.quota) == e.measure) rec = &q;
          if (!rec) {
            fail(e.pos, fmt::format("{} quota {}: expected {} t, the quota was not applied", in ? "in" : "over", name, rt::decFormat(e.value)));
            break;
          }
          int64_t got = in ? rec->inQuota : rec->overQuota;
          if (got != e.value)
            fail(e.pos, fmt::format("{} quota {}: expected {} t, got {} t", in ? "in" : "over", name, rt::decFormat(e.value), rt::decFormat(got)));
          break;
        }
        case ir::Expectation::Error: {
          expectedErrors.insert(e.text);
          bool found = false;
          for (const rt::EvalError& err : a.errors)
            if (rt::errCodeName(err.code) == e.text) found = true;
          if (!found) fail(e.pos, fmt::format("error: expected {}, got {}", e.text, producedErrors(a)));
          break;
        }
      }
    }

    // Whatever the example did not ask for must not happen. A quota request is asked for by a line
    // or split expectation on the quota (`no QUOTA` only says it charged nothing).
    std::set<int> askedQuotas;
    for (const ir::Expectation& e : ex_.expects) {
      if (e.kind == ir::Expectation::InQuota || e.kind == ir::Expectation::OverQuota) askedQuotas.insert(e.measure);
      if (e.kind == ir::Expectation::Line && e.measure >= 0) askedQuotas.insert(p_.measures[static_cast<size_t>(e.measure)].quota);
    }
    for (const rt::QuotaRec& q : a.quotas)
      if (!askedQuotas.count(static_cast<int>(q.quota)))
        fail(ex_.pos, fmt::format("unexpected quota request {}: {} t in quota, {} t over (state it with `in quota` / `over quota`)",
                                  p_.quotas[q.quota].name, rt::decFormat(q.inQuota), rt::decFormat(q.overQuota)));
    std::set<uint32_t> reported;
    for (const rt::DutyLine& l : a.lines) {
      if (expectedMeasures.count(l.measure) || !reported.insert(l.measure).second) continue;
      fail(ex_.pos, fmt::format("unexpected line {}: {}", measureName(p_, static_cast<int>(l.measure)),
                                report::formatMoneyUnit(p_, l.rounded)));
    }
    for (const rt::OutcomeRec& o : a.outcomes) {
      if (o.kind == static_cast<uint8_t>(ir::OutcomeKind::Flag)) {
        const std::string& text = stmtLabel(p_, o.measure, o.stmt);
        if (!expectedFlags.count(text))
          fail(ex_.pos, fmt::format("unexpected flag \"{}\" from {}", text, measureName(p_, static_cast<int>(o.measure))));
      } else if (std::none_of(expectedOutcomes.begin(), expectedOutcomes.end(),
                              [&](const auto& e) { return outcomeMatches(o, e.first, e.second); })) {
        fail(ex_.pos, fmt::format("unexpected outcome {} \"{}\" from {}", kindName(o.kind), stmtLabel(p_, o.measure, o.stmt),
                                  measureName(p_, static_cast<int>(o.measure))));
      }
    }
    for (const rt::EvalError& err : a.errors) {
      if (expectedErrors.count(std::string(rt::errCodeName(err.code)))) continue;
      std::string where = report::clausePosition(p_, sm_, err.pos);
      res_.failures.push_back(fmt::format("\"{}\": unexpected error {} {}{}", ex_.title, rt::errCodeName(err.code),
                                          report::errorMessage(err), where.empty() ? "" : " at " + where));
    }
  }

 private:
  // An outcome of the kind, with the reason when one is given.
  bool outcomeMatches(const rt::OutcomeRec& o, const std::string& kind, const std::string& reason) const {
    return kindName(o.kind) == kind && (reason.empty() || stmtLabel(p_, o.measure, o.stmt) == reason);
  }
  std::string producedOutcomes(const rt::Assessment& a) const {
    std::string s;
    for (const rt::OutcomeRec& o : a.outcomes) {
      if (o.kind == static_cast<uint8_t>(ir::OutcomeKind::Flag)) continue;
      if (!s.empty()) s += ", ";
      s += fmt::format("{} \"{}\"", kindName(o.kind), stmtLabel(p_, o.measure, o.stmt));
    }
    return s.empty() ? "no outcome" : s;
  }
  std::string producedFlags(const rt::Assessment& a) const {
    std::string s;
    for (const rt::OutcomeRec& o : a.outcomes) {
      if (o.kind != static_cast<uint8_t>(ir::OutcomeKind::Flag)) continue;
      if (!s.empty()) s += ", ";
      s += "\"" + stmtLabel(p_, o.measure, o.stmt) + "\"";
    }
    return s.empty() ? "no flag" : s;
  }
  std::string producedErrors(const rt::Assessment& a) const {
    std::string s;
    for (const rt::EvalError& e : a.errors) {
      if (!s.empty()) s += ", ";
      s += rt::errCodeName(e.code);
    }
    return s.empty() ? "no error" : s;
  }

  const ir::Program& p_;
  const SourceManager& sm_;
  const ir::Example& ex_;
  ExampleResult& res_;
};

}  // namespace

// ---- InputSet -------------------------------------------------------------------------------------

InputSet::InputSet(const ir::Program& p) : p_(p) {
  // Bound once: evaluations find a series by its handle, not its name.
  for (const ir::Series& s : p.series) seriesHandles_.push_back(market_.declare(s.key));
  tables_.resize(p.registries.size());
  for (size_t r = 0; r < p.registries.size(); ++r) {
    const ir::Registry& reg = p.registries[r];
    if (!reg.ownership && !reg.columns.fields.empty())
      tables_[r] = std::make_unique<rt::RegistryTable>(reg.name, reg.columns, 0);  // key column is first
  }
}

namespace {

// A quota state row names a balance this agreement can have: one of its quotas, the first day of one
// of that quota's periods (none for the whole term), and a key exactly when the quota has `per` (a
// known country or enumeration value for those keys). Anything else could never be drawn on, and
// the shipments would silently get the whole balance.
std::string quotaRowProblem(const ir::Program& p, const std::string& name, int32_t period, const std::string& key,
                            std::string& field) {
  auto q = std::find_if(p.quotas.begin(), p.quotas.end(), [&](const ir::Quota& x) { return x.name == name; });
  field = "quota";
  if (q == p.quotas.end()) return fmt::format("the agreement has no quota '{}'", name);
  field = "period";
  if (q->period == ir::QuotaPeriod::Whole) {
    if (period != INT32_MIN) return fmt::format("quota '{}' has one balance for the whole term: the period is empty", name);
  } else if (period == INT32_MIN) {
    return fmt::format("quota '{}' has a balance per period: the period is its first day", name);
  } else if (int32_t start = rt::quotaPeriodStart(q->period, period); start != period) {
    return fmt::format("{} is not the first day of a period of quota '{}' (its period starts {})", rt::dateFormat(period),
                       name, rt::dateFormat(start));
  }
  field = "key";
  if (q->key < 0)
    return key.empty() ? std::string() : fmt::format("quota '{}' has no `per`: the key is empty", name);
  if (q->keyKind == 1 && std::find(p.countries.begin(), p.countries.end(), key) == p.countries.end())
    return fmt::format("'{}' is not a known country (quota '{}' has a balance per country)", key, name);
  if (q->keyKind == 2) {
    const auto& [enumName, values] = p.enums[size_t(q->keyEnum)];
    if (std::find(values.begin(), values.end(), key) == values.end())
      return fmt::format("'{}' is not a value of {} (quota '{}' has a balance per value)", key, enumName, name);
  }
  return {};
}

}  // namespace

std::vector<rt::RowError> InputSet::loadQuotaState(std::istream& in, const std::string& fileName) {
  return quotas_.loadCsv(in, fileName, [this](const std::string& name, int32_t period, const std::string& key, std::string& field) {
    return quotaRowProblem(p_, name, period, key, field);
  });
}

const interp::Inputs& InputSet::inputs() {
  inputs_.market = &market_;
  inputs_.seriesHandles = seriesHandles_;
  inputs_.ownership = &ownership_;
  inputs_.quotas = &quotas_;
  inputs_.tables.assign(tables_.size(), nullptr);
  for (size_t r = 0; r < tables_.size(); ++r) inputs_.tables[r] = tables_[r].get();
  return inputs_;
}

bool addOwnershipRow(const ir::Registry& reg, const rt::Record& row, rt::OwnershipGraph& g, rt::RowError& err) {
  int cEntity = column(reg, "entity", 0), cOwner = column(reg, "owner", 1), cShare = column(reg, "share", 2),
      cCountry = column(reg, "country", 3);
  auto cell = [&](int c) -> const rt::FieldValue* {
    return c >= 0 && static_cast<size_t>(c) < row.values.size() ? &row.values[static_cast<size_t>(c)] : nullptr;
  };
  const rt::FieldValue *entity = cell(cEntity), *owner = cell(cOwner), *share = cell(cShare), *country = cell(cCountry);
  err.row = row.row;
  for (auto [v, name] : {std::pair{entity, "entity"}, std::pair{owner, "owner"}, std::pair{share, "share"}}) {
    if (!v || !v->present) {
      err.field = name;
      err.code = rt::ErrCode::MissingField;
      err.message = fmt::format("ownership row has no {}", name);
      return false;
    }
  }
  return g.addEdge(entity->s, owner->s, share->i, country && country->present ? country->i : 0, err);
}

void applyFieldDefaults(const ir::Program& p, rt::Record& rec) {
  size_t n = std::min({rec.values.size(), p.fieldDefaults.size(), p.hasDefault.size()});
  for (size_t f = 0; f < n; ++f) {
    if (p.hasDefault[f] && !rec.values[f].present) {
      rec.values[f].present = true;
      rec.values[f].i = p.fieldDefaults[f];
      if (f < p.fieldDefaultTexts.size()) rec.values[f].s = p.fieldDefaultTexts[f];
    }
  }
}

Executor interpreterExecutor(const ir::Program& p) {
  auto interp = std::make_shared<interp::Interpreter>(p);
  return [interp](const rt::Record& rec, const interp::Inputs& in, rt::Assessment& out) {
    interp->evaluate(rec, in, out, false);
  };
}

std::unique_ptr<jit::CompiledProgram> compileNative(const ir::Program& p, const jit::CompileOptions& options) {
  std::string error;
  std::unique_ptr<jit::CompiledProgram> compiled = jit::CompiledProgram::compile(p, interp::jitCallback(), &error, options);
  if (!compiled) throw std::runtime_error("JIT compilation failed: " + error);
  return compiled;
}

void commitQuotas(const ir::Program& p, const rt::Assessment& a, rt::QuotaLedger& ledger) {
  for (const rt::QuotaRec& q : a.quotas)
    if (q.inQuota > 0) ledger.add(p.quotas[q.quota].name, q.period, q.key, q.inQuota);
}

std::vector<std::string> addExampleInputs(const ir::Program& p, const ir::Example& ex, InputSet& in) {
  std::vector<std::string> problems;
  for (const ir::Example::Obs& o : ex.market) {
    if (o.series < 0 || static_cast<size_t>(o.series) >= p.series.size()) {
      problems.push_back(fmt::format("market observation for unknown series #{}", o.series));
      continue;
    }
    in.market().add(p.series[static_cast<size_t>(o.series)].key, o.date, o.value);
  }
  for (size_t r = 0; r < ex.registryRows.size() && r < p.registries.size(); ++r) {
    const ir::Registry& reg = p.registries[r];
    for (const rt::Record& row : ex.registryRows[r]) {
      rt::RowError err;
      bool ok = reg.ownership ? addOwnershipRow(reg, row, in.ownership(), err) : in.table(r) && in.table(r)->addRow(row, err);
      if (!ok)
        problems.push_back(fmt::format("registry {} row {}: {}", reg.name, row.row,
                                       err.message.empty() ? "table not available" : err.message));
    }
  }
  const rt::FieldValue& date = ex.shipment.values[ir::kFieldDate];
  for (const ir::Example::QuotaUse& u : ex.quotaUses) {
    const ir::Quota& q = p.quotas[static_cast<size_t>(u.quota)];
    in.quotas().set(q.name, rt::quotaPeriodStart(q.period, date.present ? static_cast<int32_t>(date.i) : 0), u.key, u.used);
  }
  return problems;
}

Executor jitExecutor(const ir::Program& p, const jit::CompileOptions& options) {
  std::shared_ptr<jit::CompiledProgram> compiled = compileNative(p, options);
  auto engine = std::make_shared<interp::Interpreter>(p, compiled.get());
  return [engine, compiled](const rt::Record& rec, const interp::Inputs& in, rt::Assessment& out) {
    engine->evaluate(rec, in, out, false);
  };
}

Executor executorFor(const std::string& engine, const ir::Program& p, const jit::CompileOptions& options) {
  if (engine == "interp") return interpreterExecutor(p);
  if (engine == "jit") return jitExecutor(p, options);
  throw std::invalid_argument("unknown engine '" + engine + "' (interp or jit)");
}

// ---- the runner -----------------------------------------------------------------------------------

std::vector<ExampleResult> runExamples(const ir::Program& p, const SourceManager& sm, Executor exec) {
  std::vector<ExampleResult> results;
  results.reserve(p.examples.size());
  for (const ir::Example& ex : p.examples) {
    ExampleResult res;
    res.title = ex.title;
    Checker check(p, sm, ex, res);

    // Inputs. A bad input row is the example's fault, not the executor's: report it and go on, so
    // the comparison below still says what the executor made of the rest.
    InputSet in(p);
    for (const std::string& problem : addExampleInputs(p, ex, in)) check.fail(ex.pos, problem);
    for (const rt::RowError& e : in.market().finalize()) check.fail(ex.pos, "market: " + e.message);
    rt::Record shipment = ex.shipment;
    applyFieldDefaults(p, shipment);
    rt::Assessment a;
    bool ran = true;
    try {
      exec(shipment, in.inputs(), a);
    } catch (const std::exception& e) {
      ran = false;
      check.fail(ex.pos, fmt::format("the executor threw: {}", e.what()));
    } catch (...) {
      ran = false;
      check.fail(ex.pos, "the executor threw an unknown exception");
    }
    if (ran) check.compare(a);
    res.passed = res.failures.empty();
    results.push_back(std::move(res));
  }
  return results;
}

}  // namespace lode::testing
