#!/usr/bin/env python3
"""uringd vs nginx, h2o and lighttpd: the same docroot, certificate and TLS suite;
every workload run for every server in turn (A B C D A B C D ...) over several
rounds; medians with min-max; the server's own CPU and syscalls per request."""
import argparse
import datetime
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "support"))
import certs  # noqa: E402  (the self-signed certificate, as the tests make it)
import measure  # noqa: E402
import mix  # noqa: E402
import report  # noqa: E402
import servers as servers_mod  # noqa: E402
from servers import ALL_PEERS, ALL_VARIANTS, CPUS, KTLS_PEERS, KTLS_VARIANTS, PEERS, VARIANTS, Uringd  # noqa: E402

SIZES = {"1k": 1024, "16k": 16384, "64k": 65536, "1m": 1 << 20, "64m": 64 << 20}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_site(work):
    site = os.path.join(work, "www")
    os.makedirs(site)
    for name, size in SIZES.items():
        with open(os.path.join(site, name + ".bin"), "wb") as f:
            left = size
            while left:
                chunk = os.urandom(min(left, 1 << 20))
                f.write(chunk)
                left -= len(chunk)
    cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
    certs.self_signed(cert, key)
    return site, cert, key, mix.make(site)


def workloads(quick):
    """(name, kind, proto, size, conns): kind is keepalive | newconn | rate."""
    if quick:
        return [("http 1k c16", "keepalive", "http", "1k", 16), ("https 1k c16", "keepalive", "https", "1k", 16),
                ("http 1m c16", "keepalive", "http", "1m", 16), ("http mix c1024", "mix", "http", "mix", 1024),
                ("https new-conn 1k c16", "newconn", "https", "1k", 16),
                ("http 1k c16 fixed-rate", "rate", "http", "1k", 16),
                ("https h2 1k c16 m10", "h2", "https", "1k", 16)]
    out = []
    for proto in ("http", "https"):
        for size in SIZES:
            for conns in (16, 256):
                out.append((f"{proto} {size} c{conns}", "keepalive", proto, size, conns))
    out.append(("https new-conn 1k c16", "newconn", "https", "1k", 16))
    out.append(("https new-conn 1k c256", "newconn", "https", "1k", 256))
    # The page-load mix (mix.py) over many keep-alive connections.
    for proto in ("http", "https"):
        out.append((f"{proto} mix c1024", "mix", proto, "mix", 1024))
    for proto in ("http", "https"):
        out.append((f"{proto} 1k c64 fixed-rate", "rate", proto, "1k", 64))
    # HTTP/2 with h2load: streams per connection after "m" (every server with h2 on;
    # "http" rows are h2c with prior knowledge).
    out += [("https h2 1k c16 m1", "h2", "https", "1k", 16), ("https h2 1k c16 m10", "h2", "https", "1k", 16),
            ("https h2 1m c16 m1", "h2", "https", "1m", 16), ("http h2c 1k c16 m10", "h2", "http", "1k", 16)]
    return out


def run_one(server, wl, seconds, rate, mix_script):
    name, kind, proto, size, conns = wl
    port = server.http_port if proto == "http" else server.https_port
    host = "127.0.0.1" if proto == "http" else "localhost"
    url = f"{proto}://{host}:{port}/" + ("" if kind == "mix" else f"{size}.bin")
    pids = server.pids()
    perf = measure.SyscallCounter(pids)
    time.sleep(0.2)
    cpu0, wrk0, t0 = measure.cpu_seconds(pids), measure.self_children_cpu(), time.time()
    tls0 = servers_mod.tls_stat()
    if kind == "h2":
        if proto == "http":
            url = f"http://127.0.0.1:{server.h2c_port}/{size}.bin"
        streams = int(name.rsplit(" m", 1)[1])
        r = measure.run_h2load_h2(url.replace("localhost", "127.0.0.1"), conns, streams, seconds)
        if r["protocol"] not in ("h2", "h2c"):
            raise RuntimeError(f"{server.name}: h2load spoke {r['protocol']}, not HTTP/2")
        requests, errors = r["requests"], max(0, r["failed"])
        bytes_ = requests * SIZES[size]
        lat = (r["p50"], r["p99"], r["p999"])
    elif kind == "rate":
        r = measure.run_h2load_fixed_rate(url.replace("localhost", "127.0.0.1"), conns, rate, seconds)
        requests, errors = r["requests"], max(0, r["failed"])
        bytes_ = requests * SIZES[size]
        lat = (r["p50"], r["p99"], r["p999"])
    elif kind == "mix":
        r = measure.run_wrk(url, conns, seconds, script=mix_script)
        requests, bytes_, errors = r["requests"], r["bytes"], r["errors"] + r["non2xx"]
        lat = (r["p50"], r["p99"], r["p999"])
    else:
        headers = ("Connection: close",) if kind == "newconn" else ()
        r = measure.run_wrk(url, conns, seconds, headers=headers)
        requests, bytes_, errors = r["requests"], r["bytes"], r["errors"] + r["non2xx"]
        lat = (r["p50"], r["p99"], r["p999"])
    elapsed = time.time() - t0
    cpu = measure.cpu_seconds(pids) - cpu0
    gen_cpu = (measure.self_children_cpu() - wrk0) / measure.TICK
    syscalls = perf.stop()
    tls1 = servers_mod.tls_stat()
    mib = bytes_ / (1 << 20)
    return {
        "server": server.name, "workload": name, "rps": requests / elapsed, "mbps": mib / elapsed,
        "p50_ms": lat[0] / 1000, "p99_ms": lat[1] / 1000, "p999_ms": lat[2] / 1000, "errors": errors,
        "cpu_us_per_req": cpu * 1e6 / max(1, requests), "cpu_ms_per_mib": cpu * 1e3 / mib if mib else 0,
        "syscalls_per_req": (syscalls / max(1, requests)) if syscalls is not None else None,
        "server_cpu_pct": 100 * cpu / elapsed, "loadgen_cpu_pct": 100 * gen_cpu / elapsed,
        # Connections whose sends the kernel encrypted during the run (0 without kTLS).
        "ktls_tx": sum(tls1.get(k, 0) - tls0.get(k, 0) for k in ("TlsTxSw", "TlsTxDevice")),
    }


def idle_memory(server, n):
    """RSS growth per idle keep-alive connection (each served one request first)."""
    pids = server.pids()
    before = measure.rss_kib(pids)
    socks = []
    try:
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", server.http_port))
            s.sendall(b"GET /1k.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            socks.append(s)
        for s in socks:
            got = b""
            while len(got) < 1024:
                got += s.recv(65536)
        time.sleep(0.5)
        return (measure.rss_kib(pids) - before) * 1024 / n
    finally:
        for s in socks:
            s.close()


def make_servers(names, args, work, site, cert, key):
    servers = []
    for n in names:
        ports = (free_port(), free_port())
        if n == "uringd-base":
            servers.append(Uringd(work, site, cert, key, *ports, binary=os.path.abspath(args.baseline),
                                  label=n))
        elif n in ALL_VARIANTS:
            servers.append(Uringd(work, site, cert, key, *ports, binary=os.path.abspath(args.uringd),
                                  extra=ALL_VARIANTS[n], label=n))
        else:
            servers.append(ALL_PEERS[n](work, site, cert, key, *ports))
    return servers


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--uringd", required=True)
    ap.add_argument("--baseline", default="",
                    help="another uringd binary, measured as `uringd-base` in the same interleaved rounds "
                         "(before/after a change)")
    ap.add_argument("--quick", action="store_true", help="about a minute: a few workloads, one round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--rate", type=int, default=20000, help="total req/s for fixed-rate runs")
    ap.add_argument("--servers", default="", help="comma list (default: uringd and all peers)")
    ap.add_argument("--variants", action="store_true",
                    help="with the default servers: also uringd's variants (other settings of its defaults)")
    ap.add_argument("--only", default="", help="comma list of substrings: run only workloads whose name has one")
    ap.add_argument("--layout", default="box,alone",
                    help="comma list: box (servers and load generator share every CPU), alone (the server "
                         "pinned with one worker to the last CPU, the load generator on the others)")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    args = ap.parse_args()
    if args.quick:
        args.rounds, args.seconds, args.rate, args.layout = 1, 3, 5000, "box"

    work = tempfile.mkdtemp(prefix="uringd-bench-")
    site, cert, key, mix_paths = make_site(work)
    mix_script = mix.wrk_script(work, mix_paths, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                              "wrk_report.lua"))
    # Where the kernel has TLS offload, uringd's default uses it: nginx with kTLS and
    # uringd in user space join the default servers as its references.
    args.ktls = servers_mod.ktls_available()
    print(f"bench: kernel TLS {'available: kTLS rows added' if args.ktls else 'not in this kernel'}", flush=True)
    names = args.servers.split(",") if args.servers else (
        ["uringd", "nginx", "h2o", "lighttpd"] if args.quick else
        (list(VARIANTS) if args.variants else ["uringd"]) + list(PEERS) +
        (list(KTLS_VARIANTS) + list(KTLS_PEERS) if args.ktls else []))
    if args.baseline and "uringd-base" not in names:
        names.insert(1, "uringd-base")
    wls = [w for w in workloads(args.quick) if not args.only or any(o in w[0] for o in args.only.split(","))]
    layouts = args.layout.split(",")
    rows, memory, encodings = [], {}, {}
    total = len(wls) * args.rounds * len(names) * len(layouts)
    done = 0
    try:
        for layout in layouts:
            servers_mod.set_layout(layout)
            measure.CLIENT_PREFIX = servers_mod.client_prefix()
            suffix = "" if layout == "box" else f" [{layout}]"
            servers = make_servers(names, args, work, site, cert, key)
            try:
                for s in servers:
                    s.start()
                for s in servers:  # warm caches and connection paths once
                    measure.run_wrk(f"http://127.0.0.1:{s.http_port}/1k.bin", 16, 1)
                    encodings[s.name] = mix.encodings(f"http://127.0.0.1:{s.http_port}", mix_paths)
                for wl in wls:
                    for rnd in range(args.rounds):
                        for s in servers:  # interleaved: A B C D, A B C D, ...
                            row = run_one(s, wl, args.seconds, args.rate, mix_script)
                            row["workload"] += suffix
                            row["round"] = rnd
                            rows.append(row)
                            done += 1
                            print(f"[{done}/{total}] {row['workload']:34} {s.name:22} {row['rps']:10.0f} req/s "
                                  f"{row['cpu_us_per_req']:7.2f} us/req  p99 {row['p99_ms']:7.2f} ms  "
                                  f"err {row['errors']}", flush=True)
                if layout == layouts[0]:
                    for s in servers:
                        memory[s.name] = idle_memory(s, 200 if args.quick else 2000)
                    for s in servers:
                        memory[s.name + " peak"] = measure.peak_rss_kib(s.pids())
            finally:
                for s in servers:
                    s.stop()
    finally:
        if os.environ.get("BENCH_KEEP"):
            print(f"bench: kept {work}")
        else:
            subprocess.run(["rm", "-rf", work])
    memory["mix encodings"] = encodings
    stamp = datetime.datetime.now().strftime("%Y-%m-%d-%H%M") + ("-quick" if args.quick else "")
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, stamp + ".memory.json"), "w") as f:
        json.dump(memory, f)
    paths = report.write(args.out, stamp, rows, memory, args, CPUS)
    print("\n".join(paths))
    # The harness is healthy when every server answered every run without errors.
    expected = total
    bad = [r for r in rows if r["errors"] or r["rps"] <= 0]
    for r in bad:
        print(f"bench: {r['server']} / {r['workload']}: {r['errors']} errors, {r['rps']:.0f} req/s", file=sys.stderr)
    ok = len(rows) == expected and not bad
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
