// Positions: lines and columns as an editor shows them (characters, not bytes; no BOM; CRLF).
#include <doctest/doctest.h>

#include "compiler/diag/diagnostics.h"
#include "compiler/diag/source.h"

using namespace lode;

TEST_CASE("columns count characters and skip a byte order mark") {
  SourceManager sm;
  uint32_t f = sm.add("a.lode", "\xEF\xBB\xBFlet x\r\nlet \xC3\xA9 = 1\n");
  CHECK(sm.lineCol(f, 3).line == 1);
  CHECK(sm.lineCol(f, 3).col == 1);   // 'l' right after the BOM
  CHECK(sm.lineCol(f, 7).col == 5);   // 'x'
  CHECK(sm.lineText(f, 1) == "let x");
  uint32_t e = 10 + 4 + 2 + 1;        // the '=' after "let é " on line 2 (é is two bytes)
  CHECK(sm.lineCol(f, e).line == 2);
  CHECK(sm.lineCol(f, e).col == 7);
  CHECK(sm.lineText(f, 2) == "let \xC3\xA9 = 1");
}

TEST_CASE("the caret lines up under the error after non-ASCII text") {
  SourceManager sm;
  uint32_t f = sm.add("a.lode", "flag \"\xC3\x9F\" x\n");
  Diagnostic d{Severity::Error, "L0101", {f, 10, 11}, "here"};
  std::string out = formatDiagnostic(sm, d);
  CHECK(out.find("a.lode:1:10: error[L0101]: here") != std::string::npos);
  CHECK(out.find("\n           ^\n") != std::string::npos);  // two spaces of indent and 9 of padding
}
