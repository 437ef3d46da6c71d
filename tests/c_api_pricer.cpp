#include "tests/c_api_pricer.h"

#include <cstring>
#include <stdexcept>

#include "compiler/api/handles.h"
#include "compiler/testing/example_runner.h"
#include "tests/shipment_gen.h"

namespace lode::testgen {

CApiPricer::CApiPricer(std::unique_ptr<Compilation> c) {
  if (!c->program) throw std::runtime_error("CApiPricer: the agreement does not compile");
  a_ = capi::agreementOf(std::move(c)).release();
  const ir::Program& p = a_->p();
  if (lode_inputs_new(a_, &in_) != LODE_OK || lode_shipment_new(a_, &s_) != LODE_OK || lode_result_new(&r_) != LODE_OK)
    throw std::runtime_error("CApiPricer: cannot make the C ABI's handles");
  for (const ir::Example& ex : p.examples) testing::addExampleInputs(p, ex, in_->set);
  in_->set.market().finalize();
  initial_ = in_->set.quotas();
}

CApiPricer::~CApiPricer() {
  batch_.reset();
  lode_result_free(r_);
  lode_shipment_free(s_);
  lode_inputs_free(in_);
  lode_agreement_free(a_);
}

bool CApiPricer::expressible(const rt::Record& rec) const {
  const auto& fields = a_->p().shipment.fields;
  for (size_t f = 0; f < rec.values.size(); ++f) {
    const rt::FieldValue& v = rec.values[f];
    if (!v.present || (fields[f].kind != rt::FieldKind::Text && fields[f].kind != rt::FieldKind::Hs)) continue;
    const std::string& t = v.s;
    if (t.empty() || static_cast<unsigned char>(t.front()) <= ' ' || static_cast<unsigned char>(t.back()) <= ' ' ||
        std::strlen(t.c_str()) != t.size())
      return false;
    // A reader keys every HS cell; a record may hold one without its key (0: executors read the digits).
    if (fields[f].kind == rt::FieldKind::Hs && v.i != 0 && v.i != rt::hsKey(t)) return false;
  }
  return true;
}

namespace {

// How a field's cells are given in a form: as text (text and HS fields always), a decimal, or a code.
enum class Given { Text, Decimal, Code };
Given givenAs(rt::FieldKind kind, CApiPricer::Cells cells) {
  if (cells == CApiPricer::Cells::Text || kind == rt::FieldKind::Text || kind == rt::FieldKind::Hs) return Given::Text;
  return kind == rt::FieldKind::Decimal ? Given::Decimal : Given::Code;
}
// The code format of a date, country, enumeration or boolean field.
lode_code codeOf(rt::FieldKind kind) {
  switch (kind) {
    case rt::FieldKind::Date: return LODE_CODE_DAYS;
    case rt::FieldKind::Country: return LODE_CODE_COUNTRY;
    case rt::FieldKind::Enum: return LODE_CODE_INDEX;
    default: return LODE_CODE_BOOL;
  }
}

}  // namespace

bool CApiPricer::set(size_t f, const rt::FieldValue& v, Cells cells) {
  const int32_t field = int32_t(f);
  const rt::FieldSpec& spec = a_->p().shipment.fields[f];
  switch (givenAs(spec.kind, cells)) {
    case Given::Text: return lode_shipment_set(s_, field, cellText(spec, v).c_str(), nullptr, 0) == LODE_OK;
    case Given::Decimal: return lode_shipment_set_decimal(s_, field, v.i, nullptr, 0) == LODE_OK;
    case Given::Code: return lode_shipment_set_code(s_, field, codeOf(spec.kind), int32_t(v.i), nullptr, 0) == LODE_OK;
  }
  return false;
}

bool CApiPricer::priceOne(const rt::Record& rec, Cells cells, const rt::Assessment** out) {
  if (lode_shipment_clear(s_) != LODE_OK) throw std::runtime_error("lode_shipment_clear failed");
  for (size_t f = 0; f < rec.values.size(); ++f)
    if (rec.values[f].present && !set(f, rec.values[f], cells)) return false;
  in_->set.quotas() = initial_;
  if (lode_price(a_, in_, s_, r_) != LODE_OK) throw std::runtime_error("lode_price failed");
  *out = &r_->as;
  return true;
}

std::vector<const rt::Assessment*> CApiPricer::priceBatch(const std::vector<rt::Record>& recs, Cells form,
                                                          unsigned threads) {
  const size_t n = recs.size();
  lode_batch* b = nullptr;
  if (lode_batch_new(a_, n, &b) != LODE_OK) throw std::runtime_error("lode_batch_new failed");
  std::unique_ptr<lode_batch, void (*)(lode_batch*)> owner(b, lode_batch_free);
  const auto& fields = a_->p().shipment.fields;
  std::vector<int64_t> micros(n);
  std::vector<int32_t> codes(n);
  std::vector<uint8_t> present(n);
  std::vector<std::string> texts(n);
  std::vector<const char*> cells(n);
  for (size_t f = 0; f < fields.size(); ++f) {
    const int32_t field = int32_t(f);
    const Given given = givenAs(fields[f].kind, form);
    for (size_t i = 0; i < n; ++i) {
      const rt::FieldValue& v = recs[i].values[f];
      present[i] = v.present;
      micros[i] = v.present ? v.i : 0;
      codes[i] = v.present ? int32_t(v.i) : 0;
      if (given == Given::Text) {
        texts[i] = v.present ? cellText(fields[f], v) : "";
        cells[i] = texts[i].c_str();
      }
    }
    lode_status st = LODE_OK;
    switch (given) {
      case Given::Text: st = lode_batch_set_column(b, field, cells.data(), n); break;
      case Given::Decimal: st = lode_batch_set_decimal_column(b, field, micros.data(), present.data(), n); break;
      case Given::Code: st = lode_batch_set_code_column(b, field, codeOf(fields[f].kind), codes.data(), present.data(), n); break;
    }
    if (st != LODE_OK) throw std::runtime_error("a batch refused a column of field " + fields[f].name);
  }
  lode_batch_set_threads(b, threads);
  in_->set.quotas() = initial_;
  size_t priced = 0;
  if (lode_batch_price(b, in_, &priced) != LODE_OK) throw std::runtime_error("lode_batch_price failed");
  batch_ = std::move(owner);
  std::vector<const rt::Assessment*> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = &lode_batch_result(b, i)->as;
  return out;
}

}  // namespace lode::testgen
