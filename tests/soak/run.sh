#!/usr/bin/env bash
# Soak test: tests/soak/run.sh [SECONDS] [INTERVAL]   (default 600 s, sampled every 10 s)
# Mixed HTTP/HTTPS load with resets against build/uringd (or $URINGD_BIN); writes
# soak.csv and soak.png to $OUT (default build/soak). See soak.py.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export URINGD_BIN=${URINGD_BIN:-$root/build/uringd}
exec python3 "$here/soak.py" --seconds "${1:-600}" --interval "${2:-10}" --out "${OUT:-$root/build/soak}"
