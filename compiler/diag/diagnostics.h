// Compile-time diagnostics: collected, never thrown; the library never prints (the CLI does).
#pragma once
#include <string>
#include <vector>

#include "compiler/diag/source.h"

namespace lode {

enum class Severity { Error, Warning, Note };

struct Diagnostic {
  Severity severity = Severity::Error;
  std::string code;  // stable code, see compiler/diag/codes.h
  SourceRange range;
  std::string message;
};

class Diagnostics {
 public:
  static constexpr size_t kMaxErrors = 100;  // keep going, but stop flooding (cel-cpp does the same)

  void error(const char* code, SourceRange r, std::string msg) { add(Severity::Error, code, r, std::move(msg)); }
  void warning(const char* code, SourceRange r, std::string msg) { add(Severity::Warning, code, r, std::move(msg)); }
  void note(SourceRange r, std::string msg) { add(Severity::Note, "", r, std::move(msg)); }
  bool hasErrors() const { return errors_ > 0; }
  size_t errorCount() const { return errors_; }
  const std::vector<Diagnostic>& all() const { return list_; }
  void sortByPosition();

 private:
  void add(Severity s, const char* code, SourceRange r, std::string msg);
  std::vector<Diagnostic> list_;
  size_t errors_ = 0;
  bool capped_ = false;
};

// "file:line:col: error[L0201]: message" then the source line and a caret under the range.
std::string formatDiagnostic(const SourceManager& sm, const Diagnostic& d);

}  // namespace lode
