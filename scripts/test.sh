#!/usr/bin/env bash
# Installs dependencies, builds, and runs every test: the suite with ctest (unit,
# end-to-end, kTLS VM, benchmark smoke, unit file, package, TLS scan, 30 s soak,
# the haproxy fleet in network namespaces),
# the suite again under ASan+UBSan and the threaded parts under TSan, and each fuzz
# target for FUZZ_SECONDS (default 60).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh test
bash scripts/build.sh
build=${BUILD_DIR:-build}

# The sanitizer and fuzz trees build while the plain suite runs, in the SCHED_IDLE
# class. The suite leaves about one of two cores idle on average (its tests mostly
# wait on sockets, timers and child processes), and an idle-class task yields the
# CPU as soon as any normal task wakes, so the suite's timing-sensitive tests keep
# the CPU they had. In its own session, so that a failing suite can stop it.
setsid chrt --idle 0 bash -c 'bash scripts/sanitize.sh address --build-only &&
  bash scripts/sanitize.sh thread --build-only && bash tests/fuzz/run.sh --build-only' \
  >"$build/background-builds.log" 2>&1 &
builds=$!
trap 'kill -- -$builds 2>/dev/null || true' EXIT
start=$SECONDS
(cd "$build" && ctest --output-on-failure -j2 --timeout 600)
suite=$((SECONDS - start))
wait $builds || { tail -n 60 "$build/background-builds.log"; echo "test.sh: the background builds failed"; exit 1; }
echo "test.sh: plain suite ${suite} s; sanitizer and fuzz trees built $((SECONDS - start - suite)) s after it"

bash scripts/sanitize.sh address
bash scripts/sanitize.sh thread
bash tests/fuzz/run.sh "${FUZZ_SECONDS:-60}"
