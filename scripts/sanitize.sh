#!/usr/bin/env bash
# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer (docs/hardening.md).
#
#   bash scripts/sanitize.sh
#
# Configures build-asan (-O1 -g, -DLODE_SANITIZE=address,undefined: every target instrumented), builds
# it and runs every ctest there. Any sanitizer report fails its test: ASan aborts on the first error,
# UBSan is built with -fno-sanitize-recover and halts on the first report, leaks are reported at exit
# (LeakSanitizer; suppressions in tests/sanitize/lsan.supp).
#
# Environment: LODE_SANITIZE_BUILD (build dir, default build-asan), LODE_SANITIZE_DIFF_COUNT (random
# shipments per agreement in the differential tests; default 100000 as in the normal build, which
# keeps the suite at about 4 minutes here), LODE_SANITIZE_JOBS (build and test jobs, default nproc,
# at most 2).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

[ -x build/cli/lode ] || bash scripts/setup.sh  # the packages (and the normal build)

BUILD=${LODE_SANITIZE_BUILD:-build-asan}
JOBS=${LODE_SANITIZE_JOBS:-$(nproc)}
[ "$JOBS" -le 2 ] || JOBS=2
DIFF_COUNT=${LODE_SANITIZE_DIFF_COUNT:-100000}

t0=$(date +%s)
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DLODE_SANITIZE=address,undefined -DLODE_DIFFERENTIAL_COUNT="$DIFF_COUNT" >/dev/null
ninja -C "$BUILD" -j"$JOBS"
t1=$(date +%s)
echo "sanitize.sh: build took $((t1 - t0)) s"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:check_initialization_order=1:detect_stack_use_after_return=1
export LSAN_OPTIONS=suppressions=$ROOT/tests/sanitize/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$BUILD" --output-on-failure --no-tests=error -j"$JOBS"
echo "sanitize.sh: tests took $(($(date +%s) - t1)) s"
