// One fuzz target = fuzzInit() + fuzzOne(). Each target's .cpp is linked twice: with afl_main.cpp
// into an afl++ target (build-fuzz, scripts/fuzz.sh) and with replay_main.cpp into a plain program
// that replays saved inputs (the ctest fuzz/replay/*, which runs every file under
// tests/fuzz/regressions/<target>/ and the target's seed sources). docs/hardening.md explains both.
//
// fuzzOne must treat any input as possible: a bug shows as a crash (abort, sanitizer report, uncaught
// exception), never as a return value.
#pragma once
#include <cstddef>
#include <cstdint>

// Expensive set-up shared by all inputs (compiling the example agreements, ...): runs once, before
// afl's fork server starts, so every forked child inherits it.
void fuzzInit();
int fuzzOne(const uint8_t* data, size_t size);
