#!/bin/sh
# Runs every corpus file of tests/lang (not the pending ones) and prints one line each.
cd "$(dirname "$0")"
rc=0
for f in ${@:-good/*.lode bad/*.lode}; do
  LODE_STDLIB=/work/main/build/stdlib /work/main/build/tests/lode_corpus "$f" || rc=1
done
exit $rc
