#!/usr/bin/env bash
# Benchmarks uringd side by side with nginx, h2o and lighttpd (all from Debian),
# interleaved, several rounds, medians. Writes bench/results/<date>.{md,csv,png}.
#   bash bench/run.sh            # the full matrix with the peers (--variants: uringd's too)
#   bash bench/run.sh --quick    # about a minute: keeps the harness from rotting (CI)
# Extra options go to bench/bench.py (see --help there).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
peers=(nginx-light h2o lighttpd lighttpd-mod-openssl lighttpd-mod-deflate brotli wrk nghttp2-client linux-perf python3-matplotlib)
missing=()
for p in "${peers[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO=sudo
  $SUDO apt-get update -qq
  # A policy-rc.d that says 101 keeps the packages from starting their own daemons
  # (nginx would take port 80); removed again unless one was there before.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [[ -n ${URINGD_BIN:-} ]]; then  # ctest passes the binary it built
  bin=$URINGD_BIN
else
  BUILD_TYPE=Release BUILD_DIR=build-release bash scripts/build.sh >/dev/null
  bin=build-release/uringd
fi
# Debian's python3 (matplotlib comes from Debian), not a python3 earlier on PATH.
/usr/bin/python3 bench/bench.py --uringd "$bin" "$@"
