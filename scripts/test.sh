#!/usr/bin/env bash
# Installs dependencies, builds, and runs every test: the suite with ctest (unit,
# end-to-end, kTLS VM, benchmark smoke, unit file, package, TLS scan, 30 s soak,
# the haproxy fleet in network namespaces, lint),
# the suite again under ASan+UBSan and the threaded parts under TSan, and each fuzz
# target for FUZZ_SECONDS (default 60).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh test
bash scripts/build.sh
build=${BUILD_DIR:-build}

# Built in the background, in the SCHED_IDLE class, one after the other: the
# package's tree (so the package test finds it built), the sanitizer and fuzz trees,
# then clang-tidy. The tests leave about one of two cores idle on average (they
# mostly wait on sockets, timers and child processes), and an idle-class task yields
# the CPU as soon as any normal task wakes, so the timing-sensitive tests keep the
# CPU they had. Each step leaves a mark when done; a test stage waits for the mark
# it needs. In its own session, so that a failure can stop it.
rm -f "$build"/.background-*
setsid chrt --idle 0 bash -c "step() { local name=\$1; shift; \"\$@\" && touch $build/.background-\$name; }
  step package bash scripts/package.sh && step asan bash scripts/sanitize.sh address --build-only &&
  step tsan bash scripts/sanitize.sh thread --build-only && step fuzz bash tests/fuzz/run.sh --build-only &&
  step tidy env BUILD_DIR=$build bash tests/lint/tidy.sh || touch $build/.background-failed" \
  >"$build/background.log" 2>&1 &
background=$!
trap 'kill -- -$background 2>/dev/null || true' EXIT
await() {
  local start=$SECONDS
  until [[ -e $build/.background-$1 ]]; do
    [[ -e $build/.background-failed ]] && { tail -n 60 "$build/background.log"; echo "test.sh: background step failed"; exit 1; }
    sleep 1
  done
  echo "test.sh: waited $((SECONDS - start)) s for the background $1 step"
}

(cd "$build" && ctest --output-on-failure -j2 --timeout 600 -E '^tidy$')
await asan
bash scripts/sanitize.sh address
await tsan
bash scripts/sanitize.sh thread
await fuzz
bash tests/fuzz/run.sh "${FUZZ_SECONDS:-60}"
await tidy
