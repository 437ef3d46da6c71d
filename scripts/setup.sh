#!/usr/bin/env bash
# Installs the Debian packages lode builds with (root or sudo), then configures and builds.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS="cmake ninja-build g++ default-jre-headless antlr4 libantlr4-runtime-dev uuid-dev libfmt-dev
      doctest-dev libcli11-dev nlohmann-json3-dev iso-codes libbenchmark-dev llvm-19-dev afl++
      lua5.4 liblua5.4-dev luajit libluajit-5.1-dev"
missing=""
for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build -j"$(nproc)"
