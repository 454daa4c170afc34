#!/usr/bin/env bash
# Runs `custos serve` on embedded SQLite in ./custos-data. No other set-up is needed.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
exec dotnet run --project src/Custos.Cli -c Release -- serve "$@"
