// The typed IR: what the checker produces and the executors run. Names are resolved to indices,
// units to explicit conversion nodes (Scale), constants folded into tables. Expression nodes live in
// one flat array; children are index ranges into `kids`. Every node keeps a position id (`pos`) so
// an evaluation error can name the clause without the AST.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "compiler/diag/source.h"
#include "runtime/decimal.h"
#include "runtime/quota.h"
#include "runtime/record.h"
#include "runtime/units.h"

namespace lode::ir {

enum class Kind : uint8_t { Void, Num, Bool, Date, Country, Text, Enum, Hs };

struct Type {
  Kind kind = Kind::Void;
  rt::Unit unit;    // Num only
  int enumId = -1;  // Enum only: index into Program::enums
};

enum class Op : uint8_t {
  Const,        // imm (num raw, days, bool, packed country, enum index); str for Text/Hs
  Field,        // a = shipment field index
  Origin,       // the effective origin (after origin rules)
  UnitPrice,    // value / quantity of the shipment, in currency/t, times imm / imm2 (0 is 1) before its rounding
  Local,        // a = slot of a measure-level let
  Global,       // a = index into Program::defs (evaluated once per shipment, on demand)
  Add, Sub, Mul, Div, Neg, Abs,  // Mul, Div: the result times imm / imm2 (0 is 1) before its one rounding (rt::decMulScaled)
  Scale,        // kid * imm / imm2: exact unit conversion
  Min, Max,     // n-ary
  Round,        // kid rounded to a multiple of imm with mode a
  Lt, Le, Gt, Ge, Eq, Ne,       // numbers: imm > 0 compares kid0 * imm with kid1 * imm2, exactly (two units)
  And, Or, Not, If,
  InGroup,      // kid (country) in group a on the entry date
  InList,       // kid0 equals one of kid1..n
  HsIn,         // kid (HS code) starts with one of Program::strLists[a]
  SeriesAgg,    // a = series, b = SeriesFn, imm = window length, imm2 = lag, c = window unit
  Schedule,     // a = schedule index, value on the entry date
  RegLookup,    // a = registry, b = column; kid = key
  RegHas,       // a = registry; kid = key
  OwnedShare,   // a = group; kid = entity id (text): share in %
  Bands,        // a = band table; kid = scrutinee
  Progressive,  // a = band table; kid = scrutinee
  Otherwise,    // kid0, or kid1 when kid0 fails for missing data
  DaysBetween,  // kid1 - kid0 in days (dimensionless)
  Present,      // 1 when kid evaluates, 0 when it fails for missing data
  DateAdd,      // kid (date) + imm units c (WindowUnit); imm may be negative
};

enum class SeriesFn : uint8_t { Avg, Min, Max, Latest, MonthAvg };
enum class WindowUnit : uint8_t { Days, Months, Years };

struct Node {
  Op op = Op::Const;
  Kind kind = Kind::Void;
  uint8_t b = 0;
  uint8_t c = 0;
  uint32_t a = 0;
  int64_t imm = 0;
  int64_t imm2 = 0;
  uint32_t pos = 0;        // index into Program::positions
  uint32_t kidsBegin = 0;  // into Program::kids
  uint32_t kidsCount = 0;
  std::string str;
};

// The unit factor m/k a Mul, Div or UnitPrice carries to its exact result (imm, imm2; 0 is 1).
struct UnitFactor {
  int64_t m, k;
  bool one() const { return m == 1 && k == 1; }
};
inline UnitFactor unitFactorOf(const Node& n) { return {n.imm > 1 ? n.imm : 1, n.imm2 > 1 ? n.imm2 : 1}; }

// A member value (packed country, or enum index for typed groups) over an inclusive day range.
struct Membership { int64_t country; int32_t from; int32_t until; };
struct Group { std::string name; std::vector<Membership> members; int enumId = -1; /* -1: countries */ };

struct Band {
  bool loInf = true, loIncl = true, hiInf = true, hiIncl = false;
  int64_t lo = 0, hi = 0;
  uint32_t value = 0;  // node
};
struct BandTable { std::vector<Band> bands; };

struct Series { std::string name, key; rt::Unit unit; };

struct SchedulePoint { int32_t date; int64_t value; };
struct Schedule {
  std::string name;
  bool linear = false;
  bool hasBefore = false;
  int64_t before = 0;
  std::vector<SchedulePoint> points;
  uint32_t pos = 0;
};

struct Registry {
  std::string name;
  bool ownership = false;
  rt::Schema columns;  // keyed tables: key column first
  bool effective = false;
};

struct Def { std::string name; uint32_t node = 0; Type type; bool isReference = false; uint32_t pos = 0; };

struct Scope {
  std::string name;
  std::vector<int> minerals, nodes;  // enum indices; empty (and no groups) = any
  std::vector<int> mineralGroups, nodeGroups;  // typed groups, membership tested on the entry date
  int where = -1;                    // node or -1
};

struct OriginRule {
  std::string name, legal;
  std::vector<int> scopes;
  uint32_t when = 0, becomes = 0, pos = 0;
};

enum class OutcomeKind : uint8_t { Admit, Refuse, Detain, Licence, Flag, Prohibit };
const char* outcomeName(OutcomeKind k);

struct Stmt {
  enum Kind : uint8_t { Let, Duty, Outcome } kind = Duty;
  uint32_t slot = 0;   // Let
  int when = -1;       // node or -1
  int value = -1;      // node (Let, Duty)
  int rate = -1;       // Duty: the rate factor when the amount is `rate * base` / `rate of base`
  int base = -1;
  std::string label;   // duty label, outcome reason, flag text
  OutcomeKind outcome = OutcomeKind::Flag;
  uint8_t section = 0; // quotas: 0 always, 1 the in-quota part, 2 the over-quota part
  uint32_t pos = 0;
};

struct Measure {
  std::string name, legal;
  std::vector<int> scopes;
  int when = -1;
  std::vector<Stmt> stmts;
  uint32_t slots = 0;
  int block = -1;
  int quota = -1;      // a tariff-rate quota is a measure whose statements price its two parts
  uint32_t pos = 0;
};

// Tariff-rate quota: the balance is kept per (quota, period start, key) outside the program, in a
// rt::QuotaLedger; an evaluation reads it and reports the split, the caller commits it.
using QuotaPeriod = rt::QuotaPeriodKind;
struct Quota {
  std::string name, legal, order;
  QuotaPeriod period = QuotaPeriod::Year;
  uint32_t volume = 0;  // node: mass in t, evaluated per shipment (crisis expansions)
  int key = -1;         // node or -1: a separate balance per value (e.g. per export country)
  uint8_t keyKind = 0;  // 0 text, 1 country, 2 enum (how to print the key)
  int keyEnum = -1;
  uint32_t measure = 0;
  uint32_t pos = 0;
};

// HS classification: fills mineral (and node) from the HS code when the shipment leaves them out.
struct Classification {
  std::string prefix;
  int mineral = -1, node = -1;
  int when = -1;
  uint32_t pos = 0;
};

struct Block { std::string kind, label; std::vector<int> measures; };

struct Rounding {
  rt::RoundingMode mode = rt::RoundingMode::HalfEven;
  int64_t quantum = 10000;
  bool perLine = true;
  bool declared = false;
  uint32_t pos = 0;  // the header's rounding clause: where an overflow of the rounded total points
};

// An inline example, lowered: its inputs as typed records, its expectations as values.
struct Expectation {
  enum Kind : uint8_t { Line, NoLine, Total, Origin, Outcome, Flag, Error, InQuota, OverQuota } kind = Line;
  int measure = -1;    // measure, or quota for InQuota / OverQuota
  int64_t value = 0;
  std::string text;
  uint32_t pos = 0;
};
struct Example {
  std::string title;
  uint32_t pos = 0;
  rt::Record shipment;
  struct Obs { int series; int32_t date; int64_t value; };
  std::vector<Obs> market;
  std::vector<std::vector<rt::Record>> registryRows;  // per registry
  struct QuotaUse { int quota; std::string key; int64_t used; };  // balance already used this period
  std::vector<QuotaUse> quotaUses;
  std::vector<Expectation> expects;
};

struct Program {
  // Header
  std::string title, version, currency;
  std::vector<std::string> legal;
  Rounding rounding;
  int32_t inForce = INT32_MIN, expiry = INT32_MAX;
  uint32_t inForcePos = 0, expiryPos = 0;  // the header's dates: where E0012 (not in force) points

  // Shipment schema: standard fields first (see the kField* constants), then attributes.
  rt::Schema shipment;
  std::vector<int64_t> fieldDefaults;  // raw default per field, valid where hasDefault
  std::vector<uint8_t> hasDefault;
  std::vector<std::string> fieldDefaultTexts;  // the default's text, for text and HS fields
  std::vector<std::string> countries;  // valid ISO codes (from `country` declarations)
  std::vector<std::string> countryNames;
  std::vector<std::pair<std::string, std::vector<std::string>>> enums;

  std::vector<Node> nodes;
  std::vector<rt::Unit> nodeUnits;  // unit of each numeric node (for reports); parallel to nodes
  std::vector<int> nodeEnums;       // enumeration of each Enum node, else -1 (for reports); may be shorter
  std::vector<uint32_t> kids;
  std::vector<std::vector<std::string>> strLists;
  std::vector<SourceRange> positions;

  std::vector<Group> groups;
  std::vector<BandTable> bandTables;
  std::vector<Series> series;
  std::vector<Schedule> schedules;
  std::vector<Registry> registries;
  std::vector<Def> defs;
  std::vector<Scope> scopes;
  std::vector<OriginRule> originRules;
  std::vector<Measure> measures;
  std::vector<Block> blocks;
  std::vector<Quota> quotas;
  std::vector<Classification> classifications;  // most specific prefix first
  std::vector<Example> examples;

  const uint32_t* kidsOf(const Node& n) const { return kids.data() + n.kidsBegin; }
};

// Standard shipment fields, in schema order.
enum StdField : int {
  kFieldId = 0, kFieldDate, kFieldHs, kFieldOrigin, kFieldExportCountry, kFieldExporter, kFieldProducer,
  kFieldImporter, kFieldFacility, kFieldMineral, kFieldNode, kFieldQuantity, kFieldValue, kFieldPriceBasis,
  kFieldFlow, kFieldDestination,
  kStdFieldCount
};

// What reads the effective origin (Op::Origin), which the origin rules change.
struct OriginReaders {
  // Per scope, 1 when its answer cannot depend on the origin: its `where` reads no Op::Origin,
  // directly or through a top-level value. The executors keep such an answer from the origin rules
  // on (the others only once the rules have settled the origin).
  std::vector<uint8_t> freeScopes;
  // The top-level values that read the origin, directly or through another: an origin rule that
  // applies makes the executors compute them again when next read.
  std::vector<uint32_t> defs;
};
OriginReaders originReaders(const Program& p);
// The top-level values that read the shipment's quantity or value, directly or through another: a
// quota part binds both to the part's, so the executors compute them again for each part and after.
std::vector<uint32_t> portionReaders(const Program& p);
// The top-level values that read the mineral or the node: a `classify` condition may read them while
// those are absent, so a rule that supplies them makes the executors compute them again.
std::vector<uint32_t> classificationReaders(const Program& p);

// Prints the IR in a readable form (lode check --dump=ir).
std::string dumpProgram(const Program& p, const SourceManager& sm);

}  // namespace lode::ir
