#!/usr/bin/env bash
# Builds uringd with sanitizers and runs tests under them:
#   scripts/sanitize.sh address   ASan + UBSan (build-asan/): unit, in-process and every e2e test
#   scripts/sanitize.sh thread    TSan (build-tsan/): unit, in-process + the e2e tests where
#                                 threads meet (start-up, reload, drain, shutdown,
#                                 access-log writer, metrics publishing)
#   scripts/sanitize.sh KIND --build-only   only builds the tree (scripts/test.sh does
#                                 that in the background while the plain suite runs)
# Every sanitizer report goes to a file (log_path), so a report from a process whose
# exit status a test does not look at still fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:?usage: sanitize.sh address|thread [--build-only]}
build_only=false
[[ ${2:-} == --build-only ]] && build_only=true
case $kind in
  address) dir=build-asan ;;
  thread) dir=build-tsan ;;
  *) echo "sanitize.sh: address or thread, not $kind" >&2; exit 2 ;;
esac
# -Og with asserts on (no NDEBUG), so the in-flight counting asserts run too. Under
# ASan+UBSan, GCC's -O1 passes over the instrumented code take twice as long as -Og's
# (5 against 3 minutes for this tree on 2 cores), and the tests run as fast.
# Only what the tests below run is built.
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-Og -g" \
  -DCMAKE_CXX_FLAGS_DEBUG="-Og -g" -DURINGD_SANITIZE="$kind"
cmake --build "$dir" -j"$(nproc)" --target uringd uringd_unit_tests uringd_inproc_tests deny-io-uring
$build_only && exit 0

reports=$(mktemp -d /tmp/uringd-sanitize.XXXXXX)
trap 'rm -rf "$reports"' EXIT
export ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="log_path=$reports/ubsan:print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="log_path=$reports/lsan"
export TSAN_OPTIONS="log_path=$reports/tsan:halt_on_error=1:second_deadlock_stack=1"

# Not under sanitizers: the benchmark (timing), the VM (its guest has no sanitizer
# runtime), the unit-file check and the package (no uringd code runs), the TLS scan
# (the handshakes it makes are the unit and e2e tests' too, and it takes minutes),
# the short soak (its RSS bounds are for the plain build), the fleet (haproxy's
# health checks time the nodes; its PROXY protocol path is e2e_test_proxy_protocol's),
# and the lint checks (they read sources, not the sanitized build).
exclude='^(bench_quick|vm_ktls|systemd_unit|package_deb|tls_scan|soak_short|fleet|module_deps|format|tidy)$'
select=()
[[ $kind == thread ]] && select=(-R '^(e2e_test_(lifecycle|reload|socket_activation|systemd|privileges|metrics|access_log|disconnect|drain_delay)|[A-Z].*)$')
status=0
(cd "$dir" && ctest --output-on-failure -j2 --timeout 900 -E "$exclude" "${select[@]}") || status=1

if compgen -G "$reports/*" >/dev/null; then
  echo "sanitize.sh: $kind sanitizer reports:" >&2
  head -n 60 "$reports"/* >&2
  status=1
fi
exit $status
