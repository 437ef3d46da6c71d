#!/usr/bin/env bash
# The whole test suite: doctest units, the .lode corpus through every executor, the CLI on the examples.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/cli/lode ] || bash scripts/setup.sh
ctest --test-dir build --output-on-failure --no-tests=error -j"$(nproc)"
