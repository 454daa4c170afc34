#!/usr/bin/env bash
# Foundation benchmarks (issue 2): durable audit appends on SQLite and PostgreSQL (1 writer and 256 writers),
# audit verify throughput (SQLite and JSON Lines), cold start of `custos serve` to /readyz, and the in-process
# chain-step micro-benchmarks. Prints one line per figure; docs/benchmarks.md records a run.
# usage: benchmarks/foundation.sh [seconds-per-append-run]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build -c Release -v quiet --nologo benchmarks/Custos.Benchmarks >/dev/null
dotnet build -c Release -v quiet --nologo src/Custos.Cli >/dev/null
bench=benchmarks/Custos.Benchmarks/bin/Release/net10.0/Custos.Benchmarks.dll
custos=src/Custos.Cli/bin/Release/net10.0/custos.dll

echo "== audit append (durable, fsync before ack), target >= 50,000/s p99 <= 5 ms on SQLite with 256 writers"
dotnet "$bench" append --engine sqlite --writers 1,32,256 --seconds "$seconds"
echo "== audit append on PostgreSQL, target >= 30,000/s"
dotnet "$bench" append --engine postgres --writers 1,32,256 --seconds "$seconds"
echo "== audit verify, target >= 500,000 events/s"
dotnet "$bench" verify --events 1000000

echo "== cold start: custos serve on an empty data dir until /readyz answers 200"
for run in 1 2 3; do
  dir=$(mktemp -d); port=$(( 20000 + RANDOM % 20000 ))
  start=$(date +%s%N)
  dotnet "$custos" serve --data-dir "$dir/data" --listen "127.0.0.1:$port" >/dev/null 2>&1 &
  pid=$!
  until curl -skf --cacert "$dir/data/tls/server.crt" "https://127.0.0.1:$port/readyz" >/dev/null 2>&1; do sleep 0.02; done
  end=$(date +%s%N)
  echo "cold-start run=$run ms=$(( (end - start) / 1000000 ))"
  kill -TERM "$pid"; wait "$pid" || true; rm -rf "$dir"
done

echo "== in-process micro-benchmarks (BenchmarkDotNet)"
dotnet "$bench" --filter '*AuditChainBenchmarks*' --job short 2>&1 | grep -E '^\|' || true
