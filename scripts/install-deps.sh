#!/usr/bin/env bash
# Installs every Debian 12 package uringd needs to build, test and run.
# Idempotent: packages already present are left alone.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config
  liburing-dev libssl-dev libfmt-dev libspdlog-dev libtomlplusplus-dev
  libsystemd-dev node-llhttp googletest libgtest-dev
  # run
  media-types
  # test (the kTLS test boots Debian's kernel under qemu with a busybox initramfs)
  curl openssl python3 procps qemu-system-x86 busybox-static kmod cpio
  # test: the unit file is checked with systemd-analyze (which calls man for Documentation=)
  systemd man-db
  # test: reload under load
  wrk
  # test: the .deb is installed into a fresh root
  debootstrap
  # test: libFuzzer targets (clang's fuzzer runtime)
  clang libclang-rt-14-dev
  # test: slow and hostile clients, the TLS scan, the soak plot
  slowhttptest testssl.sh gnuplot-nox
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]})); then
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all packages present"
fi
