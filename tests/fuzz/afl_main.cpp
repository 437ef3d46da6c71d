// afl++ driver: persistent mode (many inputs per forked process) with a deferred fork server, so
// fuzzInit() runs once. Built only with -DLODE_FUZZ=ON (tests/fuzz/CMakeLists.txt).
//
// Under afl-g++-fast (the GCC plugin) afl-cc defines the __AFL_* macros. The trace-pc build (plain g++
// with -fsanitize-coverage=trace-pc, linked with afl++'s afl-compiler-rt.o; see afl_trace_pc.c) gets
// the same definitions from here.
#include <unistd.h>

#include "tests/fuzz/fuzz.h"

#ifndef __AFL_FUZZ_TESTCASE_LEN
extern "C" {
int __afl_persistent_loop(unsigned int);
void __afl_manual_init(void);
extern unsigned int* __afl_fuzz_len;
extern unsigned char* __afl_fuzz_ptr;
}
// Test cases through shared memory instead of a file (read by afl-compiler-rt.o, weak there).
int __afl_sharedmem_fuzzing = 1;
static unsigned char lodeFuzzAlt[1 << 20];  // stdin when run outside afl-fuzz
#define __AFL_FUZZ_INIT()
#define __AFL_FUZZ_TESTCASE_BUF (__afl_fuzz_ptr ? __afl_fuzz_ptr : lodeFuzzAlt)
#define __AFL_FUZZ_TESTCASE_LEN                                                              \
  (__afl_fuzz_ptr ? *__afl_fuzz_len                                                          \
                  : (*__afl_fuzz_len = unsigned(read(0, lodeFuzzAlt, sizeof lodeFuzzAlt))) == \
                            0xffffffffu                                                      \
                        ? 0                                                                  \
                        : *__afl_fuzz_len)
// The signature strings tell afl-fuzz which modes the binary supports.
#define __AFL_LOOP(n)                                                         \
  ({                                                                          \
    static volatile const char* lodeSigP __attribute__((used, unused));       \
    lodeSigP = "##SIG_AFL_PERSISTENT##";                                      \
    __afl_persistent_loop(n);                                                 \
  })
#define __AFL_INIT()                                                          \
  do {                                                                        \
    static volatile const char* lodeSigD __attribute__((used, unused));       \
    lodeSigD = "##SIG_AFL_DEFER_FORKSRV##";                                   \
    __afl_manual_init();                                                      \
  } while (0)
#endif

__AFL_FUZZ_INIT();

int main() {
  fuzzInit();
  __AFL_INIT();
  const unsigned char* buf = __AFL_FUZZ_TESTCASE_BUF;  // only valid after __AFL_INIT
  while (__AFL_LOOP(10000)) {
    size_t len = __AFL_FUZZ_TESTCASE_LEN;
    fuzzOne(buf, len);
  }
  return 0;
}
