// Parse tree -> AST (internal to the syntax stage).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "LodeParser.h"
#include "compiler/diag/diagnostics.h"
#include "compiler/syntax/ast.h"

namespace lode::syntax {

class AstBuilder {
  using P = lode_gen::LodeParser;

 public:
  // cpToByte maps ANTLR's code-point indices to byte offsets (empty when the file is pure ASCII).
  // source is the file's text (UTF-8, as read).
  AstBuilder(uint32_t file, const std::string& source, const std::vector<uint32_t>& cpToByte, Diagnostics& diags);
  ast::Module build(P::FileContext* f);

 private:
  void decl(P::DeclContext* d, ast::Module& m);
  ast::Header header(P::AgreementDeclContext* a);
  ast::Member member(P::MemberContext* c);
  std::shared_ptr<ast::GroupExpr> groupExpr(P::GroupExprContext* c);
  ast::TypeRef typeRef(P::TypeRefContext* c);
  ast::ScopeDecl scope(P::ScopeDeclContext* s);
  void scopeList(P::ScopeListContext* c, std::vector<std::string>& names, std::vector<SourceRange>& ranges);
  ast::ScheduleDecl schedule(P::ScheduleDeclContext* s);
  ast::RegistryDecl registry(P::RegistryDeclContext* r);
  ast::MeasureDecl measure(P::MeasureDeclContext* c, int block);
  ast::QuotaDecl quota(P::QuotaDeclContext* c);
  ast::Stmt stmt(P::StmtContext* c);
  ast::Example example(P::ExampleDeclContext* c);
  ast::FieldInit fieldInit(P::FieldInitContext* c);
  ast::Expectation expectation(P::ExpectationContext* c);
  ast::ExprPtr quantity(P::QuantityLitContext* q);
  ast::ExprPtr expr(P::ExprContext* c);
  ast::ExprPtr primary(P::PrimaryContext* c);
  ast::ExprPtr make(ast::ExprKind k, antlr4::ParserRuleContext* c);
  ast::ExprPtr binaryLike(ast::ExprKind k, antlr4::ParserRuleContext* c, P::ExprContext* l, P::ExprContext* r);
  ast::ExprPtr bands(ast::ExprKind k, antlr4::ParserRuleContext* c, P::ExprContext* scrutinee,
                     const std::vector<P::BandContext*>& list);

  template <class N> N node(SourceRange r);
  SourceRange rangeOf(antlr4::ParserRuleContext* c) const;
  SourceRange rangeOf(antlr4::tree::TerminalNode* t) const;
  SourceRange rangeOf(antlr4::Token* a, antlr4::Token* b) const;
  uint32_t byteOf(size_t cp) const;
  std::string unquote(antlr4::tree::TerminalNode* t) const;
  void badEscape(antlr4::tree::TerminalNode* t, const std::string& s, size_t at) const;
  std::string text(antlr4::Token* t) const;
  std::string text(antlr4::tree::TerminalNode* t) const;
  std::string text(antlr4::tree::ParseTree* t) const;
  void appendText(antlr4::tree::ParseTree* t, std::string& out) const;

  // Nesting guard (limits::kMaxNesting): one level per construct that contains an expression.
  // Past the limit the construct is reported once and replaced by a placeholder, and the module is
  // marked broken so no later stage sees it.
  struct Level {
    AstBuilder& b;
    bool counted;
    bool ok = true;
    Level(AstBuilder& builder, antlr4::ParserRuleContext* c);  // c null: not a level
    ~Level() { if (counted) --b.depth_; }
  };
  ast::ExprPtr tooDeep(antlr4::ParserRuleContext* c);

  uint32_t file_;
  const std::string& source_;
  const std::vector<uint32_t>& cpToByte_;
  Diagnostics& diags_;
  ast::NodeId nextId_;
  size_t depth_ = 0;
  bool tooDeep_ = false;   // reported once per file: the rest of a deep expression would repeat it
  size_t declarations_ = 0;
  bool tooMany_ = false;
};

}  // namespace lode::syntax
