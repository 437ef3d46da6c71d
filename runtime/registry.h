// Run-time tables declared by an agreement: keyed, optionally effective-dated registries, and the
// ownership graph used by foreign-entity-of-concern style clauses.
#pragma once
#include <cstdint>
#include <type_traits>
#include <istream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/record.h"

namespace lode::rt {

class RegistryTable {
 public:
  // keyColumn must be a Text, Enum or Country column. Date columns named "from" and "until" (until
  // inclusive, empty = open-ended) make rows effective-dated. Every other column is made required: a
  // row with an empty cell has no value for a lookup to read, so it is refused when it is loaded.
  RegistryTable(std::string name, Schema schema, int keyColumn);

  const std::string& name() const { return name_; }
  const Schema& schema() const { return schema_; }
  size_t size() const { return rows_.size(); }

  // Header names the columns (any order; unknown columns are ignored with a warning). A missing
  // required column rejects the whole file; bad rows are skipped and reported, the rest kept.
  std::vector<RowError> loadCsv(std::istream& in, const std::string& fileName,
                                const std::vector<std::string>* countries = nullptr);
  std::vector<RowError> loadCsvFile(const std::string& path, const std::vector<std::string>* countries = nullptr);
  // Adds a parsed row (key "*" = all others: FieldValue{present, s="*"}). False (err filled) when
  // the key or another required column has no value, or the row's effective range overlaps an
  // earlier row of the same key.
  bool addRow(Record rec, RowError& err);

  // Row for `key` in effect on `date`, else the "*" row in effect on `date`, else nullptr.
  const Record* find(std::string_view key, int32_t date) const;
  const std::vector<RowError>& warnings() const { return warnings_; }

 private:
  std::string keyText(const Record& r) const;
  const Record* findExact(std::string_view key, int32_t date) const;
  bool hasRequired(const Record& rec, RowError& err) const;
  int32_t fromOf(const Record& r) const;
  int32_t untilOf(const Record& r) const;

  std::string name_;
  Schema schema_;
  int key_;
  int from_ = -1, until_ = -1;
  std::vector<Record> rows_;
  // Key -> row indices sorted by start date; ranges of one key never overlap.
  std::unordered_map<std::string, std::vector<uint32_t>> byKey_;
  std::vector<RowError> warnings_;
};

// A country test borrowed for one call (OwnershipGraph::share): a pointer to the caller's callable
// and a function calling it. share() runs once or twice per shipment, and building a std::function
// for each call cost more than the common walk it parameterises.
class CountryTest {
 public:
  template <typename F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, CountryTest> && std::is_invocable_r_v<bool, const F&, int64_t>)
  CountryTest(const F& test)  // NOLINT(google-explicit-constructor): passed as a lambda
      : test_(&test), call_([](const void* t, int64_t country) -> bool { return (*static_cast<const F*>(t))(country); }) {}
  bool operator()(int64_t country) const { return call_(test_, country); }

 private:
  const void* test_;
  bool (*call_)(const void*, int64_t);
};

// Who owns whom. Shares are raw decimals in percent (25 % -> 25.000000).
class OwnershipGraph {
 public:
  // Moved, never copied: each node names itself by a pointer into ids_, which a move keeps valid.
  OwnershipGraph() = default;
  OwnershipGraph(const OwnershipGraph&) = delete;
  OwnershipGraph& operator=(const OwnershipGraph&) = delete;
  OwnershipGraph(OwnershipGraph&&) = default;
  OwnershipGraph& operator=(OwnershipGraph&&) = default;
  // Header entity,owner,share,country; share "25 %" or "25", in (0, 100]; per-entity total <= 100 %.
  std::vector<RowError> loadCsv(std::istream& in, const std::string& fileName,
                                const std::vector<std::string>* countries = nullptr);
  std::vector<RowError> loadCsvFile(const std::string& path, const std::vector<std::string>* countries = nullptr);
  // country is a packed countryCode (0 = unknown, never in any group). False (err.field/code/message
  // set) when the share is out of range, would take the entity's total above 100 %, or gives the owner
  // another country than an earlier row did. err.row is the number of the row being added (the caller
  // sets it): a later row that contradicts this one names it.
  bool addEdge(const std::string& entity, const std::string& owner, int64_t sharePercentRaw, int64_t country,
               RowError& err);

  // Share of `entity` held by owners whose country is in the group. Such an owner counts for its whole
  // share, whoever holds it in turn; an owner outside the group (or of unknown country) is looked
  // through: its share times the share of it held from the group. Unknown entity -> 0.
  // OwnershipCycle when a chain of owners leads back to an entity already on it.
  ErrCode share(std::string_view entity, CountryTest inGroup,
                int64_t* outPercentRaw) const;
  // After share() answered OwnershipCycle on this thread: the loop it met, as the entities of the
  // chain that comes back ("H-A, held by H-B, held by H-A"), for the error's detail. Meaningless after
  // any other answer (the common queries do not touch the thread's walk).
  std::string lastCycle() const;

 private:
  struct Edge {
    uint32_t owner;
    int64_t share;
  };
  struct Node {
    std::vector<Edge> owners;
    int64_t country = 0;
    uint64_t countryRow = 0;  // the row that gave `country`, quoted when a later row contradicts it
    int64_t total = 0;
    const std::string* name = nullptr;  // its key in ids_ (node-based: the pointer stays valid)
  };
  uint32_t intern(const std::string& name);
  bool checkCountry(const std::string& owner, int64_t country, RowError& err) const;
  static bool inGroupOf(const Node& owner, CountryTest inGroup);
  struct Walk;  // per-thread buffers of a query (registry.cpp)
  ErrCode visit(uint32_t n, CountryTest inGroup, Walk& w) const;

  // Looked up by string_view (a shipment's cell) without building a key string.
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, uint32_t, NameHash, std::equal_to<>> ids_;
  std::vector<Node> nodes_;
};

}  // namespace lode::rt
