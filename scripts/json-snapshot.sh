#!/usr/bin/env bash
# Record every command's --json output on the sample log and three real logs, to
# diff before and after a change that must not change any number:
#   scripts/json-snapshot.sh DIR      (then: diff -r DIR-before DIR-after)
# Real logs are read from ../shared/data/real and skipped when absent.
set -u
out=${1:?usage: scripts/json-snapshot.sh DIR}
pm=${PROCMINE:-.venv/bin/procmine}
real=${REAL:-../shared/data/real}
mkdir -p "$out"
run() {  # name, then the command line
  local name=$1; shift
  local start=$SECONDS
  timeout 900 "$pm" "$@" >"$out/$name.json" 2>"$out/$name.err"
  echo "$? $((SECONDS - start))s $name" | tee -a "$out/status.txt"
}
logs=("sample:logs/sample.csv:2024-02-01")
[ -f "$real/receipt.csv" ] && logs+=("receipt:$real/receipt.csv:2011-01-01")
[ -f "$real/Road_Traffic_Fine_Management_Process.xes.gz" ] &&
  logs+=("road:$real/Road_Traffic_Fine_Management_Process.xes.gz:2006-01-01")
[ -f "$real/BPIC15_1f.xes.gz" ] && logs+=("bpic15f:$real/BPIC15_1f.xes.gz:2013-01-01")
for entry in "${logs[@]}"; do
  IFS=: read -r name path split <<<"$entry"
  run "$name-info" info "$path" --json
  run "$name-variants" variants "$path" --json
  run "$name-map" map "$path" --json
  run "$name-map-wait" map "$path" --metric median-wait --working-time --json
  run "$name-bottlenecks" bottlenecks "$path" --json
  run "$name-bottlenecks-unit" bottlenecks "$path" --by unit --json
  run "$name-loops" loops "$path" --json
  run "$name-network" network "$path" --json
  run "$name-compare" compare "$path" --split "$split" --json
  run "$name-discover" discover "$path" --noise 0.2 --json
  run "$name-info-duckdb" info "$path" --engine duckdb --json
done
run sample-conform conform logs/sample.csv --workflow logs/workflow.yaml --json
run sample-conform-tokens conform logs/sample.csv --workflow logs/workflow.yaml --method tokens --json
run sample-discover-default discover logs/sample.csv --json
run sample-map-duckdb map logs/sample.csv --engine duckdb --json
run sample-bottlenecks-duckdb bottlenecks logs/sample.csv --engine duckdb --by unit --json
run sample-loops-duckdb loops logs/sample.csv --engine duckdb --json
