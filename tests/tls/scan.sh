#!/usr/bin/env bash
# Scans uringd with testssl.sh (Debian's testssl): protocols, server defaults,
# cipher list, forward secrecy, vulnerabilities and headers, with an ECDSA and an
# RSA certificate (two servers, scanned side by side), and judges each JSON report
# with check_testssl.py. Reports go to $OUT (default build/testssl).
#   URINGD_BIN=build/uringd tests/tls/scan.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../support/certs.sh"
root=$(cd "$here/../.." && pwd)
bin=${URINGD_BIN:-$root/build/uringd}
out=${OUT:-$root/build/testssl}
mkdir -p "$out"
work=$(mktemp -d /tmp/uringd-testssl.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Starts uringd with a new certificate of kind $1 on port $2.
start_server() {
  local alg=$1 port=$2
  self_signed "$work/$alg.pem" "$work/$alg.key" localhost "$alg" 400
  cat >"$work/$alg.conf" <<CONF
[server]
allow_root = true
workers = 1
[tls]
certificate = "$work/$alg.pem"
key = "$work/$alg.key"
[[listen]]
address = "127.0.0.1:$port"
tls = true
[[site]]
root = "$work/site"
hsts = "max-age=31536000"
CONF
  "$bin" -c "$work/$alg.conf" >"$out/uringd-$alg.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do grep -q "ready:" "$out/uringd-$alg.log" && return; sleep 0.1; done
  echo "scan.sh: uringd ($alg) did not start:" >&2
  cat "$out/uringd-$alg.log" >&2
  exit 1
}

mkdir -p "$work/site"
echo '<h1>scan</h1>' >"$work/site/index.html"
scans=()
for alg in ecdsa rsa; do
  port=$(free_port)
  start_server "$alg" "$port"
  rm -f "$out/testssl-$alg.json"
  testssl --quiet --color 0 --warnings off --jsonfile "$out/testssl-$alg.json" -p -S -P -e -U -h \
    "127.0.0.1:$port" >"$out/testssl-$alg.txt" 2>&1 &
  scans+=($!)
done
for s in "${scans[@]}"; do wait "$s" || true; done  # testssl's status counts findings; judged below

status=0
for alg in ecdsa rsa; do python3 "$here/check_testssl.py" "$out/testssl-$alg.json" || status=1; done
exit $status
