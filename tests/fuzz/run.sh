#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) into build-fuzz/ and runs
# each for SECONDS (default 60), all at once, starting from the seed corpus in
# tests/fuzz/corpus. New inputs collect in build-fuzz/corpus-<target>, crashes in
# build-fuzz/artifacts/. Exits non-zero on any finding.
#   tests/fuzz/run.sh [SECONDS] [TARGET...]      (targets: request config tls proxy h2)
#   tests/fuzz/run.sh --build-only               builds every target, runs none
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build_only=false
[[ ${1:-} == --build-only ]] && { build_only=true; shift; }
seconds=${1:-60}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(request config tls proxy h2)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}

CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DURINGD_FUZZ=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${targets[@]/#/fuzz_}"
$build_only && exit 0
mkdir -p "$build/artifacts"

run_one() {
    local t=$1 work="$build/corpus-$1"
    mkdir -p "$work"
    # -timeout: one input taking > 10 s is a hang; -rss_limit_mb: a leak or blow-up.
    (cd "$build/artifacts" && "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" \
        "$work" "$here/corpus/$t") >"$build/fuzz-$t.log" 2>&1
}

# All targets at once: each gets SECONDS of wall time (on fewer cores, fewer execs).
status=0
pids=()
for t in "${targets[@]}"; do run_one "$t" & pids+=($!); done
for i in "${!pids[@]}"; do wait "${pids[$i]}" || { echo "fuzz_${targets[$i]}: FAILED"; status=1; }; done

for t in "${targets[@]}"; do
    log="$build/fuzz-$t.log"
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    echo "fuzz_$t: ${seconds}s, ${runs:-?} execs, ${cov:-cov: ?}, corpus $(ls "$build/corpus-$t" | wc -l) inputs"
    if grep -qE '^==[0-9]+==ERROR|^SUMMARY|invariant broken|deadly signal' "$log"; then
        status=1
        grep -E -A30 'ERROR|invariant broken|deadly signal' "$log" | head -60
    fi
done
exit $status
