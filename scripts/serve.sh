#!/usr/bin/env bash
# Runs `custos serve` on embedded SQLite in ./custos-data. No other set-up is needed.
set -euo pipefail
cd "$(dirname "$0")/.."
# ICU: identity names are NFKC-normalised by the runtime's ICU (usually installed with .NET; added when missing).
if ! ls /usr/lib/*/libicuuc.so.* >/dev/null 2>&1; then
  echo "serve.sh: installing libicu-dev" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends libicu-dev >/dev/null
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
exec dotnet run --project src/Custos.Cli -c Release -- serve "$@"
