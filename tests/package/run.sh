#!/usr/bin/env bash
# The .deb installs into a fresh Debian 12 root (debootstrap minbase, cached as a
# tarball in $URINGD_PKG_CACHE, default ~/.cache/uringd-pkg) with apt resolving its
# dependencies; then `uringd -t` passes there, the uringd system user exists, the
# service was not enabled, and the installed server answers (started as root in the
# chroot, it drops to the uringd user).
set -euo pipefail
root_dir=$(cd "$(dirname "$0")/../.." && pwd)
cache=${URINGD_PKG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/uringd-pkg}
mkdir -p "$cache"
command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
deb=$(bash "$root_dir/scripts/package.sh" | tail -1)
deb=$root_dir/$deb
if [[ ! -f $cache/bookworm-minbase.tar ]]; then
  tmp=$(mktemp -d /tmp/uringd-debootstrap-XXXXXX)
  debootstrap --variant=minbase bookworm "$tmp" http://deb.debian.org/debian >/dev/null
  tar -C "$tmp" -cf "$cache/bookworm-minbase.tar.part" . && mv "$cache/bookworm-minbase.tar.part" "$cache/bookworm-minbase.tar"
  rm -rf "$tmp"
fi
r=$(mktemp -d /tmp/uringd-pkgroot-XXXXXX)
pid=""
cleanup() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  umount "$r/proc" 2>/dev/null || true
  rm -rf "$r"
}
trap cleanup EXIT
tar -C "$r" -xf "$cache/bookworm-minbase.tar"
mount -t proc proc "$r/proc"
cp "$deb" "$r/tmp/uringd.deb"
{ chroot "$r" apt-get update -qq && DEBIAN_FRONTEND=noninteractive chroot "$r" apt-get install -y -qq /tmp/uringd.deb; } \
  > "$r/tmp/apt.log" 2>&1 || { cat "$r/tmp/apt.log"; echo "package: apt could not install it"; exit 1; }
chroot "$r" dpkg -s uringd | grep -q '^Status: install ok installed'
echo "package: installed with its dependencies"
chroot "$r" uringd -t -c /etc/uringd/uringd.conf
chroot "$r" getent passwd uringd >/dev/null && echo "package: system user uringd exists"
[[ ! -e $r/etc/systemd/system/multi-user.target.wants/uringd.service ]] && echo "package: service not enabled"
[[ $(stat -c %a "$r/etc/uringd/key.pem") == 640 ]]
# What a Debian admin looks for: both manual pages, the docs, the ACME hook, sites.d.
for f in usr/share/man/man8/uringd.8 usr/share/man/man5/uringd.conf.5 usr/share/doc/uringd/certificates.md \
         usr/share/uringd/acme-deploy-hook.sh etc/uringd/sites.d; do
  [[ -e $r/$f ]] || { echo "package: /$f is missing"; exit 1; }
done
grep -q '^\.B header_timeout_ms' "$r/usr/share/man/man5/uringd.conf.5"
echo "package: man pages (uringd(8), uringd.conf(5)), docs, ACME hook and sites.d installed"
chroot "$r" /usr/sbin/uringd -c /etc/uringd/uringd.conf > "$r/tmp/uringd.log" 2>&1 &
pid=$!
for _ in $(seq 1 50); do grep -q 'ready:' "$r/tmp/uringd.log" && break; sleep 0.1; done
body=$(curl -sS --max-time 5 http://127.0.0.1:8080/)
grep -q 'uringd is installed' <<<"$body" || { cat "$r/tmp/uringd.log"; echo "package: no answer"; exit 1; }
curl -sSk --max-time 5 https://127.0.0.1:8443/ | grep -q 'uringd is installed'
grep -q 'running as user uringd' "$r/tmp/uringd.log"
echo "package: the installed server answers over HTTP and HTTPS as user uringd"
kill -TERM "$pid"
wait "$pid"
pid=""
echo "package: OK ($(basename "$deb"))"
