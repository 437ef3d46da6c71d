// What reads a value that changes during an evaluation: the effective origin, which the origin rules
// change (ir.h OriginReaders), the quantity and value, which a quota part binds to the part's, and the
// mineral and node, which a `classify` rule supplies after its condition has read them absent.
#include <cstdint>
#include <functional>
#include <vector>

#include "compiler/ir/ir.h"

namespace lode::ir {

namespace {

// Which expressions and top-level values read a node that `changes` says is one of those values.
class Reads {
 public:
  Reads(const Program& p, std::function<bool(const Node&)> changes)
      : p_(p), changes_(std::move(changes)), defs_(p.defs.size(), kUnknown) {}

  bool of(uint32_t node) {
    // An explicit stack: expressions nest deeply enough (generated agreements) to matter.
    std::vector<uint32_t> todo{node};
    while (!todo.empty()) {
      const Node& n = p_.nodes[todo.back()];
      todo.pop_back();
      if (changes_(n)) return true;
      if (n.op == Op::Global && ofDef(n.a)) return true;
      const uint32_t* k = p_.kidsOf(n);
      todo.insert(todo.end(), k, k + n.kidsCount);
      if (n.op == Op::Bands || n.op == Op::Progressive)  // the bands' values are expressions too
        for (const Band& b : p_.bandTables[n.a].bands) todo.push_back(b.value);
    }
    return false;
  }
  // Top-level values are shared by many expressions: each is looked at once. Definitions cannot
  // refer to themselves (the checker rejects cycles), so the recursion ends.
  bool ofDef(uint32_t d) {
    if (defs_[d] == kUnknown) defs_[d] = of(p_.defs[d].node) ? 1 : 0;
    return defs_[d] == 1;
  }

 private:
  static constexpr int8_t kUnknown = -1;
  const Program& p_;
  std::function<bool(const Node&)> changes_;
  std::vector<int8_t> defs_;
};

}  // namespace

OriginReaders originReaders(const Program& p) {
  Reads reads(p, [](const Node& n) { return n.op == Op::Origin; });
  OriginReaders out;
  out.freeScopes.assign(p.scopes.size(), 1);
  for (size_t s = 0; s < p.scopes.size(); ++s)
    if (p.scopes[s].where >= 0 && reads.of(uint32_t(p.scopes[s].where))) out.freeScopes[s] = 0;
  for (uint32_t d = 0; d < p.defs.size(); ++d)
    if (reads.ofDef(d)) out.defs.push_back(d);
  return out;
}

namespace {
// The top-level values that read field a or field b, directly or through another value.
std::vector<uint32_t> defsReadingFields(const Program& p, uint32_t a, uint32_t b) {
  Reads reads(p, [a, b](const Node& n) { return n.op == Op::Field && (n.a == a || n.a == b); });
  std::vector<uint32_t> out;
  for (uint32_t d = 0; d < p.defs.size(); ++d)
    if (reads.ofDef(d)) out.push_back(d);
  return out;
}
}  // namespace

std::vector<uint32_t> portionReaders(const Program& p) {
  // unit_price is not one: it stays the shipment's inside a part.
  return defsReadingFields(p, kFieldQuantity, kFieldValue);
}

std::vector<uint32_t> classificationReaders(const Program& p) { return defsReadingFields(p, kFieldMineral, kFieldNode); }

}  // namespace lode::ir
