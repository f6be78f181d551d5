#!/usr/bin/env python3
"""Three uringd nodes behind Debian's haproxy, each in its own network namespace,
joined by veth pairs to the balancer's namespace; the client in a fourth. Only these
namespaces carry the traffic.

    client 10.77.100.2 ── 10.77.100.1 haproxy ── 10.77.N.1 ─ 10.77.N.2 uringd node N

haproxy: HTTP on :8080 (mode http, balance uri + hash-type consistent, so each node
keeps its own share of the page cache hot) and HTTPS on :8443 (mode tcp, TLS ends on
the nodes), both with send-proxy-v2 and health checks of each node's /healthz.

Checks: bodies sha256-exact over both; every node's access log shows the client
namespace's address; then, under wrk load over HTTP and HTTPS, one node killed with
SIGKILL, one stopped with SIGTERM, and a rolling reload of all three, counting failed
requests per event (target: 0 for SIGTERM and reload); and the fleet's req/s against
one node reached directly. Run as root: python3 tests/fleet/fleet.py [--out FILE]."""
import argparse
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from harness import BIN, make_cert, sha256_file  # noqa: E402

NODES = 3
PREFIX = f"ufl{os.getpid() % 10000}"
LB, CLIENT = f"{PREFIX}-lb", f"{PREFIX}-cl"
CLIENT_IP, FRONT_IP = "10.77.100.2", "10.77.100.1"
FILES = {"1k.bin": 1024, "64k.bin": 65536, "1m.bin": 1 << 20}


def sh(*cmd, check=True, **kw):
    return subprocess.run(cmd, check=check, capture_output=True, text=True, **kw)


def ns_exec(ns, *cmd):
    return ["ip", "netns", "exec", ns, *cmd]


def node_ns(i):
    return f"{PREFIX}-n{i}"


def node_ip(i):
    return f"10.77.{i}.2"


class Fleet:
    def __init__(self, work):
        self.work = work
        self.nodes = {}  # i -> Popen
        self.haproxy = None
        self.namespaces = []

    # -- network -------------------------------------------------------------------
    def link(self, a, a_ip, b, b_ip, name):
        sh("ip", "link", "add", f"{name}a", "type", "veth", "peer", "name", f"{name}b")
        sh("ip", "link", "set", f"{name}a", "netns", a)
        sh("ip", "link", "set", f"{name}b", "netns", b)
        for ns, dev, ip in ((a, f"{name}a", a_ip), (b, f"{name}b", b_ip)):
            sh(*ns_exec(ns, "ip", "addr", "add", f"{ip}/24", "dev", dev))
            sh(*ns_exec(ns, "ip", "link", "set", dev, "up"))

    def build_network(self):
        for ns in [LB, CLIENT] + [node_ns(i) for i in range(1, NODES + 1)]:
            sh("ip", "netns", "add", ns)
            self.namespaces.append(ns)
            sh(*ns_exec(ns, "ip", "link", "set", "lo", "up"))
        self.link(CLIENT, CLIENT_IP, LB, FRONT_IP, f"{PREFIX}c")
        for i in range(1, NODES + 1):
            self.link(LB, f"10.77.{i}.1", node_ns(i), node_ip(i), f"{PREFIX}{i}")

    # -- nodes ---------------------------------------------------------------------
    def write_site(self):
        self.root = os.path.join(self.work, "www")
        os.makedirs(self.root)
        for name, size in FILES.items():
            with open(os.path.join(self.root, name), "wb") as f:
                f.write(os.urandom(size))
        self.cert, self.key = make_cert(self.work, "fleet.test")

    def node_conf(self, i):
        d = os.path.join(self.work, f"n{i}")
        os.makedirs(d, exist_ok=True)
        conf = os.path.join(d, "uringd.conf")
        balancer = f"10.77.{i}.1"
        with open(conf, "w") as f:
            f.write(f"""[server]
allow_root = true
workers = 1
[[listen]]
address = "{node_ip(i)}:80"
proxy_protocol = true
proxy_from = ["{balancer}"]
[[listen]]
address = "{node_ip(i)}:443"
tls = true
proxy_protocol = true
proxy_from = ["{balancer}"]
[[listen]]
address = "{node_ip(i)}:8080"
[[site]]
root = "{self.root}"
access_log = "{d}/access.log"
[tls]
certificate = "{self.cert}"
key = "{self.key}"
[limits]
drain_delay_ms = 1500
drain_timeout_ms = 10000
[admin]
enabled = true
address = "{node_ip(i)}:9000"
[log]
level = "info"
""")
        return conf

    def start_node(self, i):
        conf = self.node_conf(i)
        log = open(os.path.join(self.work, f"n{i}", "uringd.log"), "a")
        p = subprocess.Popen(ns_exec(node_ns(i), BIN, "-c", conf), stdout=log, stderr=subprocess.STDOUT)
        self.nodes[i] = p
        self.wait_port(node_ns(i), node_ip(i), 9000)

    def wait_port(self, ns, ip, port, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if sh(*ns_exec(ns, "bash", "-c", f"exec 3<>/dev/tcp/{ip}/{port}"), check=False).returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError(f"{ip}:{port} in {ns} did not open")

    # -- balancer ------------------------------------------------------------------
    def start_haproxy(self):
        servers = "\n".join(f"  server n{i} {node_ip(i)}:{{port}} send-proxy-v2 check port 9000 inter 300 "
                            f"fall 2 rise 2" for i in range(1, NODES + 1))
        cfg = os.path.join(self.work, "haproxy.cfg")
        with open(cfg, "w") as f:
            f.write(f"""global
  maxconn 4000
defaults
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  retries 3
  option redispatch
frontend http
  mode http
  bind {FRONT_IP}:8080
  default_backend http_nodes
frontend https
  mode tcp
  bind {FRONT_IP}:8443
  default_backend tls_nodes
backend http_nodes
  mode http
  balance uri
  hash-type consistent
  retry-on conn-failure empty-response response-timeout 503
  option httpchk GET /healthz
  http-check expect status 200
{servers.format(port=80)}
backend tls_nodes
  mode tcp
  balance roundrobin
  option httpchk GET /healthz
  http-check expect status 200
{servers.format(port=443)}
""")
        self.haproxy = subprocess.Popen(ns_exec(LB, "haproxy", "-db", "-f", cfg),
                                        stdout=open(os.path.join(self.work, "haproxy.log"), "w"),
                                        stderr=subprocess.STDOUT)
        self.wait_port(LB, FRONT_IP, 8080)
        time.sleep(1.5)  # health checks: every node up (rise 2 × 300 ms)

    # -- clients -------------------------------------------------------------------
    def curl(self, url, *args):
        return subprocess.run(ns_exec(CLIENT, "curl", "-sS", "--cacert", self.cert, "--resolve",
                                      f"fleet.test:8443:{FRONT_IP}", *args, url), capture_output=True, timeout=30)

    def wrk(self, url, seconds, conns=32, during=None):
        """wrk from the client namespace; `during(t0)` runs while it does. Returns
        (requests, failures, req/s)."""
        lua = os.path.join(HERE, "..", "..", "bench", "wrk_report.lua")
        cmd = ns_exec(CLIENT, "wrk", "-t", "1", "-c", str(conns), "-d", f"{seconds}s", "--timeout", "5s",
                      "-s", lua, url)
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if during:
            during()
        out, _ = p.communicate(timeout=seconds + 60)
        m = re.search(r"RESULT (.*)", out)
        if not m:
            raise RuntimeError(f"wrk: {out[-500:]}")
        r = {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
        return r["requests"], r["errors"] + r["non2xx"], r["requests"] / (r["duration_us"] / 1e6)

    def stop(self):
        for p in list(self.nodes.values()) + [self.haproxy]:
            if p and p.poll() is None:
                p.kill()
                p.wait()
        for ns in self.namespaces:
            sh("ip", "netns", "del", ns, check=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", help="write the report (Markdown) here too")
    ap.add_argument("--seconds", type=int, default=4, help="wrk run per event")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("fleet: needs root (network namespaces)", file=sys.stderr)
        return 2
    for tool in ("haproxy", "wrk", "curl", "ip"):
        if not shutil.which(tool):
            print(f"fleet: {tool} is missing (bash scripts/install-deps.sh test)", file=sys.stderr)
            return 2
    work = tempfile.mkdtemp(prefix="uringd-fleet-")
    fleet = Fleet(work)
    report, ok = [], True
    try:
        fleet.build_network()
        fleet.write_site()
        for i in range(1, NODES + 1):
            fleet.start_node(i)
        fleet.start_haproxy()

        # Bodies exact over both protocols, spread over the nodes by URI.
        for name in FILES:
            want = sha256_file(os.path.join(fleet.root, name))
            for url in (f"http://{FRONT_IP}:8080/{name}", f"https://fleet.test:8443/{name}"):
                for q in range(4):
                    r = fleet.curl(f"{url}?n={q}")
                    got = hashlib.sha256(r.stdout).hexdigest()
                    if r.returncode != 0 or got != want:
                        ok = False
                        report.append(f"- FAIL body {url}?n={q}: curl {r.returncode}, sha256 {got[:12]}")
        # Every node that served logged the client namespace's address, and only it.
        served = 0
        for i in range(1, NODES + 1):
            path = os.path.join(work, f"n{i}", "access.log")
            lines = open(path).read().splitlines() if os.path.exists(path) else []
            served += bool(lines)
            wrong = [line for line in lines if not line.startswith(CLIENT_IP + " ")]
            if wrong:
                ok = False
                report.append(f"- FAIL node {i} logged another address: {wrong[0]}")
        report.append(f"- bodies sha256-exact over HTTP and HTTPS; {served} of {NODES} nodes served, every "
                      f"access-log line shows the client address {CLIENT_IP}")
        if served < 2:
            ok = False
            report.append("- FAIL the URIs did not spread over the nodes")

        http_url = f"http://{FRONT_IP}:8080/1k.bin"

        def event(name, action, target_zero):
            nonlocal ok
            results = []
            def during():
                time.sleep(1)
                action()
            # wrk cannot --resolve: the HTTPS run names the balancer by address.
            for url in (http_url, f"https://{FRONT_IP}:8443/1k.bin"):
                n, failed, _ = fleet.wrk(url, args.seconds, during=during)
                results.append((url.split(":")[0], n, failed))
                time.sleep(2.5)  # the node is back (restarted below) and marked up again
            text = ", ".join(f"{proto} {failed} of {n} failed" for proto, n, failed in results)
            report.append(f"- {name}: {text}")
            if target_zero and any(f for _, _, f in results):
                ok = False
                report.append(f"  FAIL: the target for {name} is zero failed requests")

        def kill_node():
            fleet.nodes[1].send_signal(signal.SIGKILL)
            fleet.nodes[1].wait()
            time.sleep(0.5)
            fleet.start_node(1)

        def term_node():
            fleet.nodes[2].send_signal(signal.SIGTERM)
            fleet.nodes[2].wait(30)
            fleet.start_node(2)

        def rolling_reload():
            for i in range(1, NODES + 1):
                fleet.nodes[i].send_signal(signal.SIGHUP)
                time.sleep(0.5)

        n, failed, _ = fleet.wrk(http_url, args.seconds)
        report.append(f"- steady load: HTTP {failed} of {n} failed")
        ok &= failed == 0
        event("SIGKILL of node 1 under load (then restarted)", kill_node, False)
        event("SIGTERM of node 2 under load (drain_delay_ms 1500, then restarted)", term_node, True)
        event("rolling reload (SIGHUP) of all three under load", rolling_reload, True)

        # Throughput: the fleet against one node reached directly (its plain
        # listener), from the same client namespace, on the same machine.
        _, _, fleet_rps = fleet.wrk(http_url, args.seconds, conns=64)
        direct = ns_exec(LB, "wrk", "-t", "1", "-c", "64", "-d", f"{args.seconds}s", "-s",
                         os.path.join(HERE, "..", "..", "bench", "wrk_report.lua"), f"http://{node_ip(3)}:8080/1k.bin")
        out = subprocess.run(direct, capture_output=True, text=True, timeout=args.seconds + 60).stdout
        m = re.search(r"requests=(\d+) bytes=\d+ duration_us=(\d+)", out)
        one_rps = int(m.group(1)) / (int(m.group(2)) / 1e6) if m else 0
        report.append(f"- throughput, 1 KiB over HTTP, 64 connections: fleet {fleet_rps:.0f} req/s, one node "
                      f"directly {one_rps:.0f} req/s (ratio {fleet_rps / one_rps if one_rps else 0:.2f}; all of it "
                      "shares this machine's cores, so the balancer's cost shows, not the fleet's capacity)")
    except Exception:
        ok = False
        raise
    finally:
        fleet.stop()
        logs = os.path.join(work, "haproxy.log")
        if not ok and os.path.exists(logs):
            print("---- haproxy ----\n" + open(logs).read()[-3000:])
        shutil.rmtree(work, True)
    text = "# Fleet behind haproxy\n\n" + "\n".join(report) + f"\n\nResult: {'PASS' if ok else 'FAIL'}\n"
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
