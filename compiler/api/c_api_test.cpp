// The C ABI seen from a C caller: results, misuse (null and wrong handles, short buffers, unknown
// fields, bad cells) answered with status codes, and pricing from many threads at once.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "lode.h"

namespace {

const std::string kDir = LODE_SOURCE_DIR "/examples/agreements/";
const std::string kE1 = kDir + "graphite_anode_na_indopacific";

struct E1 {
  lode_agreement* a = nullptr;
  lode_inputs* in = nullptr;
  E1() {
    char diag[4096];
    REQUIRE(lode_agreement_compile((kE1 + ".lode").c_str(), LODE_STDLIB_DIR, &a, diag, sizeof diag) == LODE_OK);
    REQUIRE(lode_inputs_new(a, &in) == LODE_OK);
    REQUIRE(lode_inputs_load_market(in, (kE1 + "/market.csv").c_str(), nullptr, 0) == LODE_OK);
    REQUIRE(lode_inputs_load_registry(in, "facilities", (kE1 + "/facilities.csv").c_str(), nullptr, 0) == LODE_OK);
  }
  ~E1() {
    lode_inputs_free(in);
    lode_agreement_free(a);
  }
  // T2: 20 t USPG from Mozambique at 2,800 USD/t -> 35,000.00 USD.
  // No doctest macros inside: it also runs on worker threads.
  bool fillT2(lode_shipment* s) const {
    const char* cells[][2] = {{"date", "2029-03-01"}, {"hs", "2504.10.50.00"}, {"origin", "MZ"}, {"mineral", "graphite"},
                              {"node", "processed"},   {"quantity", "20 t"},    {"value", "56000 USD"}};
    bool ok = true;
    for (auto& c : cells) ok = ok && lode_shipment_set(s, lode_field(a, c[0]), c[1], nullptr, 0) == LODE_OK;
    return ok;
  }
};

}  // namespace

TEST_CASE("C ABI: price one shipment and read its lines, total and JSON") {
  E1 e;
  CHECK(std::string(lode_agreement_currency(e.a)) == "USD");
  lode_shipment* s = nullptr;
  lode_result* r = nullptr;
  REQUIRE(lode_shipment_new(e.a, &s) == LODE_OK);
  REQUIRE(lode_result_new(&r) == LODE_OK);
  REQUIRE(e.fillT2(s));
  REQUIRE(lode_price(e.a, e.in, s, r) == LODE_OK);
  CHECK(lode_result_ok(r) == 1);
  char total[32];
  size_t needed = 0;
  CHECK(lode_result_total(r, total, sizeof total, &needed) == LODE_OK);
  CHECK(std::string(total) == "35000.00");
  int64_t micros = 0;
  CHECK(lode_result_total_micros(r, &micros) == LODE_OK);
  CHECK(micros == 35000000000LL);
  REQUIRE(lode_result_line_count(r) == 1);
  const char *measure = nullptr, *legal = nullptr;
  int64_t amount = 0;
  CHECK(lode_result_line(r, 0, &measure, &legal, &amount) == LODE_OK);
  CHECK(std::string(measure) == "uspg_floor");
  CHECK(std::string(legal) == "Art. 5.2");
  CHECK(amount == 35000000000LL);
  char small[8];
  CHECK(lode_result_json(r, small, sizeof small, &needed) == LODE_ERR_BUFFER);
  std::vector<char> json(needed);
  CHECK(lode_result_json(r, json.data(), json.size(), &needed) == LODE_OK);
  CHECK(std::string(json.data()).find("\"total\":\"35000.00\"") != std::string::npos);
  lode_result_free(r);
  lode_shipment_free(s);
}

TEST_CASE("C ABI: evaluation errors are in the result, not in the status") {
  E1 e;
  lode_shipment* s = nullptr;
  lode_result* r = nullptr;
  lode_shipment_new(e.a, &s);
  lode_result_new(&r);
  REQUIRE(e.fillT2(s));
  REQUIRE(lode_shipment_set(s, lode_field(e.a, "date"), "2020-01-01", nullptr, 0) == LODE_OK);  // before entry into force
  REQUIRE(lode_price(e.a, e.in, s, r) == LODE_OK);
  CHECK(lode_result_ok(r) == 0);
  CHECK(lode_result_total(r, nullptr, 0, nullptr) == LODE_ERR_ARGUMENT);
  REQUIRE(lode_result_error_count(r) == 1);
  const char *code = nullptr, *message = nullptr;
  CHECK(lode_result_error(r, 0, &code, &message) == LODE_OK);
  CHECK(std::string(code) == "E0012");
  CHECK(lode_result_error(r, 1, &code, &message) == LODE_ERR_ARGUMENT);
  lode_result_free(r);
  lode_shipment_free(s);
}

TEST_CASE("C ABI misuse: null and wrong handles, unknown fields, bad cells, missing files") {
  E1 e;
  CHECK(lode_agreement_compile(nullptr, nullptr, nullptr, nullptr, 0) == LODE_ERR_NULL);
  lode_agreement* none = nullptr;
  char diag[256];
  CHECK(lode_agreement_compile("/nonexistent.lode", nullptr, &none, diag, sizeof diag) == LODE_ERR_IO);
  CHECK(none == nullptr);
  CHECK(lode_inputs_new(nullptr, nullptr) == LODE_ERR_NULL);
  CHECK(lode_price(nullptr, nullptr, nullptr, nullptr) == LODE_ERR_NULL);
  CHECK(lode_field(nullptr, "hs") == -1);
  CHECK(lode_field(e.a, "no_such_field") == -1);
  CHECK(lode_field(e.a, nullptr) == -1);
  CHECK(lode_field_count(nullptr) == -1);
  CHECK(std::string(lode_agreement_title(nullptr)).empty());

  lode_shipment* s = nullptr;
  lode_result* r = nullptr;
  lode_shipment_new(e.a, &s);
  lode_result_new(&r);
  char msg[256];
  CHECK(lode_shipment_set(s, 9999, "x", msg, sizeof msg) == LODE_ERR_ARGUMENT);
  CHECK(lode_shipment_set(s, lode_field(e.a, "quantity"), "20 USD", msg, sizeof msg) == LODE_ERR_VALUE);
  CHECK(std::string(msg).find("quantity") != std::string::npos);
  CHECK(lode_shipment_set(s, lode_field(e.a, "origin"), "XX", msg, sizeof msg) == LODE_ERR_VALUE);
  CHECK(lode_shipment_set(s, lode_field(e.a, "hs"), nullptr, msg, sizeof msg) == LODE_ERR_NULL);

  // A handle of one kind passed where another is expected is refused, not dereferenced as such.
  CHECK(lode_price(e.a, e.in, reinterpret_cast<lode_shipment*>(r), r) == LODE_ERR_HANDLE);
  CHECK(lode_price(e.a, reinterpret_cast<lode_inputs*>(s), s, r) == LODE_ERR_HANDLE);
  CHECK(lode_inputs_load_registry(e.in, "no_such_registry", (kE1 + "/facilities.csv").c_str(), msg, sizeof msg) == LODE_ERR_ARGUMENT);
  CHECK(lode_inputs_load_market(e.in, "/nonexistent.csv", msg, sizeof msg) == LODE_ERR_IO);
  CHECK(lode_result_line(r, 0, nullptr, nullptr, nullptr) == LODE_ERR_ARGUMENT);  // never priced
  CHECK(lode_result_json(nullptr, nullptr, 0, nullptr) == LODE_ERR_NULL);
  CHECK(std::string(lode_status_text(static_cast<lode_status>(1234))) == "unknown status");

  // Freeing NULL or twice through a dead handle does nothing (the magic word is cleared first).
  lode_shipment_free(nullptr);
  lode_result_free(nullptr);
  lode_batch_free(nullptr);
  lode_result_free(r);
  lode_shipment_free(s);
}

TEST_CASE("C ABI: an agreement with errors returns its diagnostics") {
  std::string path = std::string(LODE_BINARY_DIR) + "/c_api_bad.lode";
  {
    std::ofstream f(path);
    f << "agreement \"bad\" { currency USD }\nmeasure m \"A\" { duty: 1 t }\n";
  }
  lode_agreement* a = nullptr;
  char diag[1024];
  CHECK(lode_agreement_compile(path.c_str(), LODE_STDLIB_DIR, &a, diag, sizeof diag) == LODE_ERR_COMPILE);
  CHECK(a == nullptr);
  CHECK(std::string(diag).find("L0203") != std::string::npos);
  char tiny[4];
  CHECK(lode_agreement_compile(path.c_str(), LODE_STDLIB_DIR, &a, tiny, sizeof tiny) == LODE_ERR_COMPILE);
  CHECK(std::string(tiny).size() == 3);  // truncated, still terminated
  std::remove(path.c_str());
}

TEST_CASE("C ABI: a columnar batch reports bad cells per row and prices the rest") {
  E1 e;
  lode_batch* b = nullptr;
  REQUIRE(lode_batch_new(e.a, 3, &b) == LODE_OK);
  const char* date[] = {"2029-03-01", "2029-03-01", "2029-03-01"};
  const char* hs[] = {"2504.10.50.00", "2504.10.50.00", "2504.10.50.00"};
  const char* origin[] = {"MZ", "CA", "MZ"};
  const char* mineral[] = {"graphite", "graphite", "graphite"};
  const char* node[] = {"processed", "processed", "processed"};
  const char* quantity[] = {"20 t", "20 t", "20 USD"};
  const char* value[] = {"56000 USD", "60000 USD", "1 USD"};
  const char* const* cols[] = {date, hs, origin, mineral, node, quantity, value};
  const char* names[] = {"date", "hs", "origin", "mineral", "node", "quantity", "value"};
  for (size_t c = 0; c < 7; ++c) REQUIRE(lode_batch_set_column(b, lode_field(e.a, names[c]), cols[c], 3) == LODE_OK);
  CHECK(lode_batch_set_column(b, lode_field(e.a, "date"), date, 2) == LODE_ERR_ARGUMENT);  // wrong length
  size_t priced = 0;
  REQUIRE(lode_batch_price(b, e.in, &priced) == LODE_OK);
  CHECK(priced == 2);
  int64_t t = 0;
  CHECK(lode_result_total_micros(lode_batch_result(b, 0), &t) == LODE_OK);
  CHECK(t == 35000000000LL);
  CHECK(lode_result_total_micros(lode_batch_result(b, 1), &t) == LODE_OK);
  CHECK(t == 0);
  CHECK(lode_result_ok(lode_batch_result(b, 2)) == 0);
  CHECK(lode_result_error_count(lode_batch_result(b, 2)) == 1);
  CHECK(lode_batch_result(b, 3) == nullptr);
  lode_batch_free(b);
}

TEST_CASE("C ABI: many threads price with one agreement and one inputs object") {
  E1 e;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      lode_shipment* s = nullptr;
      lode_result* r = nullptr;
      lode_shipment_new(e.a, &s);
      lode_result_new(&r);
      if (!e.fillT2(s)) ++wrong;
      for (int i = 0; i < 500; ++i) {
        int64_t micros = 0;
        if (lode_price(e.a, e.in, s, r) != LODE_OK || lode_result_total_micros(r, &micros) != LODE_OK ||
            micros != 35000000000LL)
          ++wrong;
      }
      lode_result_free(r);
      lode_shipment_free(s);
    });
  for (auto& th : threads) th.join();
  CHECK(wrong == 0);
}

TEST_CASE("C ABI: the jit engine prices like the interpreter and a second service loads it from the cache") {
  std::string cache = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + "/lode_c_api_cache_" +
                      std::to_string(std::random_device{}());
  auto priceT2 = [](E1& e) {
    lode_shipment* s = nullptr;
    lode_result* r = nullptr;
    lode_shipment_new(e.a, &s);
    lode_result_new(&r);
    e.fillT2(s);
    int64_t micros = -1;
    if (lode_price(e.a, e.in, s, r) == LODE_OK) lode_result_total_micros(r, &micros);
    lode_result_free(r);
    lode_shipment_free(s);
    return micros;
  };
  E1 first;
  CHECK(lode_agreement_engine(first.a) == 0);
  int64_t interpreted = priceT2(first);
  char msg[512];
  REQUIRE(lode_agreement_jit(first.a, cache.c_str(), msg, sizeof msg) == LODE_OK);
  CHECK(lode_agreement_engine(first.a) == 1);  // compiled, and stored
  CHECK(priceT2(first) == interpreted);
  E1 restarted;
  REQUIRE(lode_agreement_jit(restarted.a, cache.c_str(), msg, sizeof msg) == LODE_OK);
  CHECK(lode_agreement_engine(restarted.a) == 2);  // loaded, not compiled
  CHECK(priceT2(restarted) == 35000000000LL);
  CHECK(lode_agreement_jit(nullptr, nullptr, msg, sizeof msg) == LODE_ERR_NULL);
  CHECK(lode_agreement_engine(nullptr) == 0);
  std::error_code ec;
  std::filesystem::remove_all(cache, ec);
}

TEST_CASE("C ABI misuse: batch sizes, column lengths, fields and row indices") {
  E1 e;
  lode_batch* b = nullptr;
  CHECK(lode_batch_new(e.a, 0, &b) == LODE_ERR_ARGUMENT);
  CHECK(lode_batch_new(e.a, SIZE_MAX, &b) == LODE_ERR_ARGUMENT);  // refused up front, nothing allocated
  CHECK(b == nullptr);
  REQUIRE(lode_batch_new(e.a, 2, &b) == LODE_OK);
  const char* cells[] = {"2029-03-01", "2029-03-02", "2029-03-03"};
  int32_t date = lode_field(e.a, "date");
  CHECK(lode_batch_set_column(b, date, cells, 3) == LODE_ERR_ARGUMENT);  // another length than the batch
  CHECK(lode_batch_set_column(b, -1, cells, 2) == LODE_ERR_ARGUMENT);
  CHECK(lode_batch_set_column(b, lode_field_count(e.a), cells, 2) == LODE_ERR_ARGUMENT);
  CHECK(lode_batch_set_column(b, date, nullptr, 2) == LODE_ERR_NULL);
  CHECK(lode_batch_set_column(b, date, cells, 2) == LODE_OK);
  size_t priced = 99;
  CHECK(lode_batch_price(b, e.in, &priced) == LODE_OK);
  CHECK(priced == 0);  // rows without hs, origin, quantity, value: each has its errors, none priced
  CHECK(lode_batch_result(b, 2) == nullptr);
  REQUIRE(lode_batch_result(b, 1) != nullptr);
  CHECK(lode_result_ok(lode_batch_result(b, 1)) == 0);
  lode_batch_free(b);
}
