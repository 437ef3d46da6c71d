// The C ABI seen from a C caller: results, misuse (null and wrong handles, short buffers, unknown
// fields, bad cells) answered with status codes, and pricing from many threads at once.
#include <doctest/doctest.h>

#include <algorithm>
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
  // T2: 20 t USPG from Mozambique at 2,800 USD/t -> 35,000.00 USD: its fields and cells.
  static constexpr const char* kT2[][2] = {{"date", "2029-03-01"}, {"hs", "2504.10.50.00"}, {"origin", "MZ"},
                                            {"mineral", "graphite"}, {"node", "processed"}, {"quantity", "20 t"},
                                            {"value", "56000 USD"}};
  // No doctest macros inside: it also runs on worker threads.
  bool fillT2(lode_shipment* s) const {
    bool ok = true;
    for (auto& c : kT2) ok = ok && lode_shipment_set(s, lode_field(a, c[0]), c[1], nullptr, 0) == LODE_OK;
    return ok;
  }
  // A batch of n rows of T2 (text columns) but for `field`, set from `cells`; priced.
  lode_batch* pricedT2Batch(const char* field, const char* const* cells, size_t n, size_t* priced) const {
    lode_batch* b = nullptr;
    REQUIRE(lode_batch_new(a, n, &b) == LODE_OK);
    for (auto& c : kT2) {
      std::vector<const char*> column(n, c[1]);
      REQUIRE(lode_batch_set_column(b, lode_field(a, c[0]), column.data(), n) == LODE_OK);
    }
    REQUIRE(lode_batch_set_column(b, lode_field(a, field), cells, n) == LODE_OK);
    REQUIRE(lode_batch_price(b, in, priced) == LODE_OK);
    return b;
  }
};

// A result's JSON (lode_result_json) as a string.
std::string json(const lode_result* r) {
  size_t needed = 0;
  lode_result_json(r, nullptr, 0, &needed);
  std::string s(needed, '\0');
  if (lode_result_json(r, s.data(), s.size(), &needed) != LODE_OK) return "no json";
  s.resize(needed - 1);
  return s;
}

}  // namespace

TEST_CASE("C ABI: price one shipment and read its lines, total and JSON") {
  E1 e;
  CHECK(std::string(lode_agreement_currency(e.a)) == "USD");
  lode_shipment* s = nullptr;
  lode_result* r = nullptr;
  REQUIRE(lode_shipment_new(e.a, &s) == LODE_OK);
  REQUIRE(lode_result_new(&r) == LODE_OK);
  REQUIRE(e.fillT2(s));
  REQUIRE(lode_shipment_set(s, lode_field(e.a, "id"), "E1-T2", nullptr, 0) == LODE_OK);
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
  CHECK(std::string(json.data()).rfind("{\"row\":null,\"id\":\"E1-T2\",", 0) == 0);  // not a row of a file
  lode_result_free(r);
  lode_shipment_free(s);
}

TEST_CASE("C ABI: outcomes are read one by one: a shipment priced at 0.00 without error can be prohibited") {
  const std::string e5 = kDir + "ree_magnet_security";
  char diag[4096];
  lode_agreement* a = nullptr;
  REQUIRE(lode_agreement_compile((e5 + ".lode").c_str(), LODE_STDLIB_DIR, &a, diag, sizeof diag) == LODE_OK);
  lode_inputs* in = nullptr;
  REQUIRE(lode_inputs_new(a, &in) == LODE_OK);
  lode_shipment* s = nullptr;
  lode_result* r = nullptr;
  REQUIRE(lode_shipment_new(a, &s) == LODE_OK);
  REQUIRE(lode_result_new(&r) == LODE_OK);
  // E5-T3: 500 t of concentrate exported from the US to China without a licence.
  const char* cells[][2] = {{"date", "2028-06-15"}, {"hs", "2530.90.80.50"}, {"origin", "US"}, {"flow", "export"},
                            {"destination", "CN"}, {"mineral", "rare_earths"}, {"node", "concentrate"},
                            {"quantity", "500 t"}, {"value", "2500000 USD"}};
  for (auto& c : cells) REQUIRE(lode_shipment_set(s, lode_field(a, c[0]), c[1], nullptr, 0) == LODE_OK);
  REQUIRE(lode_price(a, in, s, r) == LODE_OK);
  CHECK(lode_result_ok(r) == 1);
  CHECK(lode_result_line_count(r) == 0);
  REQUIRE(lode_result_outcome_count(r) == 1);
  const char *kind = nullptr, *measure = nullptr, *legal = nullptr, *text = nullptr;
  REQUIRE(lode_result_outcome(r, 0, &kind, &measure, &legal, &text) == LODE_OK);
  CHECK(std::string(kind) == "prohibit");
  CHECK(std::string(measure) == "concentrate_export_licence");
  CHECK(std::string(legal) == "Art. 7.1");
  CHECK(std::string(text) == "export of REE concentrate to a non-Party without an export licence (Art. 7.1)");
  CHECK(lode_result_outcome(r, 1, &kind, nullptr, nullptr, nullptr) == LODE_ERR_ARGUMENT);
  CHECK(lode_result_outcome(nullptr, 0, &kind, nullptr, nullptr, nullptr) == LODE_ERR_NULL);
  CHECK(lode_result_outcome_count(nullptr) == 0);
  // With a licence the same export goes ahead under it: another outcome, still no money.
  REQUIRE(lode_shipment_set(s, lode_field(a, "export_licence"), "EL-2028-0042", nullptr, 0) == LODE_OK);
  REQUIRE(lode_price(a, in, s, r) == LODE_OK);
  REQUIRE(lode_result_outcome_count(r) == 1);
  REQUIRE(lode_result_outcome(r, 0, &kind, nullptr, nullptr, &text) == LODE_OK);
  CHECK(std::string(kind) == "licence");
  lode_result_free(r);
  lode_shipment_free(s);
  lode_inputs_free(in);
  lode_agreement_free(a);
}

TEST_CASE("C ABI: evaluation errors, a missing required field among them, are in the result, not in the status") {
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

  // A shipment without a required field is not priced: each missing one is an error. Without its
  // value, T2 would price the floor against a unit price of 0 (a plausible, wrong duty).
  REQUIRE(lode_shipment_clear(s) == LODE_OK);
  REQUIRE(e.fillT2(s));
  REQUIRE(lode_shipment_unset(s, lode_field(e.a, "value")) == LODE_OK);
  REQUIRE(lode_shipment_unset(s, lode_field(e.a, "quantity")) == LODE_OK);
  REQUIRE(lode_price(e.a, e.in, s, r) == LODE_OK);
  CHECK(lode_result_ok(r) == 0);
  CHECK(lode_result_line_count(r) == 0);
  REQUIRE(lode_result_error_count(r) == 2);
  std::string all;
  for (size_t i = 0; i < 2; ++i) {
    REQUIRE(lode_result_error(r, i, &code, &message) == LODE_OK);
    CHECK(std::string(code) == "E0004");
    all += std::string(message) + "\n";
  }
  CHECK_MESSAGE(all.find("quantity") != std::string::npos, all);
  CHECK_MESSAGE(all.find("value") != std::string::npos, all);
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
  // A result's JSON names its row and the row's id (a column no clause reads), priced or not.
  const char* ids[] = {"D-1", "", "D-3"};
  REQUIRE(lode_batch_set_column(b, lode_field(e.a, "id"), ids, 3) == LODE_OK);
  REQUIRE(lode_batch_price(b, e.in, &priced) == LODE_OK);
  CHECK(json(lode_batch_result(b, 0)).rfind("{\"row\":1,\"id\":\"D-1\",", 0) == 0);
  CHECK(json(lode_batch_result(b, 1)).rfind("{\"row\":2,\"id\":null,", 0) == 0);
  CHECK(json(lode_batch_result(b, 2)).rfind("{\"row\":3,\"id\":\"D-3\",", 0) == 0);
  lode_batch_free(b);
}

TEST_CASE("C ABI: a batch's text cells read as one shipment's: padded, non-ASCII, invalid UTF-8, empty") {
  E1 e;
  // Row 1 is T2 from a facility; rows 2 to 5 differ only in how that facility cell is written.
  const char* facility[] = {"F-ID-JV-25", "  F-ID-JV-25\t", "F-ID-JV-25 ", "F\xC3\xBC-1", "F\xff-1", ""};
  const size_t n = 6;
  size_t priced = 0;
  lode_batch* b = e.pricedT2Batch("facility", facility, n, &priced);
  CHECK(priced == n - 1);
  // Each row against the same shipment set one field at a time.
  for (size_t i = 0; i < n; ++i) {
    lode_shipment* s = nullptr;
    lode_result* r = nullptr;
    lode_shipment_new(e.a, &s);
    lode_result_new(&r);
    REQUIRE(e.fillT2(s));
    bool cellOk = lode_shipment_set(s, lode_field(e.a, "facility"), facility[i], nullptr, 0) == LODE_OK;
    const lode_result* br = lode_batch_result(b, i);
    CAPTURE(i);
    CHECK(cellOk == (i != 4));
    if (cellOk) {
      REQUIRE(lode_price(e.a, e.in, s, r) == LODE_OK);
      int64_t want = 0, got = 0;
      REQUIRE(lode_result_total_micros(r, &want) == LODE_OK);
      REQUIRE(lode_result_total_micros(br, &got) == LODE_OK);
      CHECK(got == want);
    } else {
      REQUIRE(lode_result_error_count(br) == 1);
      const char* code = nullptr;
      const char* message = nullptr;
      REQUIRE(lode_result_error(br, 0, &code, &message) == LODE_OK);
      CHECK(std::string(message).find("facility: not valid UTF-8") != std::string::npos);
    }
    lode_result_free(r);
    lode_shipment_free(s);
  }
  int64_t padded = 0, plain = 0;
  lode_result_total_micros(lode_batch_result(b, 0), &plain);
  lode_result_total_micros(lode_batch_result(b, 1), &padded);
  CHECK(padded == plain);
  lode_batch_free(b);
}

TEST_CASE("C ABI: a batch checks the cells of fields no clause reads") {
  // E1's clauses never read `id`: a batch does not copy it into the row, but a bad cell is still the
  // row's error, as it is for one shipment.
  E1 e;
  const char* ids[] = {"R1", "R\xff", "", "  R4 "};
  const size_t n = 4;
  size_t priced = 0;
  lode_batch* b = e.pricedT2Batch("id", ids, n, &priced);
  CHECK(priced == 3);
  for (size_t i : {0, 2, 3}) {
    int64_t total = 0;
    CHECK(lode_result_total_micros(lode_batch_result(b, i), &total) == LODE_OK);
    CHECK(total == 35000000000LL);  // T2: 35,000.00 USD
  }
  const lode_result* bad = lode_batch_result(b, 1);
  REQUIRE(lode_result_error_count(bad) == 1);
  const char* code = nullptr;
  const char* message = nullptr;
  REQUIRE(lode_result_error(bad, 0, &code, &message) == LODE_OK);
  CHECK_MESSAGE(std::string(message).find("id: not valid UTF-8") != std::string::npos, message);
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
  CHECK(lode_agreement_engine(first.a) == 1);  // compiled
  CHECK(priceT2(first) == interpreted);         // by the quick code or the optimised one
  REQUIRE(lode_agreement_jit_wait(first.a, msg, sizeof msg) == LODE_OK);  // optimised, and stored
  CHECK(priceT2(first) == interpreted);
  E1 restarted;
  REQUIRE(lode_agreement_jit(restarted.a, cache.c_str(), msg, sizeof msg) == LODE_OK);
  CHECK(lode_agreement_engine(restarted.a) == 2);  // loaded, not compiled
  CHECK(lode_agreement_jit_wait(restarted.a, msg, sizeof msg) == LODE_OK);
  CHECK(priceT2(restarted) == 35000000000LL);
  CHECK(lode_agreement_jit_wait(nullptr, msg, sizeof msg) == LODE_ERR_NULL);
  CHECK(lode_agreement_jit(nullptr, nullptr, msg, sizeof msg) == LODE_ERR_NULL);
  CHECK(lode_agreement_engine(nullptr) == 0);
  std::error_code ec;
  std::filesystem::remove_all(cache, ec);
}

TEST_CASE("C ABI: a cache that cannot be written is reported by jit_wait, and the optimised code still prices") {
  // The cache "directory" is a regular file: nothing can be stored under it.
  std::string blocked = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + "/lode_c_api_blocked_" +
                        std::to_string(std::random_device{}());
  std::ofstream(blocked) << "not a directory\n";
  E1 e;
  char msg[512];
  REQUIRE(lode_agreement_jit(e.a, blocked.c_str(), msg, sizeof msg) == LODE_OK);  // prices at once, quick code
  CHECK(lode_agreement_engine(e.a) == 1);
  CHECK(lode_agreement_jit_wait(e.a, msg, sizeof msg) == LODE_ERR_IO);
  CHECK(std::string(msg).find("cannot write the JIT cache file") != std::string::npos);
  lode_shipment* s = nullptr;
  lode_result* r = nullptr;
  REQUIRE(lode_shipment_new(e.a, &s) == LODE_OK);
  REQUIRE(lode_result_new(&r) == LODE_OK);
  REQUIRE(e.fillT2(s));
  REQUIRE(lode_price(e.a, e.in, s, r) == LODE_OK);
  int64_t micros = 0;
  CHECK(lode_result_total_micros(r, &micros) == LODE_OK);
  CHECK(micros == 35000000000LL);
  lode_result_free(r);
  lode_shipment_free(s);
  std::remove(blocked.c_str());
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

// ---- typed values, typed columns, threads ---------------------------------------------------------

namespace {

int32_t ymd(int y, int m, int d) { return y * 10000 + m * 100 + d; }

// Days since 1970-01-01 (proleptic Gregorian), for the LODE_CODE_DAYS format.
int32_t daysOf(int y, int m, int d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int32_t enumIndex(lode_agreement* a, int32_t field, const std::string& name) {
  for (int32_t k = 0;; ++k) {
    const char* v = lode_field_enum_value(a, field, k);
    if (!v) return -1;
    if (name == v) return k;
  }
}


// A comparable digest of a result: ok, total, lines, error codes (messages may say the value in the
// form it was given).
std::string digest(const lode_result* r) {
  // From "origin" on: the row and id say where the shipment came from, not what it costs.
  std::string j = json(r);
  std::string s = lode_result_ok(r) ? "ok " + j.substr(std::min(j.size(), j.find("\"origin\""))) : "errors";
  for (size_t i = 0; i < lode_result_error_count(r); ++i) {
    const char *code = nullptr, *message = nullptr;
    lode_result_error(r, i, &code, &message);
    s += std::string(" ") + code;
  }
  return s;
}

TEST_CASE("C ABI: a text column is checked whole when set: padding alone, non-ASCII alone, blanks") {
  // A column whose every cell is plain ASCII is not scanned again when priced; each of these columns
  // breaks that in one way only, so a check that misses it prices a row with its cell as it is.
  E1 e;
  const std::vector<std::vector<const char*>> columns = {
      {"F-ID-JV-25", "  F-ID-JV-25\t", "F-ID-JV-25 ", "F-ID-JV-25"},  // padded, all ASCII
      {"F-ID-JV-25", "F\xC3\xBC-1", "F\xff-1", "F-MZ-2"},             // non-ASCII (one not UTF-8), no padding
      {"F-ID-JV-25", "", "F-MZ-2", ""},                                // plain with blanks
  };
  for (size_t c = 0; c < columns.size(); ++c) {
    const auto& cells = columns[c];
    size_t priced = 0, cellsOk = 0;
    lode_batch* b = e.pricedT2Batch("facility", cells.data(), cells.size(), &priced);
    for (size_t i = 0; i < cells.size(); ++i) {
      lode_shipment* s = nullptr;
      lode_result* r = nullptr;
      lode_shipment_new(e.a, &s);
      lode_result_new(&r);
      REQUIRE(e.fillT2(s));
      CAPTURE(c);
      CAPTURE(i);
      const lode_result* br = lode_batch_result(b, i);
      if (lode_shipment_set(s, lode_field(e.a, "facility"), cells[i], nullptr, 0) == LODE_OK) {
        ++cellsOk;
        REQUIRE(lode_price(e.a, e.in, s, r) == LODE_OK);
        CHECK(digest(br) == digest(r));
      } else {  // the row's error, as the shipment's setter says it
        const char *code = nullptr, *message = nullptr;
        REQUIRE(lode_result_error(br, 0, &code, &message) == LODE_OK);
        CHECK(std::string(message).find("facility: not valid UTF-8") != std::string::npos);
      }
      lode_result_free(r);
      lode_shipment_free(s);
    }
    CHECK(priced == cellsOk);
    lode_batch_free(b);
  }
}

TEST_CASE("C ABI: a reused shipment's memo of HS cells prices every code like a fresh shipment") {
  E1 e;
  const int32_t hs = lode_field(e.a, "hs");
  // In E1's USPG scope (a floor duty for T2 from Mozambique) or not; written with dots, without, with
  // blanks around; more distinct codes than the memo's entries, and a few that do not parse.
  const char* in[] = {"2504.10", "2504.90", "3801.90"};
  const char* out[] = {"2504.20", "3801.10", "8507.10", "2505.10", "2601.11"};
  uint64_t seed = 7;
  auto pick = [&](uint64_t n) { seed = seed * 6364136223846793005ull + 1442695040888963407ull; return (seed >> 33) % n; };
  lode_shipment *reused = nullptr, *fresh = nullptr;
  lode_result *r1 = nullptr, *r2 = nullptr;
  lode_shipment_new(e.a, &reused);
  lode_result_new(&r1);
  lode_result_new(&r2);
  size_t inScope = 0, outOfScope = 0, bad = 0;
  for (int i = 0; i < 400; ++i) {
    std::string code = pick(2) ? in[pick(3)] : out[pick(5)];
    char tail[16];
    std::snprintf(tail, sizeof tail, ".%02d.%02d", int(pick(6)), int(pick(3)));
    code += tail;
    if (i % 37 == 5) code = "77" + code.substr(2);  // no chapter 77
    if (pick(3) == 0) code.erase(std::remove(code.begin(), code.end(), '.'), code.end());
    if (pick(4) == 0) code = " " + code + " ";
    CAPTURE(code);
    lode_shipment_clear(reused);
    REQUIRE(e.fillT2(reused));
    lode_status st1 = lode_shipment_set(reused, hs, code.c_str(), nullptr, 0);
    lode_shipment_new(e.a, &fresh);
    REQUIRE(e.fillT2(fresh));
    lode_status st2 = lode_shipment_set(fresh, hs, code.c_str(), nullptr, 0);
    REQUIRE(st1 == st2);
    REQUIRE(lode_price(e.a, e.in, reused, r1) == LODE_OK);
    REQUIRE(lode_price(e.a, e.in, fresh, r2) == LODE_OK);
    CHECK(digest(r1) == digest(r2));
    lode_shipment_free(fresh);
    if (st1 != LODE_OK) ++bad;
    else if (lode_result_line_count(r1) > 0 && lode_result_ok(r1)) ++inScope;
    else ++outOfScope;
  }
  CHECK(inScope > 50);
  CHECK(outOfScope > 50);
  CHECK(bad > 5);
  lode_result_free(r1);
  lode_result_free(r2);
  lode_shipment_free(reused);
}

// Generated E1 declarations, each as text cells and as typed values (the same shipment). A few
// rows break the rules on purpose (quantity 0, negative value, an unknown country).
struct Rows {
  struct Field {
    const char* name;
    int32_t handle;
    std::vector<std::string> text;
    std::vector<int64_t> values;  // micros or codes
    std::vector<uint8_t> present;
  };
  std::vector<Field> fields;
  size_t n;

  Rows(lode_agreement* a, size_t count, unsigned seed) : n(count) {
    const char* names[] = {"id", "date", "hs", "origin", "mineral", "node", "quantity", "value", "facility",
                           "energy_density", "coated", "feoc_controlled", "content_value.graphite"};
    for (const char* nm : names) fields.push_back({nm, lode_field(a, nm), {}, {}, {}});
    std::mt19937 rng(seed);
    auto pick = [&](size_t k) { return size_t(rng() % k); };
    const char* hs[] = {"2504.10.50.00", "3801.90.00.00", "8507.60.00.20", "2504.90"};
    const char* origins[] = {"CA", "MZ", "ID", "CN", "JP", "KR", "US", "MX"};
    const char* nodes[] = {"processed", "active_material", "article"};
    const char* facilities[] = {"", "F-CA-QC-1", "F-ID-SULAWESI-AAM", "F-ID-JV-25", "F-MZ-2", "F-UNKNOWN"};
    for (size_t i = 0; i < n; ++i) {
      auto put = [&](size_t f, std::string text, int64_t value, bool present = true) {
        fields[f].text.push_back(present ? text : "");
        fields[f].values.push_back(value);
        fields[f].present.push_back(present ? 1 : 0);
      };
      char buf[64];
      put(0, "R" + std::to_string(i), 0);
      int y = 2026 + int(pick(5)), m = 1 + int(pick(12)), d = 1 + int(pick(28));
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
      put(1, buf, ymd(y, m, d));
      // Chapter 77 does not exist: a bad HS cell. One row in 5 has one of 10,000 subheadings of 2504.10,
      // more than a batch's memo of parsed HS cells holds.
      std::snprintf(buf, sizeof buf, "2504.10.%02d.%02d", int(pick(100)), int(pick(100)));
      put(2, i % 83 == 3 ? "7701.10" : i % 5 == 2 ? buf : hs[pick(4)], 0);
      const char* o = i % 97 == 13 ? "ZZ" : origins[pick(8)];
      put(3, o, LODE_COUNTRY(o[0], o[1]));
      put(4, "graphite", enumIndex(a, fields[4].handle, "graphite"));
      const char* node = nodes[pick(3)];
      put(5, node, enumIndex(a, fields[5].handle, node));
      int64_t kg = i % 101 == 7 ? 0 : 1 + int64_t(pick(40000));
      put(6, std::to_string(kg) + " kg", kg * 1000);  // micros of t
      int64_t cents = i % 89 == 5 ? -100 : int64_t(pick(50000000));
      std::snprintf(buf, sizeof buf, "%lld.%02lld USD", (long long)(cents / 100), (long long)(cents < 0 ? -cents % 100 : cents % 100));
      put(7, cents < 0 ? "-1 USD" : buf, cents * 10000);
      put(8, facilities[pick(6)], 0);
      int64_t mah = 300 + int64_t(pick(60));
      put(9, std::to_string(mah) + " mAh/g", mah * 1000000, pick(3) != 0);
      bool coated = pick(2) == 1;
      put(10, coated ? "true" : "false", coated ? 1 : 0, pick(4) != 0);
      put(11, "true", 1, pick(10) == 0);
      int64_t cv = int64_t(pick(1000));
      put(12, std::to_string(cv) + " USD", cv * 1000000, pick(5) == 0);
    }
  }

  std::vector<const char*> cells(size_t f) const {
    std::vector<const char*> v;
    for (const auto& t : fields[f].text) v.push_back(t.c_str());
    return v;
  }

  void setText(lode_batch* b) const {
    for (size_t f = 0; f < fields.size(); ++f) REQUIRE(lode_batch_set_column(b, fields[f].handle, cells(f).data(), n) == LODE_OK);
  }

  // Typed columns where the kind allows them; dates as YYYYMMDD or days.
  void setTyped(lode_agreement* a, lode_batch* b, bool days) const {
    for (size_t f = 0; f < fields.size(); ++f) {
      const Field& fl = fields[f];
      std::vector<int32_t> codes(fl.values.begin(), fl.values.end());
      switch (lode_field_kind(a, fl.handle)) {
        case LODE_KIND_DECIMAL:
          REQUIRE(lode_batch_set_decimal_column(b, fl.handle, fl.values.data(), fl.present.data(), n) == LODE_OK);
          break;
        case LODE_KIND_DATE:
          if (days)
            for (int32_t& c : codes) c = daysOf(c / 10000, c / 100 % 100, c % 100);
          REQUIRE(lode_batch_set_code_column(b, fl.handle, days ? LODE_CODE_DAYS : LODE_CODE_YYYYMMDD, codes.data(), fl.present.data(), n) == LODE_OK);
          break;
        case LODE_KIND_COUNTRY:
          REQUIRE(lode_batch_set_code_column(b, fl.handle, LODE_CODE_COUNTRY, codes.data(), fl.present.data(), n) == LODE_OK);
          break;
        case LODE_KIND_ENUM:
          REQUIRE(lode_batch_set_code_column(b, fl.handle, LODE_CODE_INDEX, codes.data(), fl.present.data(), n) == LODE_OK);
          break;
        case LODE_KIND_BOOL:
          REQUIRE(lode_batch_set_code_column(b, fl.handle, LODE_CODE_BOOL, codes.data(), fl.present.data(), n) == LODE_OK);
          break;
        default:
          REQUIRE(lode_batch_set_column(b, fl.handle, cells(f).data(), n) == LODE_OK);
      }
    }
  }
};

}  // namespace

TEST_CASE("C ABI: field kinds, units and enum values") {
  E1 e;
  CHECK(lode_field_kind(e.a, lode_field(e.a, "quantity")) == LODE_KIND_DECIMAL);
  CHECK(lode_field_kind(e.a, lode_field(e.a, "date")) == LODE_KIND_DATE);
  CHECK(lode_field_kind(e.a, lode_field(e.a, "origin")) == LODE_KIND_COUNTRY);
  CHECK(lode_field_kind(e.a, lode_field(e.a, "node")) == LODE_KIND_ENUM);
  CHECK(lode_field_kind(e.a, lode_field(e.a, "hs")) == LODE_KIND_HS);
  CHECK(lode_field_kind(e.a, lode_field(e.a, "facility")) == LODE_KIND_TEXT);
  CHECK(lode_field_kind(e.a, lode_field(e.a, "coated")) == LODE_KIND_BOOL);
  CHECK(std::string(lode_field_unit(e.a, lode_field(e.a, "quantity"))) == "t");
  CHECK(std::string(lode_field_unit(e.a, lode_field(e.a, "value"))) == "USD");
  CHECK(std::string(lode_field_unit(e.a, lode_field(e.a, "energy_density"))) == "mAh/g");
  CHECK(std::string(lode_field_unit(e.a, lode_field(e.a, "date"))).empty());
  int32_t node = lode_field(e.a, "node");
  CHECK(enumIndex(e.a, node, "processed") >= 0);
  CHECK(lode_field_enum_value(e.a, node, -1) == nullptr);
  CHECK(lode_field_enum_value(e.a, node, 1000) == nullptr);
  CHECK(lode_field_enum_value(e.a, lode_field(e.a, "date"), 0) == nullptr);
  // Misuse: NULL or wrong handles, fields out of range.
  CHECK(lode_field_kind(nullptr, 0) == -1);
  CHECK(lode_field_kind(e.a, -1) == -1);
  CHECK(lode_field_kind(e.a, lode_field_count(e.a)) == -1);
  CHECK(lode_field_kind(reinterpret_cast<lode_agreement*>(e.in), 0) == -1);
  CHECK(std::string(lode_field_unit(nullptr, 0)).empty());
  CHECK(std::string(lode_field_unit(e.a, 9999)).empty());
  CHECK(lode_field_enum_value(nullptr, node, 0) == nullptr);
  CHECK(LODE_COUNTRY('C', 'N') == 0x434e);
}

TEST_CASE("C ABI: typed setters price like text cells and refuse what the text reader refuses") {
  E1 e;
  lode_shipment* s = nullptr;
  lode_result* r = nullptr;
  REQUIRE(lode_shipment_new(e.a, &s) == LODE_OK);
  REQUIRE(lode_result_new(&r) == LODE_OK);
  int32_t date = lode_field(e.a, "date"), origin = lode_field(e.a, "origin"), mineral = lode_field(e.a, "mineral"),
          node = lode_field(e.a, "node"), quantity = lode_field(e.a, "quantity"), value = lode_field(e.a, "value"),
          coated = lode_field(e.a, "coated");
  char msg[256];
  // T2 with typed values: 35,000.00 USD.
  REQUIRE(lode_shipment_set_code(s, date, LODE_CODE_YYYYMMDD, 20290301, msg, sizeof msg) == LODE_OK);
  REQUIRE(lode_shipment_set(s, lode_field(e.a, "hs"), "2504.10.50.00", msg, sizeof msg) == LODE_OK);
  REQUIRE(lode_shipment_set_code(s, origin, LODE_CODE_COUNTRY, LODE_COUNTRY('M', 'Z'), msg, sizeof msg) == LODE_OK);
  REQUIRE(lode_shipment_set_code(s, mineral, LODE_CODE_INDEX, enumIndex(e.a, mineral, "graphite"), msg, sizeof msg) == LODE_OK);
  REQUIRE(lode_shipment_set_code(s, node, LODE_CODE_INDEX, enumIndex(e.a, node, "processed"), msg, sizeof msg) == LODE_OK);
  REQUIRE(lode_shipment_set_decimal(s, quantity, 20000000, msg, sizeof msg) == LODE_OK);
  REQUIRE(lode_shipment_set_decimal(s, value, 56000000000LL, msg, sizeof msg) == LODE_OK);
  REQUIRE(lode_shipment_set_code(s, coated, LODE_CODE_BOOL, 0, msg, sizeof msg) == LODE_OK);
  REQUIRE(lode_price(e.a, e.in, s, r) == LODE_OK);
  int64_t micros = 0;
  CHECK(lode_result_total_micros(r, &micros) == LODE_OK);
  CHECK(micros == 35000000000LL);
  std::string typedJson = json(r);
  // The same with days and with text cells.
  REQUIRE(lode_shipment_set_code(s, date, LODE_CODE_DAYS, daysOf(2029, 3, 1), msg, sizeof msg) == LODE_OK);
  REQUIRE(lode_price(e.a, e.in, s, r) == LODE_OK);
  CHECK(json(r) == typedJson);
  lode_shipment_clear(s);
  REQUIRE(e.fillT2(s));
  REQUIRE(lode_shipment_set(s, coated, "false", msg, sizeof msg) == LODE_OK);
  REQUIRE(lode_price(e.a, e.in, s, r) == LODE_OK);
  CHECK(json(r) == typedJson);

  // Kinds that do not fit are argument errors.
  CHECK(lode_shipment_set_decimal(s, date, 1, msg, sizeof msg) == LODE_ERR_ARGUMENT);
  CHECK(lode_shipment_set_decimal(s, -1, 1, msg, sizeof msg) == LODE_ERR_ARGUMENT);
  CHECK(lode_shipment_set_decimal(s, lode_field_count(e.a), 1, msg, sizeof msg) == LODE_ERR_ARGUMENT);
  CHECK(lode_shipment_set_code(s, quantity, LODE_CODE_DAYS, 1, msg, sizeof msg) == LODE_ERR_ARGUMENT);
  CHECK(lode_shipment_set_code(s, origin, LODE_CODE_INDEX, 1, msg, sizeof msg) == LODE_ERR_ARGUMENT);
  CHECK(lode_shipment_set_code(s, node, LODE_CODE_COUNTRY, LODE_COUNTRY('C', 'N'), msg, sizeof msg) == LODE_ERR_ARGUMENT);
  CHECK(lode_shipment_set_code(s, lode_field(e.a, "hs"), LODE_CODE_INDEX, 0, msg, sizeof msg) == LODE_ERR_ARGUMENT);
  CHECK(lode_shipment_set_code(s, lode_field(e.a, "facility"), LODE_CODE_BOOL, 0, msg, sizeof msg) == LODE_ERR_ARGUMENT);
  CHECK(lode_shipment_set_code(s, date, static_cast<lode_code>(99), 0, msg, sizeof msg) == LODE_ERR_ARGUMENT);
  // NULL and wrong handles.
  CHECK(lode_shipment_set_decimal(nullptr, quantity, 1, msg, sizeof msg) == LODE_ERR_NULL);
  CHECK(lode_shipment_set_code(nullptr, date, LODE_CODE_DAYS, 1, msg, sizeof msg) == LODE_ERR_NULL);
  CHECK(lode_shipment_set_decimal(reinterpret_cast<lode_shipment*>(r), quantity, 1, msg, sizeof msg) == LODE_ERR_HANDLE);
  CHECK(lode_shipment_unset(nullptr, 0) == LODE_ERR_NULL);
  CHECK(lode_shipment_unset(s, -1) == LODE_ERR_ARGUMENT);

  // Values the text reader would refuse: LODE_ERR_VALUE naming the field; the field is left unset.
  auto refused = [&](lode_status st, const char* field, const char* words) {
    CHECK(st == LODE_ERR_VALUE);
    std::string m(msg);
    CHECK_MESSAGE(m.find(field) == 0, m);
    CHECK_MESSAGE(m.find(words) != std::string::npos, m);
  };
  refused(lode_shipment_set_decimal(s, quantity, 0, msg, sizeof msg), "quantity", "must be more than zero, got '0 t'");
  refused(lode_shipment_set_decimal(s, quantity, -5000000, msg, sizeof msg), "quantity", "must be more than zero");
  refused(lode_shipment_set_decimal(s, value, -1, msg, sizeof msg), "value", "must not be negative, got '-0.000001 USD'");
  refused(lode_shipment_set_decimal(s, value, INT64_MIN, msg, sizeof msg), "value", "out of range");
  refused(lode_shipment_set_code(s, date, LODE_CODE_YYYYMMDD, 20290230, msg, sizeof msg), "date", "not a calendar date");
  refused(lode_shipment_set_code(s, date, LODE_CODE_YYYYMMDD, 100000101, msg, sizeof msg), "date", "not a calendar date");
  refused(lode_shipment_set_code(s, date, LODE_CODE_YYYYMMDD, -20290301, msg, sizeof msg), "date", "not a calendar date");
  refused(lode_shipment_set_code(s, date, LODE_CODE_YYYYMMDD, 301, msg, sizeof msg), "date", "not a calendar date");
  refused(lode_shipment_set_code(s, date, LODE_CODE_DAYS, daysOf(10000, 1, 1), msg, sizeof msg), "date", "is not a date between");
  refused(lode_shipment_set_code(s, date, LODE_CODE_DAYS, daysOf(1, 1, 1) - 1, msg, sizeof msg), "date", "is not a date between");
  CHECK(lode_shipment_set_code(s, date, LODE_CODE_DAYS, daysOf(1, 1, 1), msg, sizeof msg) == LODE_OK);
  CHECK(lode_shipment_set_code(s, date, LODE_CODE_DAYS, daysOf(9999, 12, 31), msg, sizeof msg) == LODE_OK);
  refused(lode_shipment_set_code(s, origin, LODE_CODE_COUNTRY, LODE_COUNTRY('Z', 'Z'), msg, sizeof msg), "origin", "unknown country 'ZZ'");
  refused(lode_shipment_set_code(s, origin, LODE_CODE_COUNTRY, LODE_COUNTRY('c', 'n'), msg, sizeof msg), "origin", "invalid country code");
  refused(lode_shipment_set_code(s, origin, LODE_CODE_COUNTRY, 0x1434e, msg, sizeof msg), "origin", "invalid country code");
  refused(lode_shipment_set_code(s, origin, LODE_CODE_COUNTRY, -1, msg, sizeof msg), "origin", "invalid country code");
  refused(lode_shipment_set_code(s, node, LODE_CODE_INDEX, 1000, msg, sizeof msg), "node", "out of range");
  refused(lode_shipment_set_code(s, node, LODE_CODE_INDEX, -1, msg, sizeof msg), "node", "out of range");
  refused(lode_shipment_set_code(s, coated, LODE_CODE_BOOL, 2, msg, sizeof msg), "coated", "expected 0 or 1");
  // The refused fields are unset: the shipment now lacks origin, node and quantity.
  REQUIRE(lode_price(e.a, e.in, s, r) == LODE_OK);
  CHECK(lode_result_ok(r) == 0);
  // unset, then set again: priced as before.
  lode_shipment_clear(s);
  REQUIRE(e.fillT2(s));
  REQUIRE(lode_shipment_set(s, coated, "false", msg, sizeof msg) == LODE_OK);
  REQUIRE(lode_shipment_unset(s, value) == LODE_OK);
  REQUIRE(lode_price(e.a, e.in, s, r) == LODE_OK);
  CHECK(json(r) != typedJson);  // no value, no unit price: the floor does not apply
  REQUIRE(lode_shipment_set_decimal(s, value, 56000000000LL, msg, sizeof msg) == LODE_OK);
  REQUIRE(lode_price(e.a, e.in, s, r) == LODE_OK);
  CHECK(json(r) == typedJson);
  lode_result_free(r);
  lode_shipment_free(s);
}

TEST_CASE("C ABI misuse: typed columns with NULL, wrong lengths, wrong kinds and bad values") {
  E1 e;
  lode_batch* b = nullptr;
  REQUIRE(lode_batch_new(e.a, 3, &b) == LODE_OK);
  int32_t date = lode_field(e.a, "date"), quantity = lode_field(e.a, "quantity"), origin = lode_field(e.a, "origin");
  int64_t micros[] = {20000000, 0, -1};
  int32_t days[] = {daysOf(2029, 3, 1), daysOf(2029, 3, 1), daysOf(2029, 3, 1)};
  uint8_t present[] = {1, 1, 1};
  CHECK(lode_batch_set_decimal_column(nullptr, quantity, micros, present, 3) == LODE_ERR_NULL);
  CHECK(lode_batch_set_decimal_column(b, quantity, nullptr, present, 3) == LODE_ERR_NULL);
  CHECK(lode_batch_set_code_column(b, date, LODE_CODE_DAYS, nullptr, present, 3) == LODE_ERR_NULL);
  CHECK(lode_batch_set_decimal_column(reinterpret_cast<lode_batch*>(e.in), quantity, micros, present, 3) == LODE_ERR_HANDLE);
  CHECK(lode_batch_set_decimal_column(b, quantity, micros, present, 2) == LODE_ERR_ARGUMENT);  // another length
  CHECK(lode_batch_set_decimal_column(b, quantity, micros, present, 4) == LODE_ERR_ARGUMENT);
  CHECK(lode_batch_set_code_column(b, date, LODE_CODE_DAYS, days, present, 0) == LODE_ERR_ARGUMENT);
  CHECK(lode_batch_set_decimal_column(b, -1, micros, present, 3) == LODE_ERR_ARGUMENT);
  CHECK(lode_batch_set_decimal_column(b, lode_field_count(e.a), micros, present, 3) == LODE_ERR_ARGUMENT);
  CHECK(lode_batch_set_decimal_column(b, date, micros, present, 3) == LODE_ERR_ARGUMENT);  // a date is not a decimal
  CHECK(lode_batch_set_code_column(b, quantity, LODE_CODE_DAYS, days, present, 3) == LODE_ERR_ARGUMENT);
  CHECK(lode_batch_set_code_column(b, date, LODE_CODE_COUNTRY, days, present, 3) == LODE_ERR_ARGUMENT);
  CHECK(lode_batch_set_code_column(b, lode_field(e.a, "hs"), LODE_CODE_INDEX, days, present, 3) == LODE_ERR_ARGUMENT);
  CHECK(lode_batch_set_code_column(b, date, static_cast<lode_code>(-3), days, present, 3) == LODE_ERR_ARGUMENT);
  CHECK(lode_batch_clear_column(nullptr, date) == LODE_ERR_NULL);
  CHECK(lode_batch_clear_column(b, -1) == LODE_ERR_ARGUMENT);
  CHECK(lode_batch_set_threads(nullptr, 1) == LODE_ERR_NULL);
  CHECK(lode_batch_set_threads(reinterpret_cast<lode_batch*>(e.in), 1) == LODE_ERR_HANDLE);

  // Bad values are per row, like bad text cells: row 2 has quantity 0, row 3 value -0.000001 and an
  // unknown country; row 1 has no quantity (present = 0).
  const char* hs[] = {"2504.10.50.00", "2504.10.50.00", "2504.10.50.00"};
  int32_t origins[] = {LODE_COUNTRY('M', 'Z'), LODE_COUNTRY('M', 'Z'), LODE_COUNTRY('Q', 'Q')};
  int64_t values[] = {56000000000LL, 56000000000LL, -1};
  uint8_t noFirst[] = {0, 1, 1};
  REQUIRE(lode_batch_set_code_column(b, date, LODE_CODE_DAYS, days, nullptr, 3) == LODE_OK);  // NULL present: all
  REQUIRE(lode_batch_set_column(b, lode_field(e.a, "hs"), hs, 3) == LODE_OK);
  REQUIRE(lode_batch_set_code_column(b, origin, LODE_CODE_COUNTRY, origins, nullptr, 3) == LODE_OK);
  REQUIRE(lode_batch_set_decimal_column(b, quantity, micros, noFirst, 3) == LODE_OK);
  REQUIRE(lode_batch_set_decimal_column(b, lode_field(e.a, "value"), values, nullptr, 3) == LODE_OK);
  size_t priced = 99;
  REQUIRE(lode_batch_price(b, e.in, &priced) == LODE_OK);
  CHECK(priced == 0);
  auto errors = [&](size_t row) {
    std::string all;
    const lode_result* r = lode_batch_result(b, row);
    for (size_t i = 0; i < lode_result_error_count(r); ++i) {
      const char *code = nullptr, *message = nullptr;
      lode_result_error(r, i, &code, &message);
      all += std::string(code) + " " + message + "\n";
    }
    return all;
  };
  CHECK_MESSAGE(errors(0).find("E0004 missing shipment field: quantity") != std::string::npos, errors(0));
  CHECK_MESSAGE(errors(1).find("quantity: must be more than zero, got '0 t'") != std::string::npos, errors(1));
  CHECK_MESSAGE(errors(2).find("origin: unknown country 'QQ'") != std::string::npos, errors(2));
  CHECK_MESSAGE(errors(2).find("value: must not be negative") != std::string::npos, errors(2));
  CHECK_MESSAGE(errors(2).find("quantity: must not") == std::string::npos, errors(2));
  // Clearing a column makes the field absent in every row again.
  REQUIRE(lode_batch_clear_column(b, origin) == LODE_OK);
  REQUIRE(lode_batch_price(b, e.in, &priced) == LODE_OK);
  CHECK_MESSAGE(errors(2).find("E0004 missing shipment field: origin") != std::string::npos, errors(2));
  lode_batch_free(b);
}

TEST_CASE("C ABI: typed and text batches, on one or several threads, price like lode_price one at a time") {
  E1 e;
  const size_t n = 3000;
  Rows rows(e.a, n, 42);
  // One at a time.
  std::vector<std::string> single(n);
  lode_shipment* s = nullptr;
  lode_result* r = nullptr;
  lode_shipment_new(e.a, &s);
  lode_result_new(&r);
  size_t singlePriced = 0, badCells = 0;
  for (size_t i = 0; i < n; ++i) {
    lode_shipment_clear(s);
    bool bad = false;
    for (const auto& f : rows.fields)
      if (!f.text[i].empty()) bad = lode_shipment_set(s, f.handle, f.text[i].c_str(), nullptr, 0) != LODE_OK || bad;
    if (bad) {
      single[i] = "bad cell";
      ++badCells;
      continue;
    }
    REQUIRE(lode_price(e.a, e.in, s, r) == LODE_OK);
    single[i] = digest(r);
    singlePriced += lode_result_ok(r);
  }
  lode_result_free(r);
  lode_shipment_free(s);
  CHECK(badCells > 0);
  CHECK(singlePriced > n / 4);

  auto run = [&](int form, unsigned threads) {  // form 0 text, 1 typed YYYYMMDD, 2 typed days
    lode_batch* b = nullptr;
    REQUIRE(lode_batch_new(e.a, n, &b) == LODE_OK);
    REQUIRE(lode_batch_set_threads(b, threads) == LODE_OK);
    if (form == 0) rows.setText(b);
    else rows.setTyped(e.a, b, form == 2);
    std::vector<std::string> out(n);
    for (int round = 0; round < 2; ++round) {  // the second round reuses the batch and its threads
      size_t priced = 0;
      REQUIRE(lode_batch_price(b, e.in, &priced) == LODE_OK);
      CHECK(priced == singlePriced);
      for (size_t i = 0; i < n; ++i) {
        const lode_result* br = lode_batch_result(b, i);
        out[i] = single[i] == "bad cell" ? (lode_result_ok(br) ? "priced a bad row" : "bad cell") : digest(br);
      }
    }
    lode_batch_free(b);
    return out;
  };
  size_t mismatches = 0;
  for (int form = 0; form < 3; ++form)
    for (unsigned threads : {1u, 2u, 3u, 0u}) {
      std::vector<std::string> got = run(form, threads);
      for (size_t i = 0; i < n; ++i)
        if (got[i] != single[i]) {
          if (++mismatches < 5) MESSAGE("form ", form, " threads ", threads, " row ", i + 1, ": ", got[i], " vs ", single[i]);
        }
    }
  CHECK(mismatches == 0);
}

TEST_CASE("C ABI: an agreement with quotas is priced in row order whatever the thread count") {
  const std::string e3 = kDir + "cobalt_refined_trq";
  lode_agreement* a = nullptr;
  REQUIRE(lode_agreement_compile((e3 + ".lode").c_str(), LODE_STDLIB_DIR, &a, nullptr, 0) == LODE_OK);
  auto inputs = [&] {
    lode_inputs* in = nullptr;
    REQUIRE(lode_inputs_new(a, &in) == LODE_OK);
    REQUIRE(lode_inputs_load_market(in, (e3 + "/market.csv").c_str(), nullptr, 0) == LODE_OK);
    for (const char* reg : {"facilities", "crisis_declarations", "infrastructure_deals"})
      REQUIRE(lode_inputs_load_registry(in, reg, (e3 + "/" + reg + ".csv").c_str(), nullptr, 0) == LODE_OK);
    REQUIRE(lode_inputs_load_quotas(in, (e3 + "/quota_state.csv").c_str(), nullptr, 0) == LODE_OK);
    return in;
  };
  {  // Quota state rows are checked against the agreement's quotas: the bad ones are skipped, said.
    lode_inputs* in = inputs();
    std::string path = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + "/lode_quota_rows_" +
                       std::to_string(std::random_device{}()) + ".csv";
    std::ofstream(path) << "quota,period,key,used\nco_trq,2028-06-01,,5 t\nco_trqq,2028-01-01,,5 t\nco_trq,2029-01-01,,7 t\n";
    char msg[1024] = {};
    CHECK(lode_inputs_load_quotas(in, path.c_str(), msg, sizeof msg) == LODE_ERR_DATA);
    CHECK_MESSAGE(std::string(msg).find("not the first day of a period") != std::string::npos, msg);
    CHECK_MESSAGE(std::string(msg).find("no quota 'co_trqq'") != std::string::npos, msg);
    // A directory is a file that cannot be read, not an internal error.
    CHECK(lode_inputs_load_quotas(in, "/", msg, sizeof msg) == LODE_ERR_IO);
    CHECK(lode_inputs_load_market(in, "/", msg, sizeof msg) == LODE_ERR_IO);
    std::remove(path.c_str());
    lode_inputs_free(in);
  }
  // The sample declarations repeated: the quota fills up part way, so the order matters.
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> lines;
  {
    std::ifstream f(e3 + "/shipments.csv");
    std::string line;
    bool first = true;
    while (std::getline(f, line)) {
      std::vector<std::string> cells;
      size_t start = 0;
      for (size_t p = 0; p <= line.size(); ++p)
        if (p == line.size() || line[p] == ',') { cells.push_back(line.substr(start, p - start)); start = p + 1; }
      if (first) header = cells;
      else lines.push_back(cells);
      first = false;
    }
  }
  const size_t n = lines.size() * 40;
  lode_inputs* one = inputs();
  std::vector<std::string> single(n);
  lode_shipment* s = nullptr;
  lode_result* r = nullptr;
  lode_shipment_new(a, &s);
  lode_result_new(&r);
  for (size_t i = 0; i < n; ++i) {
    lode_shipment_clear(s);
    bool bad = false;
    const auto& cells = lines[i % lines.size()];
    for (size_t c = 0; c < header.size() && c < cells.size(); ++c)
      if (!cells[c].empty()) bad = lode_shipment_set(s, lode_field(a, header[c].c_str()), cells[c].c_str(), nullptr, 0) != LODE_OK || bad;
    if (bad) { single[i] = "bad cell"; continue; }
    REQUIRE(lode_price(a, one, s, r) == LODE_OK);
    single[i] = digest(r);
  }
  lode_result_free(r);
  lode_shipment_free(s);
  lode_inputs* many = inputs();
  lode_batch* b = nullptr;
  REQUIRE(lode_batch_new(a, n, &b) == LODE_OK);
  REQUIRE(lode_batch_set_threads(b, 0) == LODE_OK);
  for (size_t c = 0; c < header.size(); ++c) {
    std::vector<const char*> col(n);
    for (size_t i = 0; i < n; ++i) {
      const auto& cells = lines[i % lines.size()];
      col[i] = c < cells.size() ? cells[c].c_str() : "";
    }
    REQUIRE(lode_batch_set_column(b, lode_field(a, header[c].c_str()), col.data(), n) == LODE_OK);
  }
  size_t priced = 0;
  REQUIRE(lode_batch_price(b, many, &priced) == LODE_OK);
  size_t mismatches = 0;
  for (size_t i = 0; i < n; ++i) {
    std::string got = single[i] == "bad cell" ? (lode_result_ok(lode_batch_result(b, i)) ? "priced" : "bad cell")
                                              : digest(lode_batch_result(b, i));
    mismatches += got != single[i];
  }
  CHECK(mismatches == 0);
  lode_batch_free(b);
  lode_inputs_free(many);
  lode_inputs_free(one);
  lode_agreement_free(a);
}

TEST_CASE("C ABI: a text field's default is its text after clear, unset, an empty cell or a batch's blank cell") {
  // tests/lang/good/text_compare.lode: `broker: text default "none"`; Art. 5 charges 4 % when
  // broker != "none". A shipment without a broker cell owes 20.00 USD (Art. 2), one through broker
  // B-7 60.00 USD.
  lode_agreement* a = nullptr;
  char diag[4096];
  REQUIRE(lode_agreement_compile(LODE_SOURCE_DIR "/tests/lang/good/text_compare.lode", LODE_STDLIB_DIR, &a, diag,
                                 sizeof diag) == LODE_OK);
  lode_inputs* in = nullptr;
  REQUIRE(lode_inputs_new(a, &in) == LODE_OK);
  const char* cells[][2] = {{"date", "2027-06-01"}, {"hs", "8112.99.00.00"}, {"origin", "CN"}, {"mineral", "gallium"},
                            {"quantity", "1 t"},    {"value", "1000 USD"},   {"exporter_id", "EXP-0002"}};
  const int32_t broker = lode_field(a, "broker");
  lode_shipment* s = nullptr;
  lode_result* r = nullptr;
  REQUIRE(lode_shipment_new(a, &s) == LODE_OK);
  REQUIRE(lode_result_new(&r) == LODE_OK);
  auto total = [&] {
    for (auto& c : cells) REQUIRE(lode_shipment_set(s, lode_field(a, c[0]), c[1], nullptr, 0) == LODE_OK);
    REQUIRE(lode_price(a, in, s, r) == LODE_OK);
    int64_t t = -1;
    REQUIRE(lode_result_total_micros(r, &t) == LODE_OK);
    return t;
  };
  CHECK(total() == 20000000);  // new shipment: the default
  REQUIRE(lode_shipment_set(s, broker, "B-7", nullptr, 0) == LODE_OK);
  CHECK(total() == 60000000);
  REQUIRE(lode_shipment_clear(s) == LODE_OK);
  CHECK(total() == 20000000);
  REQUIRE(lode_shipment_set(s, broker, "B-7", nullptr, 0) == LODE_OK);
  REQUIRE(lode_shipment_unset(s, broker) == LODE_OK);
  CHECK(total() == 20000000);
  REQUIRE(lode_shipment_set(s, broker, "B-7", nullptr, 0) == LODE_OK);
  REQUIRE(lode_shipment_set(s, broker, "", nullptr, 0) == LODE_OK);  // an empty cell: no broker
  CHECK(total() == 20000000);
  // A batch: rows with and without a broker cell, in both orders, on the clean and the checked paths.
  const char* brokers[] = {"B-7", "", "B-7", "", " ", "B-7", ""};
  const size_t n = sizeof brokers / sizeof brokers[0];
  lode_batch* b = nullptr;
  REQUIRE(lode_batch_new(a, n, &b) == LODE_OK);
  for (auto& c : cells) {
    std::vector<const char*> column(n, c[1]);
    REQUIRE(lode_batch_set_column(b, lode_field(a, c[0]), column.data(), n) == LODE_OK);
  }
  REQUIRE(lode_batch_set_column(b, broker, brokers, n) == LODE_OK);
  size_t priced = 0;
  REQUIRE(lode_batch_price(b, in, &priced) == LODE_OK);
  CHECK(priced == n);
  for (size_t i = 0; i < n; ++i) {
    int64_t t = -1;
    CAPTURE(i);
    REQUIRE(lode_result_total_micros(lode_batch_result(b, i), &t) == LODE_OK);
    CHECK(t == (std::string(brokers[i]) == "B-7" ? 60000000 : 20000000));
  }
  lode_batch_free(b);
  lode_result_free(r);
  lode_shipment_free(s);
  lode_inputs_free(in);
  lode_agreement_free(a);
}

TEST_CASE("C ABI: a typed column's bad value is found in any row, whole groups of four or the rest") {
  // Columns with every row set are range-checked four values at a time where the CPU allows, the
  // last n % 4 one by one: a bad value in either part is its row's error, and only its row's.
  E1 e;
  const size_t n = 11;
  for (size_t bad : {size_t(0), size_t(2), size_t(5), size_t(8), size_t(10)}) {
    lode_batch* b = nullptr;
    REQUIRE(lode_batch_new(e.a, n, &b) == LODE_OK);
    for (auto& c : E1::kT2) {
      std::vector<const char*> column(n, c[1]);
      REQUIRE(lode_batch_set_column(b, lode_field(e.a, c[0]), column.data(), n) == LODE_OK);
    }
    std::vector<int64_t> quantity(n, 20000000);             // 20 t
    std::vector<int32_t> days(n, 21609);                    // 2029-03-01
    std::vector<int32_t> origin(n, LODE_COUNTRY('M', 'Z'));
    quantity[bad] = 0;
    days[bad] = -1000000;                                   // before the calendar's first day
    const std::vector<uint8_t> all(n, 1);                   // flags all set: the unchecked copy
    REQUIRE(lode_batch_set_decimal_column(b, lode_field(e.a, "quantity"), quantity.data(), all.data(), n) == LODE_OK);
    REQUIRE(lode_batch_set_code_column(b, lode_field(e.a, "date"), LODE_CODE_DAYS, days.data(), nullptr, n) == LODE_OK);
    REQUIRE(lode_batch_set_code_column(b, lode_field(e.a, "origin"), LODE_CODE_COUNTRY, origin.data(), nullptr, n) == LODE_OK);
    size_t priced = 0;
    REQUIRE(lode_batch_price(b, e.in, &priced) == LODE_OK);
    CAPTURE(bad);
    CHECK(priced == n - 1);
    for (size_t i = 0; i < n; ++i) {
      const lode_result* r = lode_batch_result(b, i);
      CAPTURE(i);
      if (i != bad) {
        int64_t total = 0;
        CHECK(lode_result_total_micros(r, &total) == LODE_OK);
        CHECK(total == 35000000000LL);  // T2: 35,000.00 USD
        continue;
      }
      REQUIRE(lode_result_error_count(r) == 2);
      std::string all2;
      for (size_t k = 0; k < 2; ++k) {
        const char *code = nullptr, *message = nullptr;
        lode_result_error(r, k, &code, &message);
        all2 += std::string(message) + "\n";
      }
      CHECK_MESSAGE(all2.find("quantity: must be more than zero") != std::string::npos, all2);
      CHECK_MESSAGE(all2.find("date: ") != std::string::npos, all2);
    }
    lode_batch_free(b);
  }
}
