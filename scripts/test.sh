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
(cd "${BUILD_DIR:-build}" && ctest --output-on-failure -j2 --timeout 600)
bash scripts/sanitize.sh address
bash scripts/sanitize.sh thread
bash tests/fuzz/run.sh "${FUZZ_SECONDS:-60}"
