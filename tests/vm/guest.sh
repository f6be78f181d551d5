#!/bin/sh
# Runs inside the VM (see run.sh). Every check prints one URINGD-VM line; the last
# line is the verdict the host parses.
pass=0 fail=0
ok() { echo "URINGD-VM: PASS $*"; pass=$((pass + 1)); }
bad() { echo "URINGD-VM: FAIL $*"; fail=$((fail + 1)); }
check() { name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; return 1; fi; }

for m in tls gcm ghash-generic ghash-clmulni-intel ctr aesni-intel chacha20poly1305 chacha-generic \
         chacha-x86_64 poly1305-generic poly1305-x86_64; do modprobe "$m" 2>/dev/null; done
check "tls module loaded" grep -q '^tls ' /proc/modules
ulimit -l unlimited
ulimit -n 65536

/bin/uringd -c /etc/uringd.conf > /tmp/uringd.log 2>&1 &
pid=$!
for i in $(seq 1 100); do grep -q 'ready:' /tmp/uringd.log && break; sleep 0.1; done
check "uringd started with ktls = required" grep -q 'kernel TLS for transmit' /tmp/uringd.log

C="curl -sS --max-time 120 --cacert /etc/cert.pem --resolve localhost:8443:127.0.0.1 --http1.1"
fetch_at() {  # $1 = port, $2 = file, rest = curl options; true when the body is exact
  p=$1 f=$2; shift 2
  $C --resolve "localhost:$p:127.0.0.1" "$@" -o /tmp/out "https://localhost:$p/$f" || return 1
  want=$(grep " ./$f\$" /sums | cut -d' ' -f1)
  got=$(sha256sum /tmp/out | cut -d' ' -f1)
  [ "$want" = "$got" ]
}
fetch_ok() { fetch_at 8443 "$@"; }
tls_tx() { awk '/^TlsTxSw /{print $2}' /proc/net/tls_stat; }
for s in TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384 TLS_CHACHA20_POLY1305_SHA256; do
  for f in empty.bin 1k.bin 64k.bin 1m.bin; do check "TLS 1.3 $s $f" fetch_ok $f --tlsv1.3 --tls13-ciphers $s; done
done
for c in ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-ECDSA-CHACHA20-POLY1305; do
  for f in 1k.bin 64k.bin 1m.bin; do check "TLS 1.2 $c $f" fetch_ok $f --tlsv1.2 --tls-max 1.2 --ciphers $c; done
done
check "16 MiB over TLS 1.3" fetch_ok 16m.bin --tlsv1.3
check "HEAD" sh -c "$C -I https://localhost:8443/16m.bin | grep -q 'Content-Length: 16777216'"
check "plain HTTP to the kTLS port gets a 400 that says so" sh -c \
  "curl -sS --max-time 20 http://127.0.0.1:8443/1k.bin | grep -q 'sent to an HTTPS port'"

urls=""  # curl reuses one connection for URLs on one command line; -o applies per URL
for i in $(seq 1 50); do urls="$urls -o /dev/null https://localhost:8443/1k.bin"; done
$C -w '%{http_code} %{num_connects}\n' $urls > /tmp/ka 2>&1
check "50 keep-alive requests on one connection" sh -c \
  "[ \$(grep -c '^200 ' /tmp/ka) = 50 ] && [ \$(awk '{s+=\$2} END {print s}' /tmp/ka) = 1 ]" ||
  head -3 /tmp/ka | sed 's/^/URINGD-VM: keep-alive output /'

resume() {  # $1 = -tls1_3 | -tls1_2
  req='GET /index.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
  printf "$req" | openssl s_client -connect 127.0.0.1:8443 -servername localhost -CAfile /etc/cert.pem \
    -ign_eof "$1" -sess_out /tmp/sess > /tmp/s1 2>&1 || return 1
  printf "$req" | openssl s_client -connect 127.0.0.1:8443 -servername localhost -CAfile /etc/cert.pem \
    -ign_eof "$1" -sess_in /tmp/sess -sess_out /tmp/sess2 > /tmp/s2 2>&1 || return 1
  grep -q '<h1>ktls</h1>' /tmp/s1 && grep -q '^Reused' /tmp/s2 && grep -q '<h1>ktls</h1>' /tmp/s2 || return 1
  [ "$1" = -tls1_3 ] || return 0
  # TLS 1.3 renews the ticket on resumption (a TLS 1.2 one stays as it was): the
  # ticket the resumed connection handed out resumes too.
  printf "$req" | openssl s_client -connect 127.0.0.1:8443 -servername localhost -CAfile /etc/cert.pem \
    -ign_eof "$1" -sess_in /tmp/sess2 > /tmp/s3 2>&1 || return 1
  grep -q '^Reused' /tmp/s3 && grep -q '<h1>ktls</h1>' /tmp/s3
}
check "resumption TLS 1.3 twice (tickets sent through the kernel)" resume -tls1_3
check "resumption TLS 1.2" resume -tls1_2

# HTTP/2 over kernel TLS: ALPN h2, bodies exact, and DATA frames sized so that one
# frame fills one TLS record (16 375 + 9 bytes): a 1 MiB body is 64 full records,
# not a small record per frame header.
tx_before=$(tls_tx)
H2="curl -sS --max-time 120 --cacert /etc/cert.pem --resolve localhost:8443:127.0.0.1 --http2"
check "HTTP/2 chosen by ALPN" sh -c "[ \"\$($H2 -o /dev/null -w '%{http_version}' https://localhost:8443/1k.bin)\" = 2 ]"
for s in TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384 TLS_CHACHA20_POLY1305_SHA256; do
  for f in empty.bin 1k.bin 1m.bin; do check "h2 TLS 1.3 $s $f" fetch_ok $f --http2 --tlsv1.3 --tls13-ciphers $s; done
done
check "h2 TLS 1.2 1m.bin" fetch_ok 1m.bin --http2 --tlsv1.2 --tls-max 1.2
check "h2 16 MiB" fetch_ok 16m.bin --http2
h2_records() {  # the records the server sends for /h2-get-1m.bin's request (a 1 MiB body)
  openssl s_client -connect 127.0.0.1:8443 -servername localhost -CAfile /etc/cert.pem -alpn h2 \
    -msg -msgfile /tmp/msgs -ign_eof -quiet -nocommands < /h2-get-1m.bin > /tmp/h2body 2>/dev/null
  grep -A1 '^<<< .*RecordHeader' /tmp/msgs | awk '/^ +17 03 03/ {print $4 $5}' > /tmp/h2recs
  full=$(grep -c '^4011$' /tmp/h2recs); all=$(wc -l < /tmp/h2recs)
  echo "URINGD-VM: h2 1 MiB: $all application-data records, $full of them full (16 KiB)"
  [ "$full" -ge 63 ] && [ "$all" -le 76 ] && [ "$(wc -c < /tmp/h2body)" -gt 1048576 ]
}
check "h2 DATA frames fill whole TLS records" h2_records
tx_after=$(tls_tx)
check "kernel encrypted the h2 connections (TlsTxSw $tx_before -> $tx_after)" [ "$tx_after" -gt "$tx_before" ]

cat /proc/net/tls_stat | sed 's/^/URINGD-VM: tls_stat /'
tx=$(tls_tx)
check "kernel encrypted the responses (TlsTxSw = $tx)" [ "${tx:-0}" -ge 20 ]
check "no kernel decrypt errors" sh -c "[ \$(awk '/^TlsDecryptError /{print \$2}' /proc/net/tls_stat) = 0 ]"
# What the kernel accepts on a kTLS socket (reported, not judged: see docs/tls.md).
/bin/ktls-probe 2>&1 | sed 's/^/URINGD-VM: probe /'
grep -c 'tx=kernel' /tmp/uringd.log | sed 's/^/URINGD-VM: handshakes with tx=kernel: /'
check "no handshake fell back to user space" sh -c "! grep -q 'tx=user' /tmp/uringd.log"

# Server CPU per MiB, kernel TLS against user-space TLS, same kernel, same emulated
# CPU, interleaved (reported, not judged: under TCG only the ratio means anything).
/bin/uringd -c /etc/uringd-userspace.conf > /tmp/uringd-user.log 2>&1 &
upid=$!
for i in $(seq 1 100); do grep -q 'ready:' /tmp/uringd-user.log && break; sleep 0.1; done
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
uptime_cs() { awk '{sub(/\./, "", $1); print $1}' /proc/uptime; }
cost() {  # $1 = server pid, $2 = port; 4 × 16 MiB; prints "ticks centiseconds"
  t0=$(ticks "$1"); w0=$(uptime_cs)
  for i in 1 2 3 4; do
    curl -sS --max-time 300 --cacert /etc/cert.pem --resolve "localhost:$2:127.0.0.1" -o /dev/null \
      "https://localhost:$2/16m.bin" || echo "URINGD-VM: cpu fetch from :$2 failed"
  done
  echo "$(($(ticks "$1") - t0)) $(($(uptime_cs) - w0))"
}
kt=0 kw=0 ut=0 uw=0
for round in 1 2; do
  set -- $(cost $pid 8443); kt=$((kt + $1)); kw=$((kw + $2))
  set -- $(cost $upid 8444); ut=$((ut + $1)); uw=$((uw + $2))
done
# 128 MiB each; a tick is 10 ms: ms per MiB = ticks × 10 / 128.
awk -v kt=$kt -v kw=$kw -v ut=$ut -v uw=$uw 'BEGIN {
  printf "URINGD-VM: cpu per MiB (128 MiB each, TCG): ktls %.2f ms, user-space TLS %.2f ms, ratio %.2f; wall %.1f s vs %.1f s\n",
    kt * 10 / 128, ut * 10 / 128, (ut ? kt / ut : 0), kw / 100, uw / 100 }'
check "both servers spent measurable CPU" sh -c "[ $kt -gt 0 ] && [ $ut -gt 0 ]"
# HTTP/2 framing over kernel TLS against HTTP/1.1's splice, same server (reported).
h2cost() {  # 4 × 16 MiB over h2; prints "ticks"
  t0=$(ticks "$pid")
  for i in 1 2 3 4; do
    $H2 -o /dev/null https://localhost:8443/16m.bin || echo "URINGD-VM: h2 cpu fetch failed"
  done
  echo "$(($(ticks "$pid") - t0))"
}
ht=0
for round in 1 2; do ht=$((ht + $(h2cost))); done
awk -v kt=$kt -v ht=$ht 'BEGIN {
  printf "URINGD-VM: cpu per MiB over kernel TLS (TCG): HTTP/1.1 %.2f ms, HTTP/2 %.2f ms, ratio %.2f\n",
    kt * 10 / 128, ht * 10 / 128, (kt ? ht / kt : 0) }'
kill -TERM $upid; wait $upid

# Another server over kernel TLS (uringd with large_body = "splice", and nginx as
# bench/run.sh runs it on kTLS hosts): bodies exact, the kernel encrypting them,
# and its CPU per MiB beside the default uringd's (reported: under TCG only the
# ratio means anything, and both pay the emulated AES).
serves_over_ktls() {  # $1 = label, $2 = port, $3 = pid, rest = files also fetched over TLS 1.3
  server=$1 port=$2 other=$3; shift 3
  before=$(tls_tx)
  for f in "$@" 1m.bin; do check "$server over kTLS: $f TLS 1.3" fetch_at $port $f --tlsv1.3; done
  check "$server over kTLS: 16m.bin TLS 1.2" fetch_at $port 16m.bin --tlsv1.2 --tls-max 1.2
  check "$server over kTLS: kernel encrypted ($before -> $(tls_tx))" [ "$(tls_tx)" -gt "$before" ]
  set -- $(cost $other $port)
  awk -v kt=$kt -v t=$1 -v name="$server" 'BEGIN {
    printf "URINGD-VM: cpu per MiB over kernel TLS (TCG): uringd default (sendfile) %.2f ms, %s %.2f ms, ratio %.2f\n",
      kt * 10 / 128, name, t * 10 / 64, (t ? (kt / 128) / (t / 64) : 0) }'
}

/bin/uringd -c /etc/uringd-splice.conf > /tmp/uringd-splice.log 2>&1 &
spid=$!
for i in $(seq 1 100); do grep -q 'ready:' /tmp/uringd-splice.log && break; sleep 0.1; done
serves_over_ktls splice 8445 $spid 64k.bin
kill -TERM $spid; wait $spid
check "splice server drained and exited 0" [ $? -eq 0 ]

# nginx with ssl_conf_command Options KTLS and sendfile: if the kernel did not
# encrypt its connections, the bench's nginx-ktls row would mean nothing.
/bin/nginx -c /etc/nginx-ktls.conf -e /tmp/nginx-error.log > /tmp/nginx.out 2>&1 &
npid=$!
for i in $(seq 1 100); do fetch_at 8446 1k.bin 2>/dev/null && break; sleep 0.1; done
serves_over_ktls nginx 8446 $npid
kill -TERM $npid; wait $npid
grep -iE 'ktls|emerg|alert' /tmp/nginx-error.log /tmp/nginx.out | head -3 | sed 's/^/URINGD-VM: nginx log /'

kill -TERM $pid; wait $pid
check "uringd drained and exited 0" [ $? -eq 0 ]
grep -E 'error|critical' /tmp/uringd.log | head -5 | sed 's/^/URINGD-VM: log /'
. /ipvs.sh
echo "URINGD-VM-RESULT: $pass passed, $fail failed"
