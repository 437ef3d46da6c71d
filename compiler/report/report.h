// Turns an evaluation result (rt::Assessment) into text for people and programs: one JSON line or
// one CSV line per shipment (lode price), and a worded derivation (lode explain).
//
// Pure functions: nothing here prints, reads files or keeps state, so the CLI, the test runner and
// future embedders can share them. Output lines carry no trailing newline; the caller adds it.
// Money is formatted from raw decimals with decFormat; no floating point anywhere.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/diag/source.h"
#include "compiler/ir/ir.h"
#include "runtime/assessment.h"
#include "runtime/record.h"

namespace lode::report {

// ---- small formatting helpers (also used by the example runner) ----------------------------------

// Fractional digits of a rounding quantum given as a raw decimal: 0.01 -> 2, 0.5 -> 1, 5 -> 0.
int quantumDigits(int64_t quantumRaw);
// Money in the currency of account, with the quantum's fractional digits: "35000.00".
std::string formatMoney(const ir::Program& p, int64_t raw);
// Same with the currency appended: "35000.00 USD".
std::string formatMoneyUnit(const ir::Program& p, int64_t raw);
// "file.lode:12:7" for a position id of the program; "" when the id is out of range.
std::string clausePosition(const ir::Program& p, const SourceManager& sm, uint32_t pos);
// errCodeText plus the detail: "no market observation: lme_ni in 2029-01-01..2029-03-31".
std::string errorMessage(const rt::EvalError& e);
// "admit", "refuse", ... for an ir::OutcomeKind; "unknown" for a kind out of range.
const char* outcomeKindName(uint8_t kind);
// Packed country -> "CN"; "" for 0 (unknown).
std::string countryOrEmpty(int64_t packed);

// The unit of a numeric IR node: Program::nodeUnits when the checker filled it, else inferred from
// the node's source (a shipment field, a typed definition, a series, a registry column, a measure's
// `let` when `measure` is given, ...). nullopt when unknown: callers then print the bare number.
std::optional<rt::Unit> nodeUnit(const ir::Program& p, int node, int measure = -1);
// "90 %", "40000 USD", or just "16400" when the unit is unknown or dimensionless.
std::string formatWithUnit(int64_t raw, const std::optional<rt::Unit>& unit);

// ---- JSON Lines ----------------------------------------------------------------------------------

// One JSON object (no newline) describing an evaluated shipment:
// {"row":1,"id":"T2","origin":"MZ","declared_origin":"MZ","origin_rule":null,
//  "lines":[{"measure":..,"legal":..,"label":..,"rate":"90 %"|null,"base":"40000 USD"|null,
//            "amount":"35000","rounded":"35000.00"}],
//  "outcomes":[{"kind":"refuse","measure":..,"text":..}],
//  "total":"35000.00"|null,"currency":"USD",
//  "errors":[{"code":"E0003","message":..,"at":"file.lode:12:7"}]}
// plus "trace":[{"kind":..,"clause":..,"name":..,"value":..,"at":..}] when a.trace is not empty.
// total is null when the evaluation had errors: a partial sum must not pass for a duty.
std::string assessmentJson(const ir::Program& p, const SourceManager& sm, const rt::Assessment& a,
                           uint64_t row, std::string_view id);
// Appending form for the batch loop: reuses the caller's buffer instead of allocating per row.
void appendAssessmentJson(std::string& out, const ir::Program& p, const SourceManager& sm,
                          const rt::Assessment& a, uint64_t row, std::string_view id);

// A shipment that could not be read (bad or missing cells): same shape, no lines, total null, and
// one error per RowError: {"code":"E0009","field":"quantity","message":..,"at":"file.csv:7"}.
// The reader's code is kept (E0009 malformed value, E0004 missing required field, ...).
void appendInputErrorsJson(std::string& out, const ir::Program& p, uint64_t row, std::string_view id,
                           const std::vector<rt::RowError>& errs);

// ---- CSV -------------------------------------------------------------------------------------------

// "row,id,origin,total,currency,lines,outcomes,errors"
std::string csvHeader();
// lines:    "measure=rounded;measure=rounded"
// outcomes: "kind:measure;flag:measure:text" (reason text after a second ':' when present)
// errors:   "E0003@file.lode:12:7 message;..."
// Cells are quoted per RFC 4180 when needed. total is empty when the evaluation had errors.
void appendAssessmentCsv(std::string& out, const ir::Program& p, const SourceManager& sm,
                         const rt::Assessment& a, uint64_t row, std::string_view id);
std::string assessmentCsv(const ir::Program& p, const SourceManager& sm, const rt::Assessment& a,
                          uint64_t row, std::string_view id);
void appendInputErrorsCsv(std::string& out, const ir::Program& p, uint64_t row, std::string_view id,
                          const std::vector<rt::RowError>& errs);

// "file.csv:7: quantity: expected a number, got 'abc'" (stderr form used by the CLI).
std::string rowErrorText(const rt::RowError& e);

// ---- explanation -----------------------------------------------------------------------------------

// The derivation in words, for a customs officer: the shipment, how its origin was settled, which
// measures applied (their values, duty lines and outcomes), which did not and why, errors, total.
// Needs an assessment evaluated with trace = true. Reads the interpreter's trace events:
//   OriginRule      clause = rule: it fired; value = the origin it gives (country code).
//   ScopeMiss       clause = rule or measure: the shipment is in none of its scopes.
//   ConditionFalse  clause = rule or measure: its `when` is false.
//                   (Rules run first, in order, each ending with one of these three events; that
//                   is how a rule's ScopeMiss is told from a measure's.)
//   Applied         clause = measure: it applies.
//   Value           name = a definition computed on first use (its clause is not used), or
//                   name "" = a `let` of measure `clause` at statement `pos`; value = the number.
//   DutyLine        a duty line was produced (details come from Assessment::lines).
//   DutySkipped     a duty statement's own `when` was false (pos = the statement).
//   Outcome         an outcome/flag fired (details come from Assessment::outcomes).
//   Shadowed        an earlier measure of the measure's `first` block fired (name = it, optional).
// Measures without any event are reported as "not evaluated" (e.g. after an error).
std::string explainText(const ir::Program& p, const SourceManager& sm, const rt::Record& shipment,
                        const rt::Assessment& a);

}  // namespace lode::report
