#!/usr/bin/env bash
# Installs the Debian 12 packages uringd needs, by purpose:
#   install-deps.sh run     what serving needs at run time
#   install-deps.sh build   run + what building the server needs (README command 1)
#   install-deps.sh test    build + every test tool (README command 2; the default)
# Idempotent: packages already present are left alone.
set -euo pipefail
purpose=${1:-test}

run=(
  media-types openssl   # /etc/mime.types; the sample site's certificate
  libnghttp2-14         # HTTP/2 framing and HPACK
)
build=(
  build-essential cmake ninja-build pkg-config
  liburing-dev libssl-dev libfmt-dev libspdlog-dev libtomlplusplus-dev
  libsystemd-dev node-llhttp libnghttp2-dev
)
test=(
  googletest libgtest-dev
  # the kTLS test boots Debian's kernel under qemu with a busybox initramfs
  curl python3 procps qemu-system-x86 busybox-static kmod cpio
  # the unit file is checked with systemd-analyze (which calls man for Documentation=)
  systemd man-db
  # reload under load
  wrk
  # the .deb is installed into a fresh root
  debootstrap
  # libFuzzer targets (clang's fuzzer runtime); the format and tidy checks
  clang libclang-rt-14-dev clang-format clang-tidy
  # slow and hostile clients, the TLS scan, the soak plot
  slowhttptest testssl.sh gnuplot-nox
  # a real certificate end to end: the ACME test server and client
  pebble lego
  # behind a real balancer: haproxy in TCP mode sending the PROXY protocol
  haproxy
  # the IPVS fleet inside the kTLS VM (Debian's kernel there has ip_vs.ko)
  ipvsadm
  # HTTP/2 clients: h2load and nghttp, and the raw-frame conformance suite's h2/hpack/hyperframe
  nghttp2-client python3-h2 python3-hyperframe python3-hpack
  # a real browser loading a page over HTTP/2
  chromium
)

case $purpose in
  run) packages=("${run[@]}") ;;
  build) packages=("${run[@]}" "${build[@]}") ;;
  test) packages=("${run[@]}" "${build[@]}" "${test[@]}") ;;
  *) echo "usage: install-deps.sh [run|build|test]" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]})); then
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  echo "install-deps ($purpose): installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps ($purpose): all packages present"
fi
