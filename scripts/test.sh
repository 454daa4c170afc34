#!/usr/bin/env bash
# Runs the whole Custos test suite on a fresh Debian machine.
# Installs what the tests need (OpenSSH client and server, PostgreSQL 15) when missing,
# then runs every test project. The PostgreSQL contract tests start their own throwaway
# cluster (initdb/pg_ctl as the postgres user, free port, temp dir): nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v ssh >/dev/null || need+=(openssh-client)
command -v ssh-keygen >/dev/null || need+=(openssh-client)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v sftp >/dev/null || need+=(openssh-client)
[ -x /usr/lib/openssh/sftp-server ] || need+=(openssh-sftp-server)
command -v script >/dev/null || need+=(bsdutils)
# ICU: identity names are NFKC-normalised by the runtime's ICU.
ls /usr/lib/*/libicuuc.so.* >/dev/null 2>&1 || need+=(libicu-dev)
if [ ${#need[@]} -gt 0 ]; then
  echo "test.sh: installing ${need[*]}" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # policy-rc.d keeps the packages from starting system daemons: the tests start their own.
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null; $SUDO chmod +x /usr/sbin/policy-rc.d
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  $SUDO rm -f /usr/sbin/policy-rc.d
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build Custos.slnx -c Release --nologo -v quiet

log=$(mktemp)
status=0
dotnet test --solution Custos.slnx -c Release --no-build "$@" 2>&1 | tee "$log" || status=$?
# A plain summary line that any CI reader understands.
passed=$(grep -Eo 'succeeded: [0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -Eo 'failed: [0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -Eo 'skipped: [0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
rm -f "$log"
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit $status
