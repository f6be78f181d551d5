#!/usr/bin/env bash
# Where uringd's CPU goes, per workload: perf record on the running server under
# wrk, then the split by shared object and the top symbols. Run after bench/run.sh
# has installed the tools (it needs wrk, h2load and linux-perf).
#   bash bench/profile.sh [OUT]                 # OUT defaults to bench/results/<date>-profile.txt
#   PROFILE_ONLY="h2,1m" bash bench/profile.sh  # only the workloads whose title has one of these
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/support/certs.sh
for tool in wrk h2load perf; do
  command -v $tool >/dev/null || { echo "profile: no $tool; run bench/run.sh --quick first"; exit 1; }
done
bin=${URINGD_BIN:-build-release/uringd}
[[ -x $bin ]] || BUILD_TYPE=Release BUILD_DIR=build-release bash scripts/build.sh >/dev/null
out=${1:-bench/results/$(date -u +%Y-%m-%d-%H%M)-profile.txt}
work=$(mktemp -d /tmp/uringd-profile-XXXXXX)
pid=""
trap '[[ -n $pid ]] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT

mkdir -p "$work/www"
head -c 1024 /dev/urandom > "$work/www/1k.bin"
head -c $((1 << 20)) /dev/urandom > "$work/www/1m.bin"
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
# root may run it only when the conf says so (docs/configuration.md, [server])
[[ $(id -u) -ne 0 ]] || printf '[server]\nallow_root = true\n' >> "$work/uringd.conf"
"$bin" -c "$work/uringd.conf" > "$work/uringd.log" 2>&1 &
pid=$!
sleep 1
kill -0 "$pid" 2>/dev/null || { echo "profile: uringd did not start:"; cat "$work/uringd.log"; pid=""; exit 1; }
export OPENSSL_CONF=$PWD/bench/openssl-tls13-aes128.cnf

wanted() {  # $1 = title; PROFILE_ONLY is a comma list of substrings
  [[ -z ${PROFILE_ONLY:-} ]] && return 0
  local want
  IFS=, read -ra want <<< "$PROFILE_ONLY"
  for w in "${want[@]}"; do [[ $1 == *"$w"* ]] && return 0; done
  return 1
}

profile() {  # $1 = title, rest = the load command (runs 8 s); head cuts perf report short: no pipefail here
  local title=$1; shift
  wanted "$title" || return 0
  set +o pipefail
  "$@" > "$work/load.txt" 2>&1 &
  local load_pid=$!
  sleep 1
  perf record -q -F 2000 -g -p "$pid" -o "$work/perf.data" -- sleep 5 2>/dev/null
  wait "$load_pid"
  {
    echo "== $title: $(grep -hE 'Requests/sec|^finished in' "$work/load.txt")"
    perf report -i "$work/perf.data" --no-children --sort dso -g none 2>/dev/null | grep '%' | head -8
    echo "-- top symbols"
    perf report -i "$work/perf.data" --no-children --sort dso,sym -g none 2>/dev/null | grep '%' | head -25 | cut -c1-120
    echo
  } >> "$out"
  set -o pipefail
}
wrk16() { wrk -t1 -c16 -d8 "$@"; }
h2load16() { h2load -c16 -D 8 "$@"; }
{
  echo "# uringd CPU profiles, $(date -u '+%Y-%m-%d %H:%M') UTC, $(uname -r), $(nproc) CPUs"
  echo "# perf record -F 2000 -g on the server during wrk -t1 -c16 or h2load -c16 (loopback); default configuration"
  echo
} > "$out"
profile "http 1k keep-alive" wrk16 "http://127.0.0.1:19080/1k.bin"
profile "https 1k keep-alive" wrk16 "https://127.0.0.1:19443/1k.bin"
profile "https 1k new connection per request" wrk16 -H "Connection: close" "https://127.0.0.1:19443/1k.bin"
profile "https 1m keep-alive (user-space TLS)" wrk16 "https://127.0.0.1:19443/1m.bin"
profile "https 64m keep-alive (user-space TLS)" wrk16 "https://127.0.0.1:19443/64m.bin"
profile "https h2 1k m1" h2load16 -m1 "https://127.0.0.1:19443/1k.bin"
profile "https h2 1k m10" h2load16 -m10 "https://127.0.0.1:19443/1k.bin"
profile "https h2 1m m1" h2load16 -m1 "https://127.0.0.1:19443/1m.bin"
profile "http h2c 1k m10" h2load16 -m10 "http://127.0.0.1:19080/1k.bin"
echo "$out"
