// Internal to compiler/sema: the Checker class shared by checker.cpp (declarations),
// lower_expr.cpp (expressions), analysis.cpp (coverage) and examples.cpp (inline examples).
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "compiler/diag/codes.h"
#include "compiler/diag/diagnostics.h"
#include "compiler/ir/ir.h"
#include "compiler/syntax/ast.h"

namespace lode::sema {

// A checked expression. Most are values (a node with a type); a few names denote things that are
// not values and are only legal in certain places (a group after `in`, a series inside avg(...)).
struct TExpr {
  enum Cat { Value, Group, List, Series, Registry, Row, Duration, Bad } cat = Bad;
  int node = -1;
  ir::Type type;
  int index = -1;             // Group / Series / Registry / Row (registry)
  std::vector<TExpr> elems;   // List
  int64_t amount = 0;         // Duration
  ir::WindowUnit wunit = ir::WindowUnit::Days;
  SourceRange range;
  bool ok() const { return cat != Bad; }
};

enum class SymKind { Country, EnumValue, Group, Attribute, Scope, Series, Def, Schedule, Registry, Enumeration };

struct Symbol {
  SymKind kind;
  int index = 0;       // into the matching Program/Checker table
  int enumValue = 0;   // EnumValue
  SourceRange range;
  bool used = false;
  bool fromAgreement = false;  // declared in the agreement file itself (unused-name warnings)
};

class Checker {
 public:
  Checker(const SourceManager& sm, const std::vector<ast::Module>& mods, Diagnostics& d);
  std::unique_ptr<ir::Program> run(bool requireHeader);

  // --- declarations (checker.cpp)
  void declare(const std::string& name, Symbol s);
  Symbol* lookup(const std::string& name);
  void collectDeclarations();
  void checkHeader(bool requireHeader);
  void buildSchema();
  void lowerGroups();
  int groupFrom(const ast::GroupExpr& g, std::vector<ir::Membership>& out);
  static void normalizeMembers(std::vector<ir::Membership>& ms);
  void lowerGroupMembers(const std::vector<ast::Member>& ms, std::vector<ir::Membership>& out);
  void lowerSchedules();
  void lowerRegistries();
  void lowerScopes();
  void claimClauseName(const std::string& name, SourceRange r);
  void lowerOriginRules();
  void lowerMeasures();
  ir::Stmt lowerStmt(const ast::Stmt& st);
  void lowerQuotas();
  void lowerClassifications();
  void reportUnused();
  std::optional<ir::Type> resolveType(const ast::TypeRef& t);
  rt::FieldSpec specFor(const std::string& name, const ir::Type& t) const;
  rt::FieldSpec specFor(const std::string& name, const std::optional<ir::Type>& t) const;
  int32_t parseDate(const std::string& text, SourceRange r);

  // --- expressions (lower_expr.cpp)
  TExpr lower(const ast::Expr& e, const ir::Type* expect = nullptr);  // counts nesting, then lowerNode
  TExpr lowerNode(const ast::Expr& e, const ir::Type* expect);
  TExpr lowerValue(const ast::Expr& e, const ir::Type* expect = nullptr);  // errors on non-values
  TExpr asValue(TExpr v, const ast::Expr& e);
  TExpr lowerName(const ast::Expr& e, const ir::Type* expect);
  TExpr lowerNumber(const ast::Expr& e);
  TExpr lowerBinary(const ast::Expr& e);
  TExpr lowerIn(const ast::Expr& e);
  TExpr lowerCall(const ast::Expr& e);
  TExpr lowerBands(const ast::Expr& e);
  TExpr lowerSeriesCall(const ast::Expr& e, ir::SeriesFn fn, const TExpr& series);
  TExpr lowerGlobal(int defIndex, SourceRange r);
  TExpr fieldRef(int field, SourceRange r);
  TExpr dynamicField(const std::string& name, ir::Type t, SourceRange r);
  TExpr expectBool(const ast::Expr& e);
  // Converts a Num value to `to` (same dimension) exactly; folds constants.
  TExpr convert(const TExpr& v, const rt::Unit& to, SourceRange r);
  std::optional<int> scaledOperand(int node, rt::Rational f);  // convert's exact path for * and /
  std::optional<int> scaledInto(int node, rt::Rational f);     // ... and through if, min, +, ...
  bool roundedInside(int node) const;
  int scaleNode(int node, rt::Rational f, uint32_t at);         // a Scale node: node * f
  // Brings two Num values to one unit for +, -, comparisons, min/max. False after an error.
  bool unify(TExpr& a, TExpr& b, SourceRange r, const char* what);
  std::optional<TExpr> compareInexactConstant(const TExpr& a, const TExpr& b, ir::Op op, SourceRange r);
  std::optional<TExpr> compareAcrossUnits(const TExpr& a, const TExpr& b, ir::Op op, SourceRange r);
  bool sameType(const ir::Type& a, const ir::Type& b) const;
  std::string typeName(const ir::Type& t) const;
  std::optional<int64_t> constValue(int node) const;
  const ir::Node* constNode(int node) const;  // the Const node a constant expression is, or null

  uint32_t pos(SourceRange r);
  int emit(ir::Node n, std::initializer_list<int> kids = {});
  int emitN(ir::Node n, const std::vector<int>& kids);
  TExpr value(int node, ir::Type t, SourceRange r) {
    if (t.kind == ir::Kind::Num) {
      if (p_->nodeUnits.size() < p_->nodes.size()) p_->nodeUnits.resize(p_->nodes.size());
      p_->nodeUnits[node] = t.unit;
    } else if (t.kind == ir::Kind::Enum && t.enumId >= 0) {
      if (p_->nodeEnums.size() < p_->nodes.size()) p_->nodeEnums.resize(p_->nodes.size(), -1);
      p_->nodeEnums[node] = t.enumId;
    }
    TExpr x; x.cat = TExpr::Value; x.node = node; x.type = std::move(t); x.range = r; return x;
  }
  TExpr bad(SourceRange r) { TExpr x; x.range = r; return x; }
  ir::Type numType(const rt::Unit& u) const { ir::Type t; t.kind = ir::Kind::Num; t.unit = u; return t; }
  ir::Type simple(ir::Kind k) const { ir::Type t; t.kind = k; return t; }
  ir::Type moneyType() const { return numType(money_); }
  int enumIndex(const std::string& name) const;

  // --- analysis (analysis.cpp)
  void checkBandCoverage(const ir::BandTable& t, const rt::Unit& u, const ast::Expr& e);
  void analyseMeasures();

  // --- examples (examples.cpp)
  void lowerExamples();

  const SourceManager& sm_;
  const std::vector<ast::Module>& mods_;
  Diagnostics& d_;
  std::unique_ptr<ir::Program> p_;
  std::unordered_map<std::string, Symbol> syms_;
  rt::Unit money_;

  // Declarations by index, pointing into the AST.
  std::vector<const ast::GroupDecl*> groupDecls_;
  std::vector<std::unique_ptr<ast::GroupDecl>> synthetic_;  // groups made from `parties` roles
  std::vector<const ast::AttributeDecl*> attrDecls_;
  std::vector<const ast::ScopeDecl*> scopeDecls_;
  std::vector<const ast::LetDecl*> defDecls_;
  std::vector<const ast::ScheduleDecl*> scheduleDecls_;
  std::vector<const ast::RegistryDecl*> registryDecls_;
  std::vector<int> groupState_;     // 0 todo, 1 in progress, 2 done (cycle detection)
  std::vector<int> defState_;
  // Nesting (limits::kMaxNesting) counted through definitions: a use of a let is one level plus the
  // let's own depth, so evaluation, which follows the same path, never recurses deeper than the limit.
  size_t exprDepth_ = 0, exprDepthMax_ = 0;
  std::vector<size_t> defDepth_;    // per definition: its nesting, with the definitions it uses
  size_t defChain_ = 0;             // definitions being lowered inside each other right now
  size_t groupChain_ = 0;           // groups being resolved inside each other right now
  bool chainReported_ = false;      // a chain past the limit is reported once
  std::vector<int> attrField_;      // attribute -> shipment field index
  std::map<std::string, SourceRange> clauseNames_;  // origin rules, measures and quotas so far
  std::set<ast::NodeId> enumTypesChecked_;          // `one of { ... }` types whose values were checked
  int ownershipRegistry_ = -1;
  std::vector<int> groupEnum_;      // per group: -1 countries, else the enumeration of its members
  int curGroupEnum_ = -1;           // while lowering a group: what its members must be
  int flowEnum_ = -1;               // the built-in enumeration `flow { import, export }`

  // Measure-local names while lowering a measure body.
  std::vector<std::unordered_map<std::string, std::pair<uint32_t, ir::Type>>> locals_;
  uint32_t nextSlot_ = 0;
  std::vector<ir::Type> nodeTypes_;  // type of every emitted node (for dumps and reports)
};

}  // namespace lode::sema
