#!/usr/bin/env bash
# Identity benchmarks (identity issue): the three targets, each run RUNS times (default 2) because the build machine
# is shared and figures move with other engineers' load. Prints one line per figure; docs/benchmarks.md records a run.
#   1. token validation on a warm 10,000-session cache (BenchmarkDotNet, baseline SHA-256 of the token), target <= 5 us
#   2. login load against a real `custos serve` (production Argon2id, SQLite, HTTPS): open loop at 30, 40, 50 logins/s
#      then a storm of 200 concurrent logins; target >= 30/s with p99 <= 200 ms on 2 cores, memory bounded
#   3. authenticated no-op round trip (GET /v1/auth/whoami) against GET /healthz on one keep-alive HTTPS connection
# usage: benchmarks/identity.sh [seconds-per-rate] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
runs=${2:-2}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build -c Release -v quiet --nologo benchmarks/Custos.Benchmarks >/dev/null
dotnet build -c Release -v quiet --nologo src/Custos.Cli >/dev/null
bench=benchmarks/Custos.Benchmarks/bin/Release/net10.0/Custos.Benchmarks.dll

for run in $(seq "$runs"); do
  echo "== run $run: load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "== token validation (BenchmarkDotNet, short job), target <= 5 us per request"
  dotnet "$bench" --filter '*TokenValidationBenchmarks*' --job short 2>&1 | grep -E '^\|' || true
  echo "== login load, target >= 30 logins/s with p99 <= 200 ms; storm of 200 concurrent logins"
  dotnet "$bench" login-load --rates 30,40,50 --seconds "$seconds" --storm 200
  echo "== authenticated no-op round trip over one keep-alive HTTPS connection"
  dotnet "$bench" api-roundtrip --requests 20000
done
