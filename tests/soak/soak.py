#!/usr/bin/env python3
"""Soak: mixed load for SECONDS against one uringd — HTTP and HTTPS, every size,
keep-alive and a new connection per request (wrk), plus clients that reset mid-body —
with the server's RSS and descriptor count sampled every INTERVAL seconds.

Passes when, after warm-up (the first quarter), RSS (its own memory: without the file
pages it maps to send) stays within 10 % (or 8 MiB) of
its level at the end of warm-up and descriptors come back to the idle baseline;
wrk saw no socket errors and no status other than 200/301/404 (the mix asks for those).
Writes soak.csv and, with gnuplot, soak.png into OUT."""
import argparse
import os
import random
import re
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from harness import Server, curl, free_port, parse_metrics  # noqa: E402

ADMIN = free_port()


def rss_kib(pid):
    """The process's own resident memory: VmRSS without RssFile. uringd maps the large
    files it sends (large_body = "mmap"); those pages are the page cache, shared and
    reclaimable, and would show here as growth that is no leak."""
    with open(f"/proc/{pid}/status") as f:
        fields = {line.split(":")[0]: int(line.split()[1]) for line in f if line.startswith(("VmRSS:", "RssFile:"))}
    return fields["VmRSS"] - fields.get("RssFile", 0)


def fds(server):
    """(all, sockets and other descriptors that are neither pipes nor cached files)."""
    total = other = 0
    for fd in os.listdir(f"/proc/{server.pid}/fd"):
        try:
            target = os.readlink(f"/proc/{server.pid}/fd/{fd}")
        except FileNotFoundError:
            continue
        total += 1
        other += not target.startswith("pipe:") and not target.startswith(server.root + "/")
    return total, other


def wrk(url, seconds, conns, close, cert_env):
    env = {**os.environ, "SOAK_CLOSE": "1" if close else "0", **cert_env}
    return subprocess.Popen(["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--timeout", "30s",
                             "-s", os.path.join(HERE, "mixed.lua"), url],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)


def wrk_errors(out):
    """(unexpected statuses, socket errors) from wrk's summary."""
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    sock = sum(map(int, m.groups())) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return int(m.group(1)) if m else 0, sock


class Resetters(threading.Thread):
    """Clients that ask for a large file, read a little, and reset the connection."""

    def __init__(self, server):
        super().__init__(daemon=True)
        self.server, self.stop, self.count = server, threading.Event(), 0
        self.ctx = ssl.create_default_context(cafile=server.cert)

    def run(self):
        while not self.stop.wait(0.05):
            tls = random.random() < 0.5
            try:
                raw = socket.create_connection(("127.0.0.1", self.server.tls_port if tls else self.server.port), 5)
                s = self.ctx.wrap_socket(raw, server_hostname="localhost") if tls else raw
                s.sendall(b"GET /64m.bin HTTP/1.1\r\nHost: localhost\r\n\r\n")
                s.recv(random.choice((100, 16384, 65536)))
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.close()
                self.count += 1
            except OSError:
                pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=600)
    ap.add_argument("--interval", type=float, default=10)
    ap.add_argument("--out", default="build/soak")
    ap.add_argument("--plot-only", action="store_true", help="redraw soak.png from OUT/soak.csv")
    args = ap.parse_args()
    if args.plot_only:
        return plot(args.out)
    os.makedirs(args.out, exist_ok=True)

    server = Server(f'[cache]\nvalid_ms = 500\n[admin]\nenabled = true\naddress = "127.0.0.1:{ADMIN}"\n')
    server.start()
    try:
        return run(server, args)
    finally:
        if server.stop() != 0:
            print(server.read_log()[-3000:])
        server.cleanup()


def run(server, args):
    # wrk's HTTPS client trusts the system store; point OpenSSL at the test certificate.
    cert_env = {"SSL_CERT_FILE": server.cert}
    idle_fds, idle_other = fds(server)
    rss0 = rss_kib(server.pid)
    runs = [wrk(server.url("/"), args.seconds, 16, False, cert_env),
            wrk(f"https://localhost:{server.tls_port}/".replace("localhost", "127.0.0.1"), args.seconds, 16, False,
                cert_env),
            wrk(server.url("/"), args.seconds, 4, True, cert_env),
            wrk(f"https://127.0.0.1:{server.tls_port}/", args.seconds, 4, True, cert_env)]
    resetters = Resetters(server)
    resetters.start()
    samples = [(0.0, rss0, idle_fds)]
    t0 = time.monotonic()
    while any(p.poll() is None for p in runs):
        time.sleep(min(args.interval, max(0.1, t0 + len(samples) * args.interval - time.monotonic())))
        samples.append((time.monotonic() - t0, rss_kib(server.pid), fds(server)[0]))
    resetters.stop.set()
    resetters.join()
    outputs = [p.communicate()[0] for p in runs]
    time.sleep(3)  # lingering closes finish
    settled_fds, settled_other = fds(server)
    time.sleep(0.5)
    codes = {}
    for (name, labels), v in parse_metrics(curl(f"http://127.0.0.1:{ADMIN}/metrics").stdout.decode()).items():
        if name == "uringd_requests_total" and v:
            code = dict(labels)["code"]
            codes[code] = codes.get(code, 0) + int(v)

    with open(os.path.join(args.out, "soak.csv"), "w") as f:
        f.write("seconds,rss_kib,fds\n")
        for t, r, n in samples:
            f.write(f"{t:.1f},{r},{n}\n")
    plot(args.out)

    names = ["http keep-alive", "https keep-alive", "http new conn", "https new conn"]
    problems = []
    total = 0
    for name, out in zip(names, outputs):
        m = re.search(r"(\d+) requests in", out)
        total += int(m.group(1)) if m else 0
        bad_status, sock = wrk_errors(out)
        reqs = m.group(1) if m else "?"
        print(f"  {name}: {reqs} requests, {bad_status} non-2xx/3xx, {sock} socket errors")
        if not m:
            problems.append(f"{name}: wrk failed:\n{out}")
        if sock:
            problems.append(f"{name}: {sock} socket errors")
    # 404s are in the mix (/missing): wrk counts them as non-2xx. The server's own
    # counters must show nothing else.
    print(f"  responses by status: {codes}")
    if set(codes) - {"200", "301", "404"}:
        problems.append(f"unexpected statuses: {codes}")
    log = server.read_log()
    for bad in ("error", "critical", "AddressSanitizer"):
        if f" {bad} " in log:
            problems.append(f"server log has '{bad}' lines")
    warm = samples[max(1, len(samples) // 4)][1]
    peak_after = max(r for _, r, _ in samples[len(samples) // 4:])
    growth = peak_after - warm
    print(f"soak {args.seconds} s: {total} requests, {resetters.count} resets; RSS {rss0} KiB idle, "
          f"{warm} KiB after warm-up, peak after warm-up {peak_after} KiB (+{growth} KiB); "
          f"descriptors {idle_fds} idle, peak {max(n for _, _, n in samples)}, {settled_fds} after "
          f"(not counting pipes and cached files: {idle_other} idle, {settled_other} after)")
    if growth > max(8192, warm // 10):
        problems.append(f"RSS grew {growth} KiB after warm-up")
    # The pipe pool (one per concurrent splice) and the open-file cache are bounded
    # pools that stay; anything else must be back to its idle count.
    if settled_other > idle_other:
        problems.append(f"descriptors: {settled_other} after the load, {idle_other} before")
    for p in problems:
        print("PROBLEM", p)
    return 1 if problems else 0


def plot(out):
    script = f"""
set terminal pngcairo size 900,420
set output '{out}/soak.png'
set datafile separator ','
set key outside bottom center horizontal
set xlabel 'seconds'
set ylabel 'RSS (MiB)'
set y2label 'open descriptors'
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:*]
set title 'uringd soak: mixed HTTP/HTTPS load, resets'
plot '{out}/soak.csv' using 1:($2/1024) with lines lw 2 title 'RSS (MiB)', \\
     '' using 1:3 axes x1y2 with lines lw 2 title 'descriptors'
"""
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"no plot: {e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
