// Random agreements for differential testing (tests/differential.cpp --random-agreements): the text of
// a small, well-typed lode agreement that nobody wrote by hand, so the interpreter and the JIT are
// compared on combinations of constructs the corpus and the examples never put together.
//
// Everything the random shipments need comes with the text, in `example` blocks without expectations:
// the first example carries the market observations, the registry rows and quota balances, and every
// example's shipment seeds the shipment generator (tests/shipment_gen.h) with values that hit the
// agreement's scopes, registry keys and market windows. The observations and rows are deliberately
// incomplete (keys without a row, windows without an observation, dates before a schedule's first
// point, optional attributes absent), so both successful and failing evaluations occur.
//
// Only constructs that docs/language.md documents and tests/lang/good shows are generated, and only in
// ways the checker can accept: a generated agreement the checker rejects is a bug of this generator.
#pragma once
#include <cstdint>
#include <string>

namespace lode::testgen {

// The text of one random agreement; the same seed always gives the same text.
std::string randomAgreement(uint64_t seed);

}  // namespace lode::testgen
