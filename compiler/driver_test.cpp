// The driver's module cache (driver.cpp, ModuleCache): a used module whose text is unchanged is not
// parsed again, and nothing a compilation reports or produces depends on whether it was.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "compiler/driver.h"
#include "compiler/ir/ir.h"
#include "compiler/report/report.h"

using namespace lode;
namespace fs = std::filesystem;

namespace {

const std::string kE1 = std::string(LODE_SOURCE_DIR) + "/examples/agreements/graphite_anode_na_indopacific.lode";

// Everything a compilation hands on: the program (as its dump) and every diagnostic.
std::string outcome(const Compilation& c) {
  std::string out = c.program ? ir::dumpProgram(*c.program, c.sm) : "no program\n";
  for (const auto& d : c.diags.all()) out += formatDiagnostic(c.sm, d);
  return out;
}

std::string compiled(const std::string& path, bool cache) {
  CompileOptions o;
  o.cacheModules = cache;
  return outcome(*compileFile(path, o));
}

void write(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("lode_driver_test_" + std::to_string(::getpid()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

const char* kAgreement = R"(agreement "Cache" {
  currency USD
  in force from 2027-01-01
}
use std.countries
use std.minerals
use "rates.lode"
scope co = cobalt
measure m "Art. 1" on co {
  duty: rate of value
}
example "rate" {
  shipment { date: 2028-01-01, hs: 2605.00, origin: CN, mineral: cobalt, node: ore, quantity: 1 t, value: 1000 USD }
  expect { m: 50.00 USD }
}
)";

}  // namespace

TEST_CASE("compiling twice in one process gives the same program and diagnostics, cached or not") {
  std::string fresh = compiled(kE1, false);
  REQUIRE(fresh.rfind("program ", 0) == 0);
  CHECK(compiled(kE1, true) == fresh);  // fills the cache (or finds it filled)
  CHECK(compiled(kE1, true) == fresh);  // from the cache
  CHECK(compiled(kE1, false) == fresh);
  // Other agreements load the same modules in other orders: the cache keys on the file slot too.
  for (const char* name : {"nickel_class1_band", "manganese_battery_grade", "cobalt_refined_trq", "ree_magnet_security"}) {
    std::string path = std::string(LODE_SOURCE_DIR) + "/examples/agreements/" + name + ".lode";
    if (!fs::exists(path)) continue;
    INFO(name);
    std::string want = compiled(path, false);
    CHECK(compiled(path, true) == want);
    CHECK(compiled(path, true) == want);
  }
  CHECK(compiled(kE1, true) == fresh);
}

TEST_CASE("a module whose text changed is parsed again") {
  TempDir dir;
  fs::path agreement = dir.path / "agreement.lode", rates = dir.path / "rates.lode";
  write(agreement, kAgreement);
  write(rates, "let rate: % = 5 %\n");
  CHECK(compiled(agreement.string(), true).find("error") == std::string::npos);
  std::string five = compiled(agreement.string(), true);
  CHECK(five == compiled(agreement.string(), false));

  // The same length and the same modification time: only the text tells the change.
  auto mtime = fs::last_write_time(rates);
  write(rates, "let rate: % = 6 %\n");
  fs::last_write_time(rates, mtime);
  std::string six = compiled(agreement.string(), true);
  CHECK(six != five);
  CHECK(six == compiled(agreement.string(), false));

  // A module with a syntax error is never kept: its error is reported every time.
  write(rates, "let rate: % = 5 % %\n");
  std::string broken = compiled(agreement.string(), true);
  CHECK(broken.find("rates.lode:1:") != std::string::npos);
  CHECK(compiled(agreement.string(), true) == broken);
  CHECK(compiled(agreement.string(), false) == broken);

  write(rates, "let rate: % = 5 %\n");
  CHECK(compiled(agreement.string(), true) == five);
}

TEST_CASE("compilations on several threads share the cache") {
  std::string want = compiled(kE1, false);
  std::vector<std::string> got(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < got.size(); ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 3; ++i) got[t] = compiled(kE1, true);
    });
  for (auto& th : threads) th.join();
  for (const auto& g : got) CHECK(g == want);
}

TEST_CASE("a used module's examples are the agreement's examples") {
  TempDir dir;
  fs::path agreement = dir.path / "agreement.lode", rates = dir.path / "rates.lode";
  write(agreement, kAgreement);
  write(rates, R"(let rate: % = 5 %
example "rate from the module" {
  shipment { date: 2028-01-01, hs: 2605.00, origin: CN, mineral: cobalt, node: ore, quantity: 2 t, value: 100 USD }
  expect { m: 5.00 USD }
}
)");
  auto c = compileFile(agreement.string(), CompileOptions{});
  REQUIRE(c->program);
  REQUIRE(c->program->examples.size() == 2);
  CHECK(c->program->examples[0].title == "rate");
  CHECK(c->program->examples[1].title == "rate from the module");
  CHECK(report::clausePosition(*c->program, c->sm, c->program->examples[1].pos).find("rates.lode:2:") != std::string::npos);

  // Titles are one namespace across the modules.
  write(rates, R"(let rate: % = 5 %
example "rate" {
  shipment { date: 2028-01-01, hs: 2605.00, origin: CN, mineral: cobalt, node: ore, quantity: 2 t, value: 100 USD }
  expect { m: 5.00 USD }
}
)");
  CHECK(compiled(agreement.string(), false).find("another example is titled \"rate\"") != std::string::npos);
}
