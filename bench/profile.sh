#!/usr/bin/env bash
# Where uringd's CPU goes, per workload: perf record on the running server under
# wrk, then the split by shared object and the top symbols. Run after bench/run.sh
# has installed the tools (or let it: it needs wrk and linux-perf).
#   bash bench/profile.sh [OUT]     # OUT defaults to bench/results/<date>-profile.txt
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/support/certs.sh
command -v wrk >/dev/null && command -v perf >/dev/null || { echo "profile: run bench/run.sh --quick first"; exit 1; }
bin=${URINGD_BIN:-build-release/uringd}
[[ -x $bin ]] || BUILD_TYPE=Release BUILD_DIR=build-release bash scripts/build.sh >/dev/null
out=${1:-bench/results/$(date -u +%Y-%m-%d-%H%M)-profile.txt}
work=$(mktemp -d /tmp/uringd-profile-XXXXXX)
pid=""
trap '[[ -n $pid ]] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT

mkdir -p "$work/www"
head -c 1024 /dev/urandom > "$work/www/1k.bin"
head -c $((64 << 20)) /dev/urandom > "$work/www/64m.bin"
self_signed "$work/cert.pem" "$work/key.pem"
cat > "$work/uringd.conf" <<CONF
[[listen]]
address = "127.0.0.1:19080"
[[listen]]
address = "127.0.0.1:19443"
tls = true
[[site]]
root = "$work/www"
[tls]
certificate = "$work/cert.pem"
key = "$work/key.pem"
min_version = "1.3"
[log]
level = "warn"
CONF
"$bin" -c "$work/uringd.conf" > "$work/uringd.log" 2>&1 &
pid=$!
sleep 1
export OPENSSL_CONF=$PWD/bench/openssl-tls13-aes128.cnf

profile() {  # $1 = title, rest = wrk arguments (head cuts perf report short: no pipefail here)
  local title=$1; shift; set +o pipefail
  wrk -t1 -c16 -d8 "$@" > "$work/wrk.txt" &
  local wrk_pid=$!
  sleep 1
  perf record -q -F 2000 -g -p "$pid" -o "$work/perf.data" -- sleep 5 2>/dev/null
  wait "$wrk_pid"
  {
    echo "== $title: $(grep -h 'Requests/sec' "$work/wrk.txt")"
    perf report -i "$work/perf.data" --no-children --sort dso -g none 2>/dev/null | grep '%' | head -8
    echo "-- top symbols"
    perf report -i "$work/perf.data" --no-children --sort dso,sym -g none 2>/dev/null | grep '%' | head -25 | cut -c1-120
    echo
  } >> "$out"
}
{
  echo "# uringd CPU profiles, $(date -u '+%Y-%m-%d %H:%M') UTC, $(uname -r), $(nproc) CPUs"
  echo "# perf record -F 2000 -g on the server during wrk -t1 -c16 (loopback); default configuration"
  echo
} > "$out"
profile "http 1k keep-alive" "http://127.0.0.1:19080/1k.bin"
profile "https 1k keep-alive" "https://127.0.0.1:19443/1k.bin"
profile "https 1k new connection per request" -H "Connection: close" "https://127.0.0.1:19443/1k.bin"
profile "https 64m keep-alive (user-space TLS)" "https://127.0.0.1:19443/64m.bin"
echo "$out"
