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

# While the plain suite runs, in the SCHED_IDLE class: the package's tree (so the
# package test finds it built), the sanitizer and fuzz trees, and clang-tidy. The
# suite leaves about one of two cores idle on average (its tests mostly wait on
# sockets, timers and child processes), and an idle-class task yields the CPU as
# soon as any normal task wakes, so the suite's timing-sensitive tests keep the CPU
# they had. In its own session, so that a failing suite can stop it.
setsid chrt --idle 0 bash -c "bash scripts/package.sh >/dev/null &&
  bash scripts/sanitize.sh address --build-only && bash scripts/sanitize.sh thread --build-only &&
  bash tests/fuzz/run.sh --build-only && BUILD_DIR=$build bash tests/lint/tidy.sh" \
  >"$build/background.log" 2>&1 &
background=$!
trap 'kill -- -$background 2>/dev/null || true' EXIT
start=$SECONDS
(cd "$build" && ctest --output-on-failure -j2 --timeout 600 -E '^tidy$')
suite=$((SECONDS - start))
wait $background || { tail -n 60 "$build/background.log"; echo "test.sh: a background build or tidy failed"; exit 1; }
echo "test.sh: plain suite ${suite} s; the background builds and tidy ended $((SECONDS - start - suite)) s after it"

bash scripts/sanitize.sh address
bash scripts/sanitize.sh thread
bash tests/fuzz/run.sh "${FUZZ_SECONDS:-60}"
