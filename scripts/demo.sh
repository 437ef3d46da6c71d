#!/usr/bin/env bash
# The main job on the bundled examples: check every example agreement, run its inline examples, and
# price its sample shipment file (each file has one malformed row on purpose: it is reported, the
# other rows are priced).
set -uo pipefail
cd "$(dirname "$0")/.."
[ -x build/cli/lode ] || bash scripts/setup.sh
lode=build/cli/lode
status=0
for f in examples/agreements/*.lode; do
  name=$(basename "$f" .lode); dir=examples/agreements/$name
  echo "== $name"
  $lode check "$f" || status=1
  $lode test "$f" | tail -1 || status=1
  args=(--shipments "$dir/shipments.csv" --out "build/priced-$name.jsonl")
  [ -f "$dir/market.csv" ] && args+=(--market "$dir/market.csv")
  [ -f "$dir/quota_state.csv" ] && args+=(--quotas "$dir/quota_state.csv" --quotas-out "build/quotas-$name.csv")
  for r in "$dir"/*.csv; do
    n=$(basename "$r" .csv)
    [ "$n" = shipments ] || [ "$n" = market ] || [ "$n" = quota_state ] || args+=(--registry "$n=$r")
  done
  $lode price "$f" "${args[@]}"
  echo "   priced -> build/priced-$name.jsonl ($(wc -l < "build/priced-$name.jsonl") rows); first rows:"
  head -3 "build/priced-$name.jsonl" | cut -c1-220 | sed 's/^/   /'
done
exit $status
