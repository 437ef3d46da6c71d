#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>

// ctest runs each test case by its name, and CMake cuts names at ';' (its list separator): such a
// case would run as a filter that matches nothing, and pass without a single check. Refuse them.
int main(int argc, char** argv) {
  for (const doctest::detail::TestCase& tc : doctest::detail::getRegisteredTests())
    if (std::strchr(tc.m_name, ';')) {
      std::fprintf(stderr, "%s:%d: test case name has a ';', which ctest cannot run: %s\n", tc.m_file.c_str(), tc.m_line, tc.m_name);
      return 1;
    }
  doctest::Context context(argc, argv);
  return context.run();
}
