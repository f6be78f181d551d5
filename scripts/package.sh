#!/usr/bin/env bash
# Builds the Debian package: build-deb/uringd_<version>_amd64.deb
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh build >/dev/null
# One package.sh at a time per tree (scripts/test.sh builds it in the background
# while the package test may start).
mkdir -p build-deb
exec 9>build-deb/.package.lock
flock 9
cmake -S . -B build-deb -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr -DURINGD_TESTS=OFF >/dev/null
cmake --build build-deb --target uringd conf_manual >/dev/null
(cd build-deb && cpack -G DEB >/dev/null)
ls build-deb/uringd_*.deb
