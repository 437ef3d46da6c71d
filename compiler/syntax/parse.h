// The syntax stage's one entry point: text in, AST out. ANTLR stays behind this header.
#pragma once
#include <string>

#include "compiler/diag/diagnostics.h"
#include "compiler/syntax/ast.h"

namespace lode::syntax {

// How the parser predicts: TwoStage (fast SLL first, full LL only after a syntax error) is what
// every caller wants; LL alone is the reference the tests compare it with.
enum class Prediction { TwoStage, LL };

// Parses one file already added to `sm`. Syntax errors are reported in `diags` (parsing goes on
// after them); the returned module holds whatever could be built.
ast::Module parseFile(SourceManager& sm, uint32_t file, Diagnostics& diags, Prediction prediction = Prediction::TwoStage);

// For tests: the tokens of `text` from the hand-written lexer (false) or from ANTLR's generated one
// (true), one line each: kind, channel, start, stop, line:column, text. The two must be equal.
std::string dumpTokens(const std::string& text, bool generatedLexer);

}  // namespace lode::syntax
