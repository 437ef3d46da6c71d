// originReaders and portionReaders (origin_deps.cpp): which scopes and top-level values read the
// effective origin, and which read the quantity or value a quota part rebinds.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "compiler/driver.h"
#include "compiler/ir/ir.h"

using namespace lode;

namespace {
int indexOf(const auto& items, const std::string& name) {
  auto it = std::find_if(items.begin(), items.end(), [&](const auto& x) { return x.name == name; });
  REQUIRE(it != items.end());
  return int(it - items.begin());
}
}  // namespace

TEST_CASE("origin readers: directly, through top-level values and band tables, and not at all") {
  auto c = compileText(LODE_SOURCE_DIR "/tests/lang/good/origin_deps_unit.lode", R"(
agreement "origin readers" { currency USD  in force from 2027-01-01 }
use std.countries
use std.groups
use std.minerals
let partner = origin in [CA, AU]
let via_partner = partner and value > 100 USD
let plain = value > 100 USD
let banded: % = bands value {
  below 100 USD: (if origin == CN then 5 % else 0 %)
  from 100 USD: 1 %
}
scope direct = nickel where origin in FEOC
scope through_two = nickel where via_partner
scope through_bands = nickel where banded > 0 %
scope fields_only = nickel at processed where hs in [7502] and plain and declared_origin == CN
scope no_where = cobalt
measure m "Art. 1" on direct, through_two, through_bands, fields_only, no_where { duty: 1 % of value }
)");
  REQUIRE_MESSAGE(c->program, "does not compile");
  const ir::Program& p = *c->program;
  ir::OriginReaders r = ir::originReaders(p);
  REQUIRE(r.freeScopes.size() == p.scopes.size());
  CHECK(r.freeScopes[size_t(indexOf(p.scopes, "direct"))] == 0);
  CHECK(r.freeScopes[size_t(indexOf(p.scopes, "through_two"))] == 0);
  CHECK(r.freeScopes[size_t(indexOf(p.scopes, "through_bands"))] == 0);
  CHECK(r.freeScopes[size_t(indexOf(p.scopes, "fields_only"))] == 1);
  CHECK(r.freeScopes[size_t(indexOf(p.scopes, "no_where"))] == 1);
  auto reads = [&](const std::string& def) {
    return std::count(r.defs.begin(), r.defs.end(), uint32_t(indexOf(p.defs, def))) == 1;
  };
  CHECK(reads("partner"));
  CHECK(reads("via_partner"));
  CHECK(reads("banded"));
  CHECK_FALSE(reads("plain"));
}

TEST_CASE("portion readers: the top-level values a quota part must compute again") {
  auto c = compileText(LODE_SOURCE_DIR "/tests/lang/good/portion_deps_unit.lode", R"(
agreement "portion readers" { currency USD  in force from 2027-01-01 }
use std.countries
use std.minerals
let specific = 100 USD/t * quantity
let via_specific = specific + 1 USD
let by_value: % = bands value {
  below 100 USD: 1 %
  from 100 USD: 2 %
}
let unit = unit_price
let dated = date >= 2028-01-01
scope co = cobalt
measure m "Art. 1" on co when dated { duty: via_specific + by_value of value + unit * 1 t }
)");
  REQUIRE_MESSAGE(c->program, "does not compile");
  const ir::Program& p = *c->program;
  std::vector<uint32_t> r = ir::portionReaders(p);
  auto reads = [&](const std::string& def) { return std::count(r.begin(), r.end(), uint32_t(indexOf(p.defs, def))) == 1; };
  CHECK(reads("specific"));
  CHECK(reads("via_specific"));
  CHECK(reads("by_value"));
  CHECK_FALSE(reads("unit"));  // the unit price stays the shipment's inside a part
  CHECK_FALSE(reads("dated"));
}
