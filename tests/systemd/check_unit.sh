#!/usr/bin/env bash
# The shipped unit file passes `systemd-analyze verify` and scores "OK" or better
# (exposure < 5.0) in `systemd-analyze security --offline=yes`. The unit is checked
# as shipped, except that ExecStart points at the binary under test.
#   tests/systemd/check_unit.sh BINARY
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(readlink -f "${1:?usage: check_unit.sh BINARY}")
work=$(mktemp -d /tmp/uringd-unit-XXXXXX)
trap 'rm -rf "$work"' EXIT
sed "s|/usr/sbin/uringd|$bin|g" "$root/systemd/uringd.service" > "$work/uringd.service"
# Documentation=man:uringd(8) is checked with man(1): let it find ours.
MANPATH="$root/man:" systemd-analyze verify "$work/uringd.service"
echo "unit: systemd-analyze verify is clean"
out=$(systemd-analyze security --offline=yes "$work/uringd.service" 2>&1)
line=$(grep 'Overall exposure level' <<<"$out")
echo "unit: $line"
score=$(sed -E 's/.*: ([0-9.]+) .*/\1/' <<<"$line")
awk -v s="$score" 'BEGIN { exit !(s < 5.0) }' || { echo "$out"; echo "unit: exposure $score is not OK (< 5.0)"; exit 1; }

# ExecReload, as systemd runs it (in order, stopping at the first failure): with a
# conf that is refused, the reload fails and no SIGHUP is sent.
mapfile -t reload < <(sed -n 's/^ExecReload=//p' "$work/uringd.service")
[[ ${#reload[@]} -ge 2 && ${reload[0]} == "$bin -t -c /etc/uringd/uringd.conf" ]] ||
  { echo "unit: ExecReload must check the conf before signalling: ${reload[*]}"; exit 1; }
printf '[server]\nworkers = "4"\n' > "$work/bad.conf"
check=${reload[0]//\/etc\/uringd\/uringd.conf/$work/bad.conf}
if out=$($check 2>&1); then echo "unit: ExecReload's check passed a refused conf"; exit 1; fi
echo "unit: a refused conf fails the reload: $out"
