#include "runtime/registry.h"

#include <algorithm>
#include <climits>
#include <fstream>

#include "runtime/csv.h"
#include "runtime/date.h"
#include "runtime/decimal.h"
#include "runtime/shipment_reader.h"
#include "runtime/thread_scratch.h"

namespace lode::rt {

RegistryTable::RegistryTable(std::string name, Schema schema, int keyColumn)
    : name_(std::move(name)), schema_(std::move(schema)), key_(keyColumn) {
  int f = schema_.find("from"), u = schema_.find("until");
  if (f >= 0 && schema_.fields[static_cast<size_t>(f)].kind == FieldKind::Date) from_ = f;
  if (u >= 0 && schema_.fields[static_cast<size_t>(u)].kind == FieldKind::Date) until_ = u;
  // An empty cell is no value a lookup could read: refused on load, with its row and column, rather
  // than found at evaluation as a "missing field" of every shipment that reads it. Only the dates of
  // an effective row may be empty (open-ended).
  for (size_t c = 0; c < schema_.fields.size(); ++c)
    if (static_cast<int>(c) != from_ && static_cast<int>(c) != until_) schema_.fields[c].required = true;
}

std::string RegistryTable::keyText(const Record& r) const {
  const FieldValue& v = r.values[static_cast<size_t>(key_)];
  if (v.s == "*") return v.s;
  const FieldSpec& spec = schema_.fields[static_cast<size_t>(key_)];
  switch (spec.kind) {
    case FieldKind::Country: return countryText(v.i);
    case FieldKind::Enum:
      return v.i >= 0 && static_cast<size_t>(v.i) < spec.enumValues.size() ? spec.enumValues[static_cast<size_t>(v.i)]
                                                                           : std::string();
    default: return v.s;
  }
}

int32_t RegistryTable::fromOf(const Record& r) const {
  if (from_ < 0 || !r.values[static_cast<size_t>(from_)].present) return INT32_MIN;
  return static_cast<int32_t>(r.values[static_cast<size_t>(from_)].i);
}

int32_t RegistryTable::untilOf(const Record& r) const {
  if (until_ < 0 || !r.values[static_cast<size_t>(until_)].present) return INT32_MAX;
  return static_cast<int32_t>(r.values[static_cast<size_t>(until_)].i);
}

// Rows given inline (examples) are not read by the CSV reader, which checks this for a file's rows.
bool RegistryTable::hasRequired(const Record& rec, RowError& err) const {
  for (size_t c = 0; c < schema_.fields.size(); ++c) {
    const FieldSpec& spec = schema_.fields[c];
    if (!spec.required || rec.values[c].present) continue;
    err.field = spec.name;
    err.code = ErrCode::MissingField;
    err.message = "missing required field '" + spec.name + "'";
    return false;
  }
  return true;
}

bool RegistryTable::addRow(Record rec, RowError& err) {
  err.row = rec.row;
  if (rec.values.size() != schema_.fields.size() || !rec.values[static_cast<size_t>(key_)].present) {
    err.field = schema_.fields[static_cast<size_t>(key_)].name;
    err.code = ErrCode::MissingField;
    err.message = "row has no key";
    return false;
  }
  if (!hasRequired(rec, err)) return false;
  int32_t from = fromOf(rec), until = untilOf(rec);
  if (from > until) {
    err.field = "until";
    err.code = ErrCode::InvalidValue;
    err.message = "'until' is before 'from'";
    return false;
  }
  std::string key = keyText(rec);
  auto& idx = byKey_[key];
  for (uint32_t k : idx) {
    const Record& other = rows_[k];
    if (fromOf(other) <= until && from <= untilOf(other)) {
      err.field = schema_.fields[static_cast<size_t>(key_)].name;
      err.code = ErrCode::InvalidValue;
      err.message = "rows for '" + key + "' overlap: this row and row " + std::to_string(other.row) +
                    " are both in effect on some dates";
      return false;
    }
  }
  uint32_t at = static_cast<uint32_t>(rows_.size());
  rows_.push_back(std::move(rec));
  auto pos = std::upper_bound(idx.begin(), idx.end(), from,
                              [&](int32_t f, uint32_t k) { return f < fromOf(rows_[k]); });
  idx.insert(pos, at);
  return true;
}

const Record* RegistryTable::findExact(std::string_view key, int32_t date) const {
  auto it = byKey_.find(std::string(key));
  if (it == byKey_.end()) return nullptr;
  const auto& idx = it->second;
  // Ranges are disjoint and sorted by start: only the last row starting on or before `date` can match.
  auto pos = std::upper_bound(idx.begin(), idx.end(), date,
                              [&](int32_t d, uint32_t k) { return d < fromOf(rows_[k]); });
  if (pos == idx.begin()) return nullptr;
  const Record& r = rows_[*(pos - 1)];
  return untilOf(r) >= date ? &r : nullptr;
}

const Record* RegistryTable::find(std::string_view key, int32_t date) const {
  if (const Record* r = findExact(key, date)) return r;
  return findExact("*", date);
}

std::vector<RowError> RegistryTable::loadCsv(std::istream& in, const std::string& fileName,
                                             const std::vector<std::string>* countries) {
  return readTableCsv(in, fileName, schema_, ReaderOptions{countries, key_}, "registry '" + name_ + "'",
                      [&](Record& rec, std::vector<RowError>& errs) {
                        RowError err{fileName, rec.row, "", ErrCode::InvalidValue, ""};
                        if (!addRow(std::move(rec), err)) errs.push_back(std::move(err));
                      },
                      &warnings_);
}

std::vector<RowError> RegistryTable::loadCsvFile(const std::string& path, const std::vector<std::string>* countries) {
  std::ifstream in;
  if (!openDataFile(in, path)) return {{path, 0, "", ErrCode::InvalidValue, "cannot open '" + path + "'"}};
  return loadCsv(in, path, countries);
}

// ---- OwnershipGraph ----

uint32_t OwnershipGraph::intern(const std::string& name) {
  auto [it, inserted] = ids_.try_emplace(name, static_cast<uint32_t>(nodes_.size()));
  if (inserted) nodes_.emplace_back().name = &it->first;
  return it->second;
}

// An owner has one country. A row that gives a known owner another one is refused: kept, it would
// be ignored (the first country wins) and the owner's holdings judged by a country no row of theirs
// says. A row without a country (inline rows may omit it) contradicts nothing.
bool OwnershipGraph::checkCountry(const std::string& owner, int64_t country, RowError& err) const {
  auto it = ids_.find(owner);
  if (country == 0 || it == ids_.end()) return true;
  const Node& n = nodes_[it->second];
  if (n.country == 0 || n.country == country) return true;
  err.field = "country";
  err.code = ErrCode::InvalidValue;
  err.message = owner + " is " + countryText(n.country) + " on row " + std::to_string(n.countryRow) + ", not " +
                countryText(country);
  return false;
}

bool OwnershipGraph::addEdge(const std::string& entity, const std::string& owner, int64_t share, int64_t country,
                             RowError& err) {
  if (share <= 0 || share > decFromInt(100)) {
    err.field = "share";
    err.code = ErrCode::OutOfRange;
    err.message = "share " + decFormat(share) + " % is outside (0, 100] %";
    return false;
  }
  if (!checkCountry(owner, country, err)) return false;
  uint32_t e = intern(entity);
  int64_t total = nodes_[e].total + share;  // both <= 100 %, cannot overflow
  if (total > decFromInt(100)) {
    err.field = "share";
    err.code = ErrCode::InvalidValue;
    err.message = "shares in '" + entity + "' add up to " + decFormat(total) + " %, more than 100 %";
    return false;
  }
  uint32_t o = intern(owner);
  nodes_[e].total = total;
  nodes_[e].owners.push_back({o, share});
  if (nodes_[o].country == 0 && country != 0) {
    nodes_[o].country = country;
    nodes_[o].countryRow = err.row;
  }
  return true;
}

std::vector<RowError> OwnershipGraph::loadCsv(std::istream& in, const std::string& fileName,
                                              const std::vector<std::string>* countries) {
  Schema schema;
  int fEntity = schema.add({"entity", FieldKind::Text, {}, {}, true});
  int fOwner = schema.add({"owner", FieldKind::Text, {}, {}, true});
  int fShare = schema.add({"share", FieldKind::Decimal, unitParse("%").value_or(unitNone()), {}, true});
  int fCountry = schema.add({"country", FieldKind::Country, {}, {}, true});
  return readTableCsv(in, fileName, schema, ReaderOptions{countries, -1}, "", [&](Record& rec, std::vector<RowError>& errs) {
    auto v = [&](int f) -> const FieldValue& { return rec.values[static_cast<size_t>(f)]; };
    RowError err{fileName, rec.row, "", ErrCode::InvalidValue, ""};
    if (!addEdge(v(fEntity).s, v(fOwner).s, v(fShare).i, v(fCountry).i, err)) errs.push_back(std::move(err));
  });
}

std::vector<RowError> OwnershipGraph::loadCsvFile(const std::string& path, const std::vector<std::string>* countries) {
  std::ifstream in;
  if (!openDataFile(in, path)) return {{path, 0, "", ErrCode::InvalidValue, "cannot open '" + path + "'"}};
  return loadCsv(in, path, countries);
}

namespace {
constexpr uint8_t kUnvisited = 0, kOnStack = 1, kDone = 2;
}

// An owner of a country in the group is itself of concern: its holding counts whole, and who holds
// it does not matter. Country 0 (not given) is in no group.
bool OwnershipGraph::inGroupOf(const Node& owner, CountryTest inGroup) {
  return owner.country != 0 && inGroup(owner.country);
}

// One thread's buffers for queries, reused so that a query allocates nothing once warm. Between
// queries every state is kUnvisited: a query resets only the nodes it touched, so it costs what it
// visits, not the size of the registry. The memo lives for one query only: it depends on inGroup.
// memo[n] is the share of n held from the group through n's owners; n's own country is not in it
// (that counts where n is an owner, not where n is the entity asked about).
struct OwnershipGraph::Walk {
  struct Step { uint32_t node; size_t edge; int64_t sum; };
  std::vector<uint8_t> state;
  std::vector<int64_t> memo;
  std::vector<uint32_t> touched;
  std::vector<Step> stack;
  std::vector<uint32_t> cycle;  // the loop the last query met: its nodes, the first one again last
};

// Depth first over the owners, with an explicit stack: a registry can hold chains of any length, and
// the call stack must not depend on data. Each node's sum adds its edges in file order. Only owners
// outside the group are looked through, so only they are pushed; a chain that comes back to a node on
// the stack is a loop whatever that node's country (the entity asked about may be in the group).
ErrCode OwnershipGraph::visit(uint32_t root, CountryTest inGroup, Walk& w) const {
  std::vector<uint8_t>& state = w.state;
  std::vector<int64_t>& memo = w.memo;
  std::vector<uint32_t>& touched = w.touched;
  std::vector<Walk::Step>& stack = w.stack;
  stack.clear();
  stack.push_back({root, 0, 0});
  state[root] = kOnStack;
  touched.push_back(root);
  while (!stack.empty()) {
    Walk::Step& top = stack.back();
    const Node& n = nodes_[top.node];
    if (top.edge == n.owners.size()) {
      memo[top.node] = top.sum;
      state[top.node] = kDone;
      stack.pop_back();
      continue;
    }
    const Edge& e = n.owners[top.edge];
    if (state[e.owner] == kOnStack) {  // the loop is the stack from that owner up, and back to it
      auto from = std::find_if(stack.begin(), stack.end(), [&](const Walk::Step& s) { return s.node == e.owner; });
      for (auto it = from; it != stack.end(); ++it) w.cycle.push_back(it->node);
      w.cycle.push_back(e.owner);
      return ErrCode::OwnershipCycle;
    }
    const Node& owner = nodes_[e.owner];
    int64_t part = 0;
    if (inGroupOf(owner, inGroup)) {
      part = e.share;
    } else if (!owner.owners.empty()) {
      if (state[e.owner] == kUnvisited) {  // its sum first; this edge is taken again when it is done
        state[e.owner] = kOnStack;
        touched.push_back(e.owner);
        stack.push_back({e.owner, 0, 0});
        continue;
      }
      // percent x percent / 100, one rounding: raw*raw / (100 * 10^6).
      if (ErrCode c = decMulRatio(e.share, memo[e.owner], 100 * kOne, &part); c != ErrCode::Ok) return c;
    }
    if (ErrCode c = decAdd(top.sum, part, &top.sum); c != ErrCode::Ok) return c;
    ++top.edge;
  }
  return ErrCode::Ok;
}

ErrCode OwnershipGraph::share(std::string_view entity, CountryTest inGroup,
                              int64_t* out) const {
  auto it = ids_.find(entity);
  if (it == ids_.end()) {
    *out = 0;
    return ErrCode::Ok;
  }
  const uint32_t root = it->second;
  // Most entities are held directly by owners in the group or by owners without owners: the sum of
  // the edges, no walk. An owner to look through, or the entity holding itself (a loop the walk
  // reports), takes the walk.
  int64_t direct = 0;
  bool walk = false;
  for (const Edge& e : nodes_[root].owners) {
    const Node& owner = nodes_[e.owner];
    bool whole = inGroupOf(owner, inGroup);
    if (e.owner == root || (!whole && !owner.owners.empty())) { walk = true; break; }
    if (ErrCode c = decAdd(direct, whole ? e.share : 0, &direct); c != ErrCode::Ok) return c;
  }
  if (!walk) {
    *out = direct;
    return ErrCode::Ok;
  }
  Walk& w = threadScratch<Walk>();
  if (w.state.size() < nodes_.size()) w.state.resize(nodes_.size(), kUnvisited);
  if (w.memo.size() < nodes_.size()) w.memo.resize(nodes_.size());
  w.touched.clear();
  w.cycle.clear();
  ErrCode c = visit(root, inGroup, w);
  for (uint32_t t : w.touched) w.state[t] = kUnvisited;
  if (c != ErrCode::Ok) return c;
  *out = w.memo[root];
  return ErrCode::Ok;
}

std::string OwnershipGraph::lastCycle() const {
  const Walk& w = threadScratch<Walk>();
  std::string out;
  for (size_t i = 0; i < w.cycle.size(); ++i) {
    if (w.cycle[i] >= nodes_.size()) return {};  // another graph's walk on this thread
    out += (i ? ", held by " : "") + *nodes_[w.cycle[i]].name;
  }
  return out;
}

}  // namespace lode::rt
