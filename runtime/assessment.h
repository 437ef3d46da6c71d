// What one evaluation returns (LANGUAGE.md "the assessment"). Produced by every executor; names of
// measures and legal references are looked up in the program by index when a person reads it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/errors.h"

namespace lode::rt {

struct DutyLine {
  uint32_t measure = 0;   // index into Program::measures
  uint32_t stmt = 0;      // index of the duty statement inside the measure
  bool hasRate = false;   // amount was written `rate * base` or `rate of base`
  int64_t rate = 0;       // raw decimal in the rate's unit (rateUnit)
  int64_t base = 0;       // raw decimal in the base's unit
  int64_t amount = 0;     // before agreement rounding (scale 6)
  int64_t rounded = 0;    // after the declared rounding (== amount when rounding is on the total)
};

struct OutcomeRec {
  uint8_t kind = 0;       // ir::OutcomeKind
  uint32_t measure = 0;
  uint32_t stmt = 0;
};

// A shipment's request against a tariff-rate quota: how much fell inside the balance, how much over.
struct QuotaRec {
  uint32_t quota = 0;     // index into Program::quotas
  int32_t period = 0;     // first day of the quota period (INT32_MIN: the whole term)
  std::string key;        // the balance's key ("" = one balance)
  int64_t volume = 0;     // the quota's volume for this shipment, t
  int64_t usedBefore = 0; // balance already used, t
  int64_t inQuota = 0;    // t
  int64_t overQuota = 0;  // t
};

struct EvalError {
  ErrCode code = ErrCode::Ok;
  uint32_t pos = 0;       // position id in the program (clause position)
  std::string detail;     // e.g. the series or registry key that was missing
};

// One step of the derivation, recorded only when a trace is requested.
struct TraceEvent {
  enum Kind : uint8_t { OriginRule, ScopeMiss, ConditionFalse, Applied, Value, DutyLine, DutySkipped, Outcome, Shadowed } kind;
  uint32_t clause = 0;    // origin rule or measure index
  uint32_t pos = 0;       // position of the value or statement
  std::string name;       // what the value is (a let name, "floor", ...)
  std::string value;      // formatted value
};

struct Assessment {
  int64_t declaredOrigin = 0;
  int64_t origin = 0;               // packed country (record.h countryCode)
  int originRule = -1;              // last origin rule that changed the origin
  std::vector<DutyLine> lines;
  std::vector<OutcomeRec> outcomes;
  std::vector<QuotaRec> quotas;
  int classification = -1;          // the HS classification that filled mineral/node, or -1
  int64_t total = 0;                // after declared rounding
  std::vector<EvalError> errors;
  std::vector<TraceEvent> trace;

  void clear() {
    lines.clear(); outcomes.clear(); quotas.clear(); errors.clear(); trace.clear();
    total = 0; origin = declaredOrigin = 0; originRule = -1; classification = -1;
  }
  bool ok() const { return errors.empty(); }
};

}  // namespace lode::rt
