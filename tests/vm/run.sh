#!/usr/bin/env bash
# kTLS on a real kernel: boots Debian's own kernel (which has tls.ko and ip_vs.ko)
# under qemu -accel tcg with a busybox initramfs holding uringd, curl, openssl,
# wrk, ip and ipvsadm, runs guest.sh inside (which runs the IPVS fleet, ipvs.sh,
# last), and passes only if every check there passed and the kernel's
# /proc/net/tls_stat shows it encrypted the traffic. The kernel package is cached
# in $URINGD_VM_CACHE (default ~/.cache/uringd-vm).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../support/certs.sh"
root=$(cd "$here/../.." && pwd)
bin=$(readlink -f "${URINGD_BIN:-$root/build/uringd}")
cache=${URINGD_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/uringd-vm}
work=$(mktemp -d /tmp/uringd-vm-XXXXXX)
[[ -n ${URINGD_VM_KEEP:-} ]] || trap 'rm -rf "$work"' EXIT
mkdir -p "$cache"

# 1. The kernel linux-image-amd64 points at, unpacked once.
pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
[[ -n $pkg ]] || { echo "vm: cannot resolve linux-image-amd64 (apt-get update?)"; exit 1; }
kver=${pkg#linux-image-}
if [[ ! -d $cache/$pkg ]]; then
  (cd "$cache" && rm -f "${pkg}"_*.deb && apt-get download "$pkg" >/dev/null 2>&1 && \
   dpkg -x "${pkg}"_*.deb "$pkg.tmp" && mv "$pkg.tmp" "$pkg" && rm -f "${pkg}"_*.deb)
fi
vmlinuz=$cache/$pkg/boot/vmlinuz-$kver
moddir=$cache/$pkg/lib/modules/$kver
[[ -f $vmlinuz && -f $moddir/kernel/net/tls/tls.ko ]] || { echo "vm: $pkg has no vmlinuz or tls.ko"; exit 1; }

# nginx for the side-by-side over kernel TLS: unpacked once, never installed (no
# service starts on this host).
if [[ ! -x $cache/nginx/usr/sbin/nginx ]]; then
  (cd "$cache" && rm -rf nginx_*.deb nginx.tmp && apt-get download nginx >/dev/null 2>&1 && \
   dpkg -x nginx_*.deb nginx.tmp && rm -rf nginx && mv nginx.tmp nginx && rm -f nginx_*.deb)
fi
[[ -x $cache/nginx/usr/sbin/nginx ]] || { echo "vm: cannot unpack Debian's nginx (apt-get update?)"; exit 1; }

# 2. The initramfs: busybox, the modules kTLS and its ciphers need, the programs
#    under test with their shared libraries, a site and a certificate.
r=$work/root
mkdir -p "$r"/{bin,sbin,etc,proc,sys,dev,tmp,www,lib/modules/$kver/kernel}
cp /bin/busybox "$r/bin/busybox"
for applet in $(/bin/busybox --list); do [[ $applet == busybox ]] || ln -sf busybox "$r/bin/$applet"; done
ln -sf ../bin/busybox "$r/sbin/modprobe"
for d in net/tls crypto arch/x86/crypto lib/crypto net/netfilter/ipvs; do
  [[ -d $moddir/kernel/$d ]] && mkdir -p "$r/lib/modules/$kver/kernel/$d" && cp -r "$moddir/kernel/$d/." "$r/lib/modules/$kver/kernel/$d/"
done
# The IPVS fleet (ipvs.sh): ip_vs and what it needs, and veth pairs between namespaces.
for m in net/netfilter/nf_conntrack net/ipv4/netfilter/nf_defrag_ipv4 net/ipv6/netfilter/nf_defrag_ipv6 \
         lib/libcrc32c drivers/net/veth; do
  mkdir -p "$r/lib/modules/$kver/kernel/$(dirname $m)" && cp "$moddir/kernel/$m.ko" "$r/lib/modules/$kver/kernel/$m.ko"
done
cp "$moddir"/modules.builtin* "$moddir"/modules.order "$r/lib/modules/$kver/" 2>/dev/null || true
depmod -b "$r" "$kver"

copy_with_libs() {
  local f=$1
  mkdir -p "$r$(dirname "$f")" && cp -L "$f" "$r$f"
  ldd "$f" | awk '/=> \//{print $3} /^\t\/lib/{print $1}' | while read -r lib; do
    [[ -e $r$lib ]] || { mkdir -p "$r$(dirname "$lib")"; cp -L "$lib" "$r$lib"; }
  done
}
copy_with_libs "$bin"
mv "$r$bin" "$r/bin/uringd"
probe=$(dirname "$bin")/tests/vm/ktls-probe
copy_with_libs "$probe" && mv "$r$probe" "$r/bin/ktls-probe"
copy_with_libs "$cache/nginx/usr/sbin/nginx" && mv "$r$cache/nginx/usr/sbin/nginx" "$r/bin/nginx"
mkdir -p "$r/var/lib/nginx" "$r/var/log/nginx"
echo 'root:x:0:0:root:/root:/bin/sh' > "$r/etc/passwd"; echo 'root:x:0:' > "$r/etc/group"  # nginx's `user`
copy_with_libs "$(command -v curl)"
copy_with_libs "$(command -v openssl)"
# iproute2's ip (busybox's has no netns), ipvsadm and wrk for the IPVS fleet.
for tool in ip ipvsadm wrk; do
  t=$(command -v $tool) || { echo "vm: $tool is missing (bash scripts/install-deps.sh test)"; exit 1; }
  t=$(readlink -f "$t"); copy_with_libs "$t"; mv "$r$t" "$r/sbin/$tool-full"
done
mv "$r/sbin/ipvsadm-full" "$r/sbin/ipvsadm"; mv "$r/sbin/wrk-full" "$r/bin/wrk"
cp "$root/bench/wrk_report.lua" "$r/wrk_report.lua"
mkdir -p "$r/usr/lib/ssl" && cp /usr/lib/ssl/openssl.cnf "$r/usr/lib/ssl/" 2>/dev/null || true
# OpenSSL loads its providers and curl its TLS backend by path at run time.
for d in /usr/lib/x86_64-linux-gnu/ossl-modules /usr/lib/x86_64-linux-gnu/engines-3; do
  [[ -d $d ]] && mkdir -p "$r$d" && cp -r "$d/." "$r$d/"
done

head -c 1048576 /dev/urandom > "$r/www/1m.bin"
head -c 16777216 /dev/urandom > "$r/www/16m.bin"
head -c 1024 /dev/urandom > "$r/www/1k.bin"
head -c 65536 /dev/urandom > "$r/www/64k.bin"  # above small_file_max, fits a registered buffer
: > "$r/www/empty.bin"
echo '<h1>ktls</h1>' > "$r/www/index.html"
(cd "$r/www" && sha256sum ./* > ../sums)
# One HTTP/2 request as raw bytes (preface, SETTINGS with a 1 GiB window, GET
# /1m.bin, GOAWAY) for openssl s_client, which counts the records the server sends.
/usr/bin/python3 "$here/../e2e/h2raw.py" --request /1m.bin > "$r/h2-get-1m.bin"
self_signed "$r/etc/cert.pem" "$r/etc/key.pem"
cat > "$r/etc/uringd.conf" <<CONF
[server]
workers = 2
allow_root = true
[[listen]]
address = "127.0.0.1:8443"
tls = true
[[site]]
root = "/www"
[tls]
certificate = "/etc/cert.pem"
key = "/etc/key.pem"
ktls = "required"
[log]
level = "debug"
CONF
# The same site with kernel TLS off: guest.sh compares the two for CPU per MiB.
sed -e 's/8443/8444/' -e 's/ktls = "required"/ktls = "off"/' -e 's/level = "debug"/level = "info"/' \
  "$r/etc/uringd.conf" > "$r/etc/uringd-userspace.conf"
# And with kernel TLS and large_body = "splice" (rounds through a pipe) instead of
# the default's sendfile.
sed -e 's/8443/8445/' -e 's/level = "debug"/level = "info"/' "$r/etc/uringd.conf" > "$r/etc/uringd-splice.conf"
printf '[io_uring]\nlarge_body = "splice"\n' >> "$r/etc/uringd-splice.conf"
# nginx as the bench runs it on kTLS hosts (bench/servers.py NginxKtls): OpenSSL
# hands the keys to the kernel, file bodies leave with SSL_sendfile. One process.
cat > "$r/etc/nginx-ktls.conf" <<CONF
daemon off;
master_process off;
user root;
pid /tmp/nginx.pid;
error_log /tmp/nginx-error.log info;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on; tcp_nopush on; tcp_nodelay on;
  default_type application/octet-stream;
  ssl_protocols TLSv1.2 TLSv1.3;
  ssl_certificate /etc/cert.pem; ssl_certificate_key /etc/key.pem;
  ssl_conf_command Options KTLS;
  server { listen 127.0.0.1:8446 ssl; root /www; }
}
CONF
cp "$here/guest.sh" "$here/ipvs.sh" "$r/"
cat > "$r/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev; mount -t tmpfs tmp /tmp
ip link set lo up
sh /guest.sh
echo o > /proc/sysrq-trigger
poweroff -f
INIT
chmod +x "$r/init" "$r/guest.sh" "$r/ipvs.sh"
(cd "$r" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > "$work/initrd.gz"

# 3. Boot (TCG: -enable-kvm hangs on these hosts) and read the verdict from ttyS0.
log=$work/serial.log
timeout 900 qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m 1536 -nographic -no-reboot \
  -kernel "$vmlinuz" -initrd "$work/initrd.gz" \
  -append "console=ttyS0 rdinit=/init panic=-1 loglevel=${URINGD_VM_LOGLEVEL:-3}" > "$log" 2>&1 || true
grep -aE '^URINGD-VM' "$log" | tr -d '\r' || true
if ! grep -aq '^URINGD-VM-RESULT: [0-9]* passed, 0 failed' "$log"; then
  echo "---- serial console (tail) ----"; tail -n 80 "$log" | tr -d '\r'
  echo "vm: kTLS test FAILED"; exit 1
fi
echo "vm: kTLS test passed on $pkg"
