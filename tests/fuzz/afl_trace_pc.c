/* Edge coverage for afl++ from GCC's own instrumentation, for when the afl++ GCC plugin cannot load
 * (Debian 12: afl++ 4.04c's afl-gcc-pass.so was built against gcc 12.2.0-14 and refuses the
 * 12.2.0-14+deb12u1 compiler, "GCC and plugin have incompatible versions"; docs/hardening.md).
 *
 * Code compiled with -fsanitize-coverage=trace-pc calls __sanitizer_cov_trace_pc() at the start of
 * every basic block; this records the transition from the previous block in afl's map the way afl's
 * own instrumentation does (map[cur ^ prev]++, prev = cur >> 1). The map, the fork server and
 * persistent mode come from afl++'s runtime, afl-compiler-rt.o, linked beside this file. Block ids
 * are hashed from the return address relative to the executable's start (stable under ASLR).
 * This file itself must not be compiled with -fsanitize-coverage. */
#include <stdint.h>

extern uint8_t* __afl_area_ptr;            /* afl-compiler-rt.o: the shared coverage map */
extern __thread uint16_t __afl_prev_loc[]; /* afl-compiler-rt.o: previous block, reset per input */
extern char __executable_start;            /* linker-defined */

#ifndef LODE_AFL_MAP_SIZE
#define LODE_AFL_MAP_SIZE 65536u /* afl's default MAP_SIZE for non-pcguard instrumentation */
#endif

void __sanitizer_cov_trace_pc(void) {
  uintptr_t pc = (uintptr_t)__builtin_return_address(0) - (uintptr_t)&__executable_start;
  uint32_t h = (uint32_t)pc * 0x9E3779B1u;
  h ^= h >> 16;
  uint16_t cur = (uint16_t)(h & (LODE_AFL_MAP_SIZE - 1));
  __afl_area_ptr[cur ^ __afl_prev_loc[0]]++;
  __afl_prev_loc[0] = (uint16_t)(cur >> 1);
}
