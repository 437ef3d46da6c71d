// Generated shipments priced through the C ABI as an embedder prices them: lode.h's setters on one
// shipment reused from call to call (lode_shipment_clear between), and columnar batches. Used by
// tests/differential.cpp to compare the C ABI with the interpreter on the record itself, so that the
// cell conversions, field defaults and batch assembly of compiler/api are checked on every agreement
// the differential tests run (a reused shipment once lost a text field's default).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "compiler/driver.h"
#include "lode.h"
#include "runtime/assessment.h"
#include "runtime/quota.h"
#include "runtime/record.h"

namespace lode::testgen {

class CApiPricer {
 public:
  // Compiles the agreement again, for the C ABI's own handle; inputs are every example's, as the
  // differential's (interp::Inputs built the same way from the same examples).
  explicit CApiPricer(std::unique_ptr<Compilation> c);
  ~CApiPricer();
  CApiPricer(const CApiPricer&) = delete;
  CApiPricer& operator=(const CApiPricer&) = delete;

  // Whether cells can say the record: a cell is trimmed and an empty one is absent, so a present
  // empty text, or one with blanks at an end, has no cell.
  bool expressible(const rt::Record& rec) const;
  // How cells are given: typed (lode_shipment_set_decimal / _code and the typed columns where the
  // kind has them, text for text and HS fields) or every one as text (as a CSV file writes it).
  enum class Cells { Typed, Text };
  // Sets the record's fields on the reused shipment and prices it with the quota balances of the
  // examples. false when a setter refuses a value, as the readers would (the shipment is then not
  // priced); else the assessment in *out.
  bool priceOne(const rt::Record& rec, Cells cells, const rt::Assessment** out);
  // Prices the records as one batch on `threads` threads, in row order for quotas (balances as the
  // examples leave them, then taken row after row). The assessments, by row, valid until the next batch.
  std::vector<const rt::Assessment*> priceBatch(const std::vector<rt::Record>& recs, Cells cells, unsigned threads);

 private:
  bool set(size_t f, const rt::FieldValue& v, Cells cells);
  lode_agreement* a_ = nullptr;
  lode_inputs* in_ = nullptr;
  lode_shipment* s_ = nullptr;
  lode_result* r_ = nullptr;
  rt::QuotaLedger initial_;  // the examples' balances, restored before each pricing
  std::unique_ptr<lode_batch, void (*)(lode_batch*)> batch_{nullptr, lode_batch_free};  // the last batch's results
};

}  // namespace lode::testgen
