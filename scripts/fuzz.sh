#!/usr/bin/env bash
# Fuzzes lode with afl++ (docs/hardening.md).
#
#   bash scripts/fuzz.sh TARGET [SECONDS]   TARGET: frontend, engines, readers, or all (each in turn)
#
# Builds build-fuzz (-DLODE_FUZZ=ON, only the fuzz targets), makes seed corpora from the repository's
# agreements and sample files, runs afl-fuzz on each target for SECONDS (default 60) and fails when afl
# saved a crash or a hang, printing each input and the command that replays it. Findings stay in
# build-fuzz/findings/TARGET/. Inputs that crashed belong in tests/fuzz/regressions/TARGET/ (the
# ctest fuzz/replay/TARGET replays them in every test run).
#
# Environment: LODE_FUZZ_BUILD (build dir, default build-fuzz), LODE_FUZZ_INSTRUMENT (auto: the afl++
# GCC plugin, afl-g++-fast, when it works, else g++'s -fsanitize-coverage=trace-pc; or force
# compiler / trace-pc), LODE_FUZZ_TIMEOUT_MS (one input's time limit, default 5000),
# LODE_FUZZ_JOBS (build jobs, default nproc, at most 2), LODE_FUZZ_SANITIZE (e.g. address,undefined:
# fuzz a sanitizer build, slower but catches silent memory errors; default build dir build-fuzz-asan).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

ALL_TARGETS="frontend engines readers"
target=${1:-}
secs=${2:-60}
if [ -z "$target" ] || { [ "$target" != all ] && ! [[ " $ALL_TARGETS " == *" $target "* ]]; }; then
  echo "usage: scripts/fuzz.sh {$(echo $ALL_TARGETS | tr ' ' '|')|all} [SECONDS]" >&2
  exit 2
fi
[[ "$secs" =~ ^[0-9]+$ ]] || { echo "fuzz.sh: SECONDS must be a whole number, got '$secs'" >&2; exit 2; }
targets=$target
[ "$target" = all ] && targets=$ALL_TARGETS

[ -x build/cli/lode ] || bash scripts/setup.sh  # the packages (afl++ among them) and the normal build
command -v afl-fuzz >/dev/null || { echo "fuzz.sh: afl-fuzz not found (Debian package afl++; scripts/setup.sh installs it)" >&2; exit 2; }

SANITIZE=${LODE_FUZZ_SANITIZE:-}
if [ -n "$SANITIZE" ]; then BUILD=${LODE_FUZZ_BUILD:-build-fuzz-asan}; else BUILD=${LODE_FUZZ_BUILD:-build-fuzz}; fi
JOBS=${LODE_FUZZ_JOBS:-$(nproc)}
[ "$JOBS" -le 2 ] || JOBS=2
TIMEOUT_MS=${LODE_FUZZ_TIMEOUT_MS:-5000}

# ---- instrumentation ------------------------------------------------------------------------------
# afl-g++-fast (the GCC plugin) is afl's own GCC instrumentation, but Debian 12's afl++ 4.04c plugin
# was built against gcc 12.2.0-14 and refuses the 12.2.0-14+deb12u1 compiler. Probe, don't assume.
plugin_works() {
  local d; d=$(mktemp -d)
  echo 'int main() { return 0; }' > "$d/p.cpp"
  local ok=1
  command -v afl-g++-fast >/dev/null && AFL_QUIET=1 afl-g++-fast "$d/p.cpp" -o "$d/p" >/dev/null 2>&1 && ok=0
  rm -rf "$d"
  return $ok
}
instrument=${LODE_FUZZ_INSTRUMENT:-auto}
if [ "$instrument" = auto ]; then
  if plugin_works; then instrument=compiler; else instrument=trace-pc; fi
fi
case $instrument in
  compiler) CXX=afl-g++-fast; CC=afl-gcc-fast ;;
  trace-pc) CXX=g++; CC=gcc ;;
  *) echo "fuzz.sh: LODE_FUZZ_INSTRUMENT must be auto, compiler or trace-pc" >&2; exit 2 ;;
esac
echo "fuzz.sh: instrumentation '$instrument' ($CXX)"
# A build dir configured with another compiler cannot be switched in place.
if [ -f "$BUILD/CMakeCache.txt" ] && ! grep -q "^CMAKE_CXX_COMPILER:[A-Z]*=.*/$CXX\$\|^CMAKE_CXX_COMPILER:[A-Z]*=$CXX\$" "$BUILD/CMakeCache.txt"; then
  rm -rf "$BUILD"
fi

# ---- build ----------------------------------------------------------------------------------------
export AFL_QUIET=1
t0=$(date +%s)
CC=$CC CXX=$CXX cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DLODE_FUZZ=ON -DLODE_FUZZ_INSTRUMENT="$instrument" -DLODE_SANITIZE="$SANITIZE" >/dev/null
ninja -C "$BUILD" -j"$JOBS" lode_stdlib $(for t in $targets; do echo "lode_fuzz_$t lode_fuzz_replay_$t"; done)
echo "fuzz.sh: build took $(( $(date +%s) - t0 )) s"
export LODE_STDLIB=$ROOT/$BUILD/stdlib

# ---- seed corpora (made afresh each run from the repository's files) -------------------------------
seed_dir() {  # TARGET -> fills $BUILD/seeds/TARGET
  local t=$1 out=$BUILD/seeds/$1 f i n
  rm -rf "$out"; mkdir -p "$out"
  case $t in
    frontend)
      # Every agreement, test (the bad-input catalogue too) and std module up to 16 KB (afl prefers
      # small seeds), names made unique.
      for f in examples/agreements/*.lode $(find tests/lang tests/bad_inputs -name '*.lode' 2>/dev/null | sort) stdlib/*.lode; do
        [ "$(wc -c < "$f")" -le 16384 ] && cp "$f" "$out/$(echo "$f" | tr '/' '_')"
      done ;;
    engines)
      # First byte: which agreement (sorted examples/agreements/*.lode); the rest: the generator's choices.
      n=$(ls examples/agreements/*.lode | wc -l)
      for ((i = 0; i < n; i++)); do
        printf "\\x$(printf %02x "$i")" > "$out/agreement$i-first-choices"
        head -c 64 /dev/zero >> "$out/agreement$i-first-choices"
        printf "\\x$(printf %02x "$i")" > "$out/agreement$i-mixed"
        printf '\x10\x20\x30\x40\x50\x60\x70\x80\x90\xa0\xb0\xc0\xd0\xe0\xf0\xff%.0s' 1 2 3 4 >> "$out/agreement$i-mixed"
      done ;;
    readers)
      # The sample CSV files (shipments, market, registries, quota state), the malformed rows of the
      # bad-input catalogue ...
      for f in examples/agreements/*/*.csv $(find tests/bad_inputs -name '*.csv' -o -name '*.jsonl' 2>/dev/null | sort); do
        [ "$(wc -c < "$f")" -le 16384 ] && cp "$f" "$out/$(echo "$f" | cut -d/ -f3- | tr '/' '_')"
      done
      # ... and JSON Lines shipments (docs/formats.md).
      cat > "$out/shipments.jsonl" <<'JSONL'
{"id": "E2-T3", "date": "2029-02-15", "hs": "2833.24.00.00", "origin": "ID", "mineral": "nickel", "node": "chemical", "quantity": "100 t", "value": "390000 USD", "contained": {"Ni": "22 t"}}
{"id": "E1-T4", "date": "2029-03-01", "hs": "8507.60.00.20", "origin": "CN", "mineral": "graphite", "node": "article", "quantity": "12 kg", "value": "1000 USD", "content_value.graphite": "60 USD", "x": null, "n": [1, 2.5e3, true]}
JSONL
      ;;
  esac
}

# ---- fuzz ----------------------------------------------------------------------------------------
stat_of() { grep "^$2 " "$1" 2>/dev/null | sed 's/.*: *//' || true; }
# Containers: no CPU frequency governor or core_pattern to fix, no terminal, cores shared with others.
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_FAST_CAL=1
# Sanitizer builds: afl needs an abort on the first report; leaks are not checked per input.
if [ -n "$SANITIZE" ]; then
  export ASAN_OPTIONS=abort_on_error=1:symbolize=0:detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1
fi
failed=0
summary=""
for t in $targets; do
  seed_dir "$t"
  out=$BUILD/findings/$t
  rm -rf "$out"
  mkdir -p "$BUILD/findings"
  echo "fuzz.sh: $t for ${secs}s ($(ls "$BUILD/seeds/$t" | wc -l) seeds)"
  # afl-fuzz stops by itself after -V seconds; the outer timeout only guards against a wedged run.
  set +e
  timeout --signal=INT $((secs + 300)) afl-fuzz -i "$BUILD/seeds/$t" -o "$out" -V "$secs" -m none -t "$TIMEOUT_MS" \
    -- "$BUILD/tests/fuzz/lode_fuzz_$t" > "$BUILD/fuzz-$t.log" 2>&1
  rc=$?
  set -e
  stats=$out/default/fuzzer_stats
  if [ ! -f "$stats" ]; then
    echo "fuzz.sh: afl-fuzz did not start on $t (exit $rc); its log:" >&2
    tail -40 "$BUILD/fuzz-$t.log" >&2
    failed=1
    continue
  fi
  line="$t: $(stat_of "$stats" execs_done) execs, $(stat_of "$stats" execs_per_sec) execs/s, corpus $(stat_of "$stats" corpus_count) (seeds $(ls "$BUILD/seeds/$t" | wc -l)), edges $(stat_of "$stats" bitmap_cvg), crashes $(stat_of "$stats" saved_crashes), hangs $(stat_of "$stats" saved_hangs)"
  echo "fuzz.sh: $line"
  summary="$summary$line"$'\n'
  for kind in crashes hangs; do
    for f in "$out/default/$kind"/id:*; do
      [ -e "$f" ] || continue
      failed=1
      echo "fuzz.sh: $t: $kind input: $f" >&2
      echo "  reproduce: LODE_STDLIB=$LODE_STDLIB $BUILD/tests/fuzz/lode_fuzz_replay_$t '$f'" >&2
      echo "  keep it:   cp '$f' tests/fuzz/regressions/$t/<short-name>" >&2
    done
  done
done
printf '%s' "$summary"
if [ "$failed" != 0 ]; then
  echo "fuzz.sh: afl found problems (see above)" >&2
  exit 1
fi
echo "fuzz.sh: no crash or hang in: $targets"
