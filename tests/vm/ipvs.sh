#!/bin/sh
# Sourced by guest.sh inside the VM (Debian's kernel has ip_vs.ko; the development
# kernel has no IPVS): three uringd nodes behind IPVS in NAT mode, each in its own
# network namespace, the client in a fourth, the director in the VM's root namespace.
#
#   client 10.78.0.2 ── 10.78.0.1 director (IPVS) ── 10.78.N.1 ─ 10.78.N.2 node N
#
# IPVS has no health checks of its own: the loop below does what keepalived's
# HTTP_GET checker with inhibit_on_failure does, polling each node's /healthz and
# setting its weight to 0 (no new connections, the open ones go on) when it is not
# 200. The checks match tests/fleet/fleet.py's: bodies exact over HTTP and HTTPS
# (kernel TLS on the nodes), the client's own address in every access log, and
# failed requests under wrk when a node is killed, stopped and reloaded.
IP=/sbin/ip-full
VIP=10.78.0.1 CLIENT_IP=10.78.0.2

for m in veth ip_vs ip_vs_mh; do modprobe "$m" 2>/dev/null; done
check "ip_vs module loaded" grep -q '^ip_vs ' /proc/modules

in_ns() { ns=$1; shift; $IP netns exec "$ns" "$@"; }
veth() {  # $1 = ns, $2 = our end's address, $3 = theirs, $4 = name
  $IP link add "$4a" type veth peer name "$4b"
  $IP link set "$4b" netns "$1"
  $IP addr add "$2/24" dev "$4a" && $IP link set "$4a" up
  in_ns "$1" $IP addr add "$3/24" dev "$4b"
  in_ns "$1" $IP link set "$4b" up
  in_ns "$1" $IP link set lo up
  in_ns "$1" $IP route add default via "$2"
}
mkdir -p /run/netns /var/run
for ns in cl n1 n2 n3; do $IP netns add $ns; done
veth cl $VIP $CLIENT_IP vc
for i in 1 2 3; do veth n$i 10.78.$i.1 10.78.$i.2 v$i; done
echo 1 > /proc/sys/net/ipv4/ip_forward
# A node that is gone: its connection entries expire at once, so a client's reused
# port is scheduled anew instead of following the entry to the dead node.
echo 1 > /proc/sys/net/ipv4/vs/expire_nodest_conn

node_conf() {  # $1 = node number
  cat <<CONF
[server]
workers = 1
allow_root = true
[[listen]]
address = "10.78.$1.2:80"
[[listen]]
address = "10.78.$1.2:443"
tls = true
[[site]]
root = "/www"
access_log = "/tmp/n$1-access.log"
[tls]
certificate = "/etc/cert.pem"
key = "/etc/key.pem"
ktls = "required"
[limits]
# Longer than fleet.py's 1500: the checker below runs under TCG.
drain_delay_ms = 3000
drain_timeout_ms = 10000
[admin]
enabled = true
address = "10.78.$1.2:9000"
CONF
}
start_node() {  # $1 = node number; sets node_pid_N
  node_conf "$1" > "/etc/node$1.conf"
  # Not through in_ns: a function in the background is a subshell, and $! its pid.
  $IP netns exec "n$1" /bin/uringd -c "/etc/node$1.conf" >> "/tmp/n$1.log" 2>&1 &
  eval "node_pid_$1=$!"
  for t in $(seq 1 100); do
    curl -s -o /dev/null --max-time 1 "http://10.78.$1.2:9000/healthz" && return 0
    sleep 0.1
  done
  echo "URINGD-VM: node $1 did not start"; tail -5 "/tmp/n$1.log" | sed 's/^/URINGD-VM: node log /'
}
for i in 1 2 3; do start_node $i; done

# Maglev hashing over address and port (so one client's connections spread), with
# fallback to the next node when the chosen one has weight 0.
for port in 80 443; do
  ipvsadm -A -t $VIP:$port -s mh -b mh-port,mh-fallback
  for i in 1 2 3; do ipvsadm -a -t $VIP:$port -r 10.78.$i.2:$port -m -w 1; done
done
check "IPVS services configured" sh -c "[ \$(ipvsadm -Ln | grep -c Masq) = 6 ]"

: > /tmp/ipvs-checking
health_loop() {
  while [ -f /tmp/ipvs-checking ]; do
    for i in 1 2 3; do
      code=$(curl -s -o /dev/null --max-time 1 -w '%{http_code}' "http://10.78.$i.2:9000/healthz")
      w=0; [ "$code" = 200 ] && w=1
      [ "$w" = "$(cat /tmp/weight$i 2>/dev/null)" ] && continue
      for port in 80 443; do ipvsadm -e -t $VIP:$port -r 10.78.$i.2:$port -m -w $w; done
      echo $w > /tmp/weight$i
      echo "URINGD-VM: ipvs checker: node $i /healthz $code, weight $w"
    done
    sleep 0.2
  done
}
health_loop &
checker=$!

fleet_fetch_ok() {  # $1 = scheme://authority, $2 = file
  in_ns cl curl -sS --max-time 60 --cacert /etc/cert.pem --resolve localhost:443:$VIP \
    -o /tmp/fleet-out "$1/$2" || return 1
  [ "$(grep " ./$2\$" /sums | cut -d' ' -f1)" = "$(sha256sum /tmp/fleet-out | cut -d' ' -f1)" ]
}
for f in 1k.bin 1m.bin; do
  for q in 1 2 3 4; do
    check "ipvs HTTP $f ($q)" fleet_fetch_ok http://$VIP $f
    check "ipvs HTTPS $f ($q)" fleet_fetch_ok https://localhost $f
  done
done
served=0 wrong=0
for i in 1 2 3; do
  [ -s /tmp/n$i-access.log ] && served=$((served + 1))
  other=$(grep -vc "^$CLIENT_IP " /tmp/n$i-access.log 2>/dev/null)
  wrong=$((wrong + ${other:-0}))
done
check "ipvs spread the requests ($served of 3 nodes served)" [ $served -ge 2 ]
check "every node logged the client's own address $CLIENT_IP ($wrong other lines)" [ $wrong = 0 ]
check "ipvs nodes sent with kernel TLS" sh -c "! grep -q 'tx=user' /tmp/n1.log /tmp/n2.log /tmp/n3.log"

# wrk from the client namespace in the background, the event in this shell (it
# restarts nodes, whose pids this shell keeps); prints "requests failed".
fleet_event() {  # $1 = name, $2 = action, $3 = "zero" when the target is no failures
  for url in http://$VIP:80/1k.bin https://$VIP:443/1k.bin; do
    $IP netns exec cl wrk -t 1 -c 8 -d 4s --timeout 5s -s /wrk_report.lua "$url" > /tmp/wrk.out 2>&1 &
    load=$!
    sleep 1
    $2
    wait $load
    got=$(awk '/^RESULT/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); r[kv[1]] = kv[2] }
                           print r["requests"], r["errors"] + r["non2xx"] }' /tmp/wrk.out)
    n=${got% *} failed=${got#* }
    proto=${url%%:*}
    echo "URINGD-VM: ipvs event: $1, $proto: ${failed:-?} of ${n:-?} failed"
    check "ipvs $1 over $proto: the load ran" [ "${n:-0}" -gt 0 ] || tail -3 /tmp/wrk.out | sed 's/^/URINGD-VM: wrk /'
    [ "$3" = zero ] && check "ipvs $1 over $proto: no failed request" [ "${failed:-1}" = 0 ]
    sleep 1.5  # a restarted node is checked and back in
  done
}
kill_node1() { kill -KILL $node_pid_1; wait $node_pid_1; sleep 0.5; start_node 1; }
term_node2() { kill -TERM $node_pid_2; wait $node_pid_2; start_node 2; }
reload_all() { for i in 1 2 3; do eval "kill -HUP \$node_pid_$i"; sleep 0.5; done; }
fleet_event "steady load" true zero
fleet_event "SIGKILL of node 1, restarted" kill_node1 any
fleet_event "SIGTERM of node 2, restarted" term_node2 zero
fleet_event "rolling reload of all three" reload_all zero

rm -f /tmp/ipvs-checking
wait $checker
ipvsadm -Ln --stats | sed 's/^/URINGD-VM: ipvs stats /'
for i in 1 2 3; do eval "kill -TERM \$node_pid_$i; wait \$node_pid_$i"; done
