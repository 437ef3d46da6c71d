// The lode AST: what the syntax stage hands to the checker. Every node has an id and a source range
// (the range lives in the node; ids are what later stages use as positions). No ANTLR types here.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/diag/source.h"

namespace lode::ast {

using NodeId = uint32_t;

struct Node {
  NodeId id = 0;
  SourceRange range;
};

enum class ExprKind {
  Number,       // text = digits, unit = unit text ("" if none)
  Hs,           // text = code as written
  Date,         // text = YYYY-MM-DD
  String,       // text = unescaped contents
  Bool,         // text = "true"/"false"
  Name,         // text = identifier
  Call,         // text = function name, kids = args
  Index,        // kids = [base, key]
  Field,        // text = field name, kids = [base]
  List,         // kids = elements
  Neg, Not,     // kids = [operand]
  Binary,       // op, kids = [lhs, rhs]
  In,           // negated, kids = [value, set]
  If,           // kids = [cond, then, else]
  Otherwise,    // kids = [primary, fallback]
  Bands,        // kids = [scrutinee], bands
  Progressive,  // kids = [scrutinee], bands
};

enum class BinOp { Add, Sub, Mul, Div, Of, Lt, Le, Gt, Ge, Eq, Ne, And, Or };

struct Expr;
// Subtrees are shared and never changed once the syntax stage has built them, so a module copies
// cheaply (the driver's module cache hands each compilation its own copy of a used module).
using ExprPtr = std::shared_ptr<Expr>;

struct Band : Node {
  ExprPtr lo;   // null: from minus infinity
  bool loIncl = true;
  ExprPtr hi;   // null: to plus infinity
  bool hiIncl = false;
  ExprPtr value;
};

struct Expr : Node {
  ExprKind kind = ExprKind::Number;
  BinOp op = BinOp::Add;
  bool negated = false;
  std::string text;
  std::string unit;
  SourceRange unitRange;
  std::vector<ExprPtr> kids;
  std::vector<Band> bands;
};

struct TypeRef : Node {
  bool isEnum = false;
  std::vector<std::string> enumValues;
  std::vector<SourceRange> enumRanges;  // one per value: a value listed twice is reported there
  std::string text;  // "USD/t", "bool", "country", "%"
};

struct Member : Node {
  std::string name;
  std::optional<std::string> from, until;
  SourceRange fromRange, untilRange;
};

struct GroupExpr : Node {
  enum Kind { Ref, List, Binary } kind = Ref;
  char op = '+';
  std::string name;             // Ref
  std::vector<Member> members;  // List
  std::shared_ptr<GroupExpr> lhs, rhs;
};

struct Header : Node {
  std::string title;
  std::optional<std::string> version;
  std::vector<std::string> legal;
  std::optional<std::string> currency;
  SourceRange currencyRange;
  struct Rounding { std::string mode; ExprPtr quantum; std::string stage; SourceRange range, modeRange; };
  std::optional<Rounding> rounding;
  std::optional<std::string> inForce, expiry;
  SourceRange inForceRange, expiryRange;
  // Items given a second time (`currency` twice, ...): the first one is kept, the checker reports
  // these. The name is the item's keyword as written in messages ("currency", "in force").
  struct Repeat { std::string item; SourceRange range; };
  std::vector<Repeat> repeated;
};

struct Use : Node { std::string path; bool isFile = false; };
struct CountryDecl : Node { std::string code, name; };
struct EnumerationDecl : Node { std::string name; std::vector<std::string> values; };
struct GroupDecl : Node {
  std::string name;
  std::string elemType;  // "" = countries; else an enumeration (`group ree: mineral = [...]`)
  SourceRange elemRange;
  std::shared_ptr<GroupExpr> expr;
};
struct PartiesDecl : Node { struct Role : Node { std::string name; std::vector<Member> members; }; std::vector<Role> roles; };
struct AttributeDecl : Node { std::string name; TypeRef type; ExprPtr dflt; };
struct ScopeDecl : Node {
  std::string name;
  std::vector<std::string> minerals, nodes;
  std::vector<SourceRange> mineralRanges, nodeRanges;  // one per name: an unknown one is reported there
  ExprPtr where;
};
struct SeriesDecl : Node { std::string name, key; TypeRef unit; };
struct LetDecl : Node { std::string name; std::optional<TypeRef> type; ExprPtr value; bool isReference = false; };
struct SchedulePoint : Node { std::optional<std::string> date; ExprPtr value; };
struct ScheduleDecl : Node { std::string name; TypeRef type; std::string kind; SourceRange kindRange; std::vector<SchedulePoint> points; };
struct Column : Node { std::string name; TypeRef type; };
struct RegistryDecl : Node {
  std::string name;
  std::string builtin;  // "ownership" or "" for a keyed table
  std::string key;
  SourceRange keyRange;
  bool effective = false;
  std::vector<Column> columns;
};
struct OriginRule : Node {
  std::string name, legal;
  std::vector<std::string> scopes;
  std::vector<SourceRange> scopeRanges;
  ExprPtr when, becomes;
};

struct Stmt : Node {
  enum Kind { Let, Duty, Outcome, Flag } kind = Duty;
  std::string name;      // Let
  std::optional<TypeRef> type;
  std::string label;     // Duty label, outcome reason, flag text
  std::string outcome;   // admit/refuse/detain/licence/prohibit
  ExprPtr when, value;
};

struct MeasureDecl : Node {
  std::string name, legal;
  std::vector<std::string> scopes;
  std::vector<SourceRange> scopeRanges;
  ExprPtr when;
  std::vector<Stmt> stmts;
  int block = -1;  // index into Module::blocks, -1 for a stacking top-level measure
};

struct CombineBlock : Node { std::string kind, label; };  // kind: first | exclusive
struct FieldInit : Node { std::string field; ExprPtr value; };

// A tariff-rate quota: settings (order, period, volume, per) and the statements that price the part
// of a shipment inside and outside the balance.
struct QuotaDecl : Node {
  std::string name, legal;
  std::vector<std::string> scopes;
  std::vector<SourceRange> scopeRanges;
  ExprPtr when;
  std::vector<FieldInit> settings;
  std::vector<Stmt> inQuota, overQuota;
  bool hasIn = false, hasOver = false;
  // A second `in quota` / `over quota` block: reported by the checker, its statements dropped.
  struct Repeat { std::string part; SourceRange range; };
  std::vector<Repeat> repeatedParts;
};

// classify 2504, 3801 as graphite at processed when ...
struct ClassifyDecl : Node {
  std::vector<std::string> prefixes;
  std::string mineral, node;  // node "" = leave the node alone
  ExprPtr when;
};

struct Expectation : Node {
  enum Kind { Line, NoLine, Total, Origin, Outcome, Flag, Error, InQuota, OverQuota } kind = Line;
  std::string name;  // measure (Line/NoLine), quota, outcome word, flag text, error code
  std::string text;  // outcome reason
  ExprPtr value;
};
struct Example : Node {
  std::string title;
  std::vector<FieldInit> shipment;
  bool hasShipment = false;
  struct Obs : Node { std::string series; std::string date; ExprPtr value; };
  std::vector<Obs> market;
  struct RegistryRows : Node { std::string name; std::vector<std::vector<FieldInit>> rows; };
  std::vector<RegistryRows> registries;
  struct QuotaState : Node { std::string name; std::vector<FieldInit> fields; };  // used: 1990 t, key: "NO"
  std::vector<QuotaState> quotas;
  std::vector<Expectation> expects;
};

// One parsed file. Declarations keep their file order inside each list (origin rules and measures
// are ordered; the rest are order-independent).
struct Module {
  uint32_t file = 0;
  bool broken = false;  // syntax errors: nothing below was built
  std::optional<Header> header;
  std::vector<Header> extraHeaders;  // reported as duplicates by the checker
  std::vector<Use> uses;
  std::vector<CountryDecl> countries;
  std::vector<EnumerationDecl> enumerations;
  std::vector<GroupDecl> groups;
  std::vector<PartiesDecl> parties;
  std::vector<AttributeDecl> attributes;
  std::vector<ScopeDecl> scopes;
  std::vector<SeriesDecl> series;
  std::vector<LetDecl> lets;
  std::vector<ScheduleDecl> schedules;
  std::vector<RegistryDecl> registries;
  std::vector<OriginRule> originRules;
  std::vector<MeasureDecl> measures;
  std::vector<CombineBlock> blocks;
  std::vector<QuotaDecl> quotas;
  std::vector<ClassifyDecl> classifications;
  std::vector<Example> examples;
};

}  // namespace lode::ast
