#!/usr/bin/env bash
# SSH throughput and handshake rate, side by side in one run (docs/benchmarks.md, "SSH protocol"):
#   our client -> our server (benchmarks/Custos.Ssh.Throughput, in-process server, loopback TCP, sink channel)
#   ssh -> a real sshd (started here on a free loopback port with its own config, 'cat > /dev/null')
# Usage: benchmarks/ssh-throughput.sh [MiB per cipher, default 1024] [handshake seconds, default 10]
# Needs root (sshd) and openssh-server; run on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
MIB=${1:-1024}
SECONDS_HS=${2:-10}
CIPHERS=(aes256-gcm@openssh.com aes128-gcm@openssh.com chacha20-poly1305@openssh.com aes256-ctr)

dotnet build benchmarks/Custos.Ssh.Throughput -c Release --nologo -v quiet >/dev/null
ours=benchmarks/Custos.Ssh.Throughput/bin/Release/net10.0/Custos.Ssh.Throughput

work=$(mktemp -d)
trap 'kill $(cat "$work/pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
ssh-keygen -q -t ed25519 -N '' -f "$work/host"
ssh-keygen -q -t ed25519 -N '' -f "$work/user"
cp "$work/user.pub" "$work/authorized_keys"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p /run/sshd
cat >"$work/sshd_config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $work/host
PidFile $work/sshd.pid
AuthorizedKeysFile $work/authorized_keys
UsePAM no
StrictModes no
PermitRootLogin yes
PasswordAuthentication no
KbdInteractiveAuthentication no
LogLevel ERROR
CONF
/usr/sbin/sshd -D -e -f "$work/sshd_config" & echo $! >"$work/pid"
sleep 0.5
SSH=(ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR
     -o IdentitiesOnly=yes -i "$work/user" -p "$port" -o MACs=hmac-sha2-256-etm@openssh.com)

echo "| cipher | Custos client -> Custos server | ssh -> sshd | ratio |"
echo "| --- | ---: | ---: | ---: |"
for cipher in "${CIPHERS[@]}"; do
  ourrate=$("$ours" throughput "$cipher" "$MIB" | awk '{print $2}')
  start=$(date +%s.%N)
  head -c "$((MIB * 1024 * 1024))" /dev/zero | "${SSH[@]}" -c "$cipher" root@127.0.0.1 'cat > /dev/null'
  end=$(date +%s.%N)
  theirs=$(python3 -c "print(round($MIB*1048576/1e6/($end-$start)))")
  ratio=$(python3 -c "print(f'{$ourrate/$theirs:.2f}x')")
  echo "| $cipher | $ourrate MB/s | $theirs MB/s | $ratio |"
done

echo
ourhs=$("$ours" handshakes "$SECONDS_HS")
# The same client loop against sshd: isolates the server side of the handshake (sshd forks per connection).
sshdhs=$("$ours" handshakes "$SECONDS_HS" "$port" "$work/user" "$work/host.pub")
count=0; start=$(date +%s.%N)
while python3 -c "import sys,time; sys.exit(0 if time.time()-$start < $SECONDS_HS else 1)"; do
  "${SSH[@]}" root@127.0.0.1 true; count=$((count+1))
done
end=$(date +%s.%N)
python3 - "$ourhs" "$count" "$start" "$end" "$sshdhs" <<'PY'
import sys
ours, count, start, end, sshd = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
rate = count / (end - start)
print("| handshake (connect, kex, publickey auth, close) | rate | median latency |")
print("| --- | ---: | ---: |")
parts = ours.split()
print(f"| Custos client -> Custos server (in-process) | {parts[1]} | {parts[3]} ms |")
other = sshd.split()
print(f"| Custos client -> sshd (same loop) | {other[1]} | {other[3]} ms |")
print(f"| ssh -> sshd (new ssh process each, runs 'true') | {rate:.0f}/s | {1000/rate:.1f} ms (mean) |")
PY
