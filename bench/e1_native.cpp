#include "bench/e1_native.h"

#include "runtime/date.h"
#include "runtime/decimal.h"
#include "runtime/record.h"

namespace lode::bench {

namespace {

using rt::ErrCode;

constexpr int64_t kPct(int64_t n) { return n * rt::kOne; }
constexpr int64_t US = rt::countryCode('U', 'S'), CA = rt::countryCode('C', 'A'), MX = rt::countryCode('M', 'X'),
                  JP = rt::countryCode('J', 'P'), KR = rt::countryCode('K', 'R'), NO = rt::countryCode('N', 'O'),
                  CN = rt::countryCode('C', 'N'), RU = rt::countryCode('R', 'U'), IR = rt::countryCode('I', 'R'),
                  KP = rt::countryCode('K', 'P'), ID = rt::countryCode('I', 'D');
enum Node { Ore = 0, Concentrate = 1, Processed = 3, ActiveMaterial = 7, Component = 8, Article = 9 };

bool feoc(int64_t c) { return c == CN || c == RU || c == IR || c == KP; }
bool member(int64_t c, int32_t date) {
  static const int32_t noAccession = rt::daysFromCivil(2028, 7, 1);
  return c == US || c == CA || c == MX || c == JP || c == KR || (c == NO && date >= noAccession);
}
bool hsIn(const std::string& hs, std::initializer_list<const char*> prefixes) {
  for (const char* p : prefixes)
    if (hs.compare(0, std::char_traits<char>::length(p), p) == 0) return true;
  return false;
}

// `rate % of base`: the product in %·USD divided by 100 before its one rounding (as the checked IR does).
ErrCode percentOf(int64_t rate, int64_t base, int64_t* out) { return rt::decMulDiv(rate, base, 100, out); }

}  // namespace

E1Result E1Native::price(const E1Shipment& s) const {
  E1Result r;
  static const int32_t inForce = rt::daysFromCivil(2027, 1, 1), expiry = rt::daysFromCivil(2036, 12, 31);
  static const int32_t p85 = rt::daysFromCivil(2028, 1, 1), p100 = rt::daysFromCivil(2029, 1, 1);
  if (s.date < inForce || s.date > expiry) { r.ok = false; return r; }
  const bool graphite = s.mineral == 0;
  const bool flake = graphite && (s.node == Ore || s.node == Concentrate) && hsIn(s.hs, {"250410", "250490"});
  const bool uspg = graphite && s.node == Processed && hsIn(s.hs, {"250410", "250490", "380190"}) && !s.coated;
  const bool anode = graphite && s.node == ActiveMaterial && hsIn(s.hs, {"380190", "250410"});
  const bool battery = graphite && (s.node == Component || s.node == Article) && hsIn(s.hs, {"850760", "850790"});

  // Ownership share of FEOC-country owners, 0 when no facility is named.
  int64_t feocShare = 0;
  if (s.hasFacility && (uspg || anode || flake)) {
    if (owners_.share(s.facility, [](int64_t c) { return feoc(c); }, &feocShare) != ErrCode::Ok) { r.ok = false; return r; }
  }
  // Art. 7.1 anti-circumvention.
  int64_t origin = s.origin;
  if ((uspg || anode) && !feoc(origin) && feocShare >= kPct(25)) origin = CN;
  r.origin = origin;
  const bool party = member(origin, s.date);

  auto addLine = [&](int64_t amount) {
    int64_t rounded = 0;
    if (rt::decRound(amount, 10000, rt::RoundingMode::HalfEven, &rounded) != ErrCode::Ok ||
        rt::decAdd(r.total, rounded, &r.total) != ErrCode::Ok) {
      r.ok = false;
      return;
    }
    ++r.lines;
  };
  int64_t t = 0;
  // Art. 4.1 zero-for-zero.
  if ((flake || uspg || anode || battery) && party) {
    if (percentOf(0, s.value, &t) == ErrCode::Ok) addLine(t); else r.ok = false;
  }
  // Art. 5 floors (exclusive): the floor x phase, a 5 % tolerance, the gap times the tonnes.
  if ((uspg || anode) && !party) {
    int64_t phase = s.date >= p100 ? kPct(100) : s.date >= p85 ? kPct(85) : kPct(70);
    int64_t ref = 5500 * rt::kOne;
    if (uspg) {
      int64_t avg = 0;
      int32_t from = s.date - 90 + 1;
      ref = 4550 * rt::kOne;
      if (market_.avg(bmi_, from, s.date, &avg) == ErrCode::Ok && avg > ref) ref = avg;
    }
    int64_t floorPrice = 0, threshold = 0, unitPrice = 0, gap = 0, amount = 0;
    bool ok = rt::decMulDiv(ref, phase, 100, &floorPrice) == ErrCode::Ok && rt::decMulDiv(floorPrice, kPct(95), 100, &threshold) == ErrCode::Ok &&
              rt::decDiv(s.value, s.quantity, &unitPrice) == ErrCode::Ok;
    if (!ok) r.ok = false;
    else if (unitPrice < threshold) {
      if (rt::decSub(floorPrice, unitPrice, &gap) == ErrCode::Ok && rt::decMul(gap, s.quantity, &amount) == ErrCode::Ok) addLine(amount);
      else r.ok = false;
    }
  }
  // Art. 6.1 AD duty on anode material of at least 330 mAh/g from China.
  if (anode) {
    if (!s.hasEnergyDensity) r.ok = false;  // the scope needs the energy density: E0004
    else if (s.energyDensity >= 330 * rt::kOne && origin == CN) {
      if (percentOf(kPct(90), s.value, &t) == ErrCode::Ok) addLine(t); else r.ok = false;
    }
  }
  // Art. 6.2 AD duty on the graphite content of batteries.
  if (battery && origin == CN) {
    if (percentOf(kPct(90), s.hasContentValue ? s.contentValue : s.value, &t) == ErrCode::Ok) addLine(t); else r.ok = false;
  }
  // Art. 7.2 facility tariff.
  if ((flake || uspg || anode) && (feocShare >= kPct(25) || s.feocControlled)) {
    if (percentOf(kPct(100), s.value, &t) == ErrCode::Ok) addLine(t); else r.ok = false;
  }
  // Art. 7.3 (a flag, no money): counted as an outcome, not a line.
  (void)ID;
  return r;
}

E1Shipment toE1Shipment(const ir::Program& p, const rt::Record& r) {
  auto f = [&](const char* name) -> const rt::FieldValue& { return r.values[size_t(p.shipment.find(name))]; };
  E1Shipment s;
  s.date = int32_t(f("date").i);
  s.hs = f("hs").s;
  s.origin = f("origin").i;
  s.mineral = f("mineral").present && p.shipment.fields[size_t(p.shipment.find("mineral"))].enumValues[size_t(f("mineral").i)] == "graphite" ? 0 : -1;
  s.node = f("node").present ? int(f("node").i) : -1;
  s.quantity = f("quantity").i;
  s.value = f("value").i;
  s.hasFacility = f("facility").present;
  s.facility = f("facility").s;
  s.hasEnergyDensity = f("energy_density").present;
  s.energyDensity = f("energy_density").i;
  s.coated = f("coated").present && f("coated").i;
  s.feocControlled = f("feoc_controlled").present && f("feoc_controlled").i;
  s.hasContentValue = p.shipment.find("content_value.graphite") >= 0 && f("content_value.graphite").present;
  s.contentValue = s.hasContentValue ? f("content_value.graphite").i : 0;
  return s;
}

}  // namespace lode::bench
