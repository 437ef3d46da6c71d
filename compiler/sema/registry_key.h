// Whether a value can key a registry: the key column's type decides (language.md, Registries).
#pragma once

#include <string>

#include "compiler/ir/ir.h"

namespace lode::sema {

// What is wrong with `key` as a key of registry r ("" when nothing). A text key column takes text, a
// country or a choice (compared by its code or name); a country column only a country; a column of
// an enumeration only a choice of that enumeration. Anything else could never find a row.
inline std::string registryKeyProblem(const ir::Program& p, int r, const ir::Type& key) {
  const ir::Registry& reg = p.registries[size_t(r)];
  const rt::FieldSpec& col = reg.columns.fields.at(0);
  switch (col.kind) {
    case rt::FieldKind::Text:
      if (key.kind == ir::Kind::Text || key.kind == ir::Kind::Country || key.kind == ir::Kind::Enum) return "";
      return "a registry key is text, a country or a choice";
    case rt::FieldKind::Country:
      return key.kind == ir::Kind::Country ? "" : "'" + reg.name + "' is keyed by country: the key must be a country";
    case rt::FieldKind::Enum:
      if (key.kind == ir::Kind::Enum && p.enums[size_t(key.enumId)].second == col.enumValues) return "";
      for (const auto& [name, values] : p.enums)
        if (values == col.enumValues && !name.empty())
          return "'" + reg.name + "' is keyed by " + name + ": the key must be a " + name;
      return "'" + reg.name + "' is keyed by a choice: the key must be one of its key column";
    default:
      return "'" + reg.name + "' has a key column no value can match";
  }
}

}  // namespace lode::sema
