"""Results: a Markdown table of medians with min-max per workload and server, the
uringd/best-peer ratios, a CSV of every run, and a PNG (matplotlib) with one panel
per metric and layout: every server's bar relative to the best in its row, labelled
with its absolute value."""
import csv
import os
import platform
import statistics

METRICS = [("rps", "req/s", "{:.0f}"), ("mbps", "MB/s", "{:.1f}"), ("cpu_us_per_req", "CPU µs/req", "{:.2f}"),
           ("cpu_ms_per_mib", "CPU ms/MiB", "{:.3f}"),
           ("syscalls_per_req", "syscalls/req", "{:.2f}"), ("p99_ms", "p99 ms", "{:.2f}"),
           ("p999_ms", "p99.9 ms", "{:.2f}"), ("loadgen_cpu_pct", "loadgen CPU %", "{:.0f}")]


def median_range(values, fmt):
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    med = statistics.median(values)
    if len(values) == 1:
        return fmt.format(med)
    return f"{fmt.format(med)} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def med(rows, server, workload, key):
    vals = [r[key] for r in rows if r["server"] == server and r["workload"] == workload and r[key] is not None]
    return statistics.median(vals) if vals else None


def ktls_line(rows, servers, available):
    """Which servers' HTTPS runs the kernel encrypted (TlsTxSw/TlsTxDevice moved)."""
    if not available:
        return "Kernel TLS: not in this kernel, so no kTLS rows (uringd encrypts in user space)."
    used = []
    for s in servers:
        n = sum(r.get("ktls_tx", 0) for r in rows if r["server"] == s and r["workload"].startswith("https"))
        used.append(f"{s} {n}")
    return ("Kernel TLS: available; uringd's default (`ktls = \"auto\"`) uses it, `uringd-userspace-tls` and "
            "nginx without kTLS are the references, `nginx-ktls` has `ssl_conf_command Options KTLS`. "
            "Connections the kernel encrypted, over every HTTPS run: " + ", ".join(used) + ".")


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{platform.node()}: {cpu}, {os.cpu_count()} CPUs, Linux {platform.release()}"


def best_peer(rows, peers, wl, key, pick):
    """(name, median) of the peer that `pick` (max or min) chooses for this metric in
    this row; (None, None) when no peer has a value."""
    vals = {p: med(rows, p, wl, key) for p in peers}
    vals = {p: v for p, v in vals.items() if v}
    if not vals:
        return None, None
    name = pick(vals, key=vals.get)
    return name, vals[name]


def is_big(wl):
    return any(f" {size} " in wl for size in ("1m", "16m", "64m"))


def shortfalls(rows, wl, peers):
    """What keeps a row from issue 13/15's targets: req/s (MB/s for big bodies) at
    least the best peer's unless the load generator is the limit (≥ 95 % CPU), server
    CPU at most 0.8× the lowest peer's (0.6× on 1 KiB keep-alive; per MiB for big
    bodies), p99 at a fixed rate at most the best peer's, syscalls ≤ 0.2 per request
    (rows of small responses on kept-alive connections), and h2 1 MiB per MiB at
    most the HTTP/1.1 row's + 5 %."""
    def best(key, pick):
        return best_peer(rows, peers, wl, key, pick)
    out = []
    u = {k: med(rows, "uringd", wl, k) for k in ("rps", "mbps", "cpu_us_per_req", "cpu_ms_per_mib", "p99_ms",
                                                  "syscalls_per_req", "loadgen_cpu_pct")}
    rate_key = "mbps" if is_big(wl) else "rps"
    peer, b = best(rate_key, max)
    # Compared as printed (two decimals), so no row is short by a rounding error.
    if "fixed-rate" not in wl and u[rate_key] and b and round(u[rate_key] / b, 2) < 1:
        gen = u["loadgen_cpu_pct"] or 0
        out.append(f"{'MB/s' if is_big(wl) else 'req/s'} {u[rate_key] / b:.2f}× ({peer})"
                   + (f", generator-bound ({gen:.0f} %)" if gen >= 95 else ""))
    cpu_key = "cpu_ms_per_mib" if is_big(wl) else "cpu_us_per_req"
    small_ka = wl.split(" [")[0] in ("http 1k c16", "http 1k c256", "https 1k c16", "https 1k c256")
    goal = 0.6 if small_ka else 0.8
    peer, b = best(cpu_key, min)
    if u[cpu_key] and b and round(u[cpu_key] / b, 2) > goal:
        out.append(f"CPU {u[cpu_key] / b:.2f}× ({peer}; target {goal})")
    if "fixed-rate" in wl:
        peer, b = best("p99_ms", min)
        if u["p99_ms"] and b and round(u["p99_ms"] / b, 2) > 1:
            out.append(f"p99 {u['p99_ms'] / b:.2f}× ({peer})")
    # Per request only where a response is one send (a 1 MiB body is many by design).
    small = not is_big(wl) and "new-conn" not in wl
    if small and u["syscalls_per_req"] is not None and round(u["syscalls_per_req"], 2) > 0.2:
        out.append(f"{u['syscalls_per_req']:.2f} syscalls/req")
    if " h2 1m " in wl:
        h1 = med(rows, "uringd", wl.replace("https h2 1m c16 m1", "https 1m c16"), "cpu_ms_per_mib")
        if h1 and u["cpu_ms_per_mib"] and round(u["cpu_ms_per_mib"] / h1, 2) > 1.05:
            out.append(f"per MiB {u['cpu_ms_per_mib'] / h1:.2f}× HTTP/1.1's")
    return out


def write(out_dir, stamp, rows, memory, args, cpus):
    os.makedirs(out_dir, exist_ok=True)
    servers = list(dict.fromkeys(r["server"] for r in rows))
    workloads = list(dict.fromkeys(r["workload"] for r in rows))
    peers = [s for s in servers if not s.startswith("uringd")]
    base = os.path.join(out_dir, stamp)

    with open(base + ".csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)

    def best(wl, key, pick):
        return best_peer(rows, peers, wl, key, pick)[1]

    # (workload, req/s, MB/s, CPU/req, CPU/MiB ratios) against the best peer of each.
    # CPU per MiB is the fair figure for big files: a run can end mid-transfer, so
    # bytes are counted but the request is not.
    ratios = []
    for wl in workloads:
        u = {k: med(rows, "uringd", wl, k) for k in ("rps", "mbps", "cpu_us_per_req", "cpu_ms_per_mib", "p99_ms")}
        b = {"rps": best(wl, "rps", max), "mbps": best(wl, "mbps", max),
             "cpu_us_per_req": best(wl, "cpu_us_per_req", min), "cpu_ms_per_mib": best(wl, "cpu_ms_per_mib", min),
             "p99_ms": best(wl, "p99_ms", min)}
        r = {k: (u[k] / b[k] if u[k] and b[k] else None) for k in u}
        gen = med(rows, "uringd", wl, "loadgen_cpu_pct")
        if r["rps"] is not None or r["mbps"] is not None:
            ratios.append((wl, r["rps"], r["mbps"], r["cpu_us_per_req"], r["cpu_ms_per_mib"], r["p99_ms"],
                           gen))

    with open(base + ".md", "w") as f:
        f.write(f"# Benchmark {stamp}\n\n")
        f.write(f"Machine: {machine()}. Layouts: *box* (no suffix) = every server with {cpus} workers/threads "
                "sharing all CPUs with the load generator; *[alone]* = the server with one worker pinned "
                "(taskset) to the last CPU, the load generator on the others. "
                f"{args.rounds} round(s) × {args.seconds} s per run, servers interleaved; "
                "medians with (min–max). TLS: 1.3, TLS_AES_128_GCM_SHA256 for every server (client side "
                "OPENSSL_CONF). Server CPU is the whole thread group's utime+stime "
                "(io_uring's kernel threads included); syscalls from `perf stat -e raw_syscalls:sys_enter`. "
                "loadgen CPU % is wrk/h2load's own (100 % = one core: the generator is the limit).\n\n")
        f.write(ktls_line(rows, servers, getattr(args, "ktls", False)) + "\n\n")
        f.write("## uringd / best peer\n\nEach column against the best peer for that column (≥ 1 better for "
                "req/s and MB/s, ≤ 1 better for CPU and p99). A row with 0 req/s had no request finish inside the run. "
                "loadgen % is the load generator's CPU in uringd's runs: at ≥ 95 % the generator, not the "
                "server, is the limit, and CPU per request decides.\n\n"
                "| workload | req/s | MB/s | CPU per request | CPU per MiB | p99 | loadgen % |\n"
                "| --- | --- | --- | --- | --- | --- | --- |\n")

        def fmt(v):
            return "n/a" if v is None else f"{v:.2f}"
        for wl, *vals, gen in ratios:
            f.write(f"| {wl} | " + " | ".join(fmt(v) for v in vals) + f" | {gen or 0:.0f} |\n")
        short = [(wl, shortfalls(rows, wl, peers)) for wl in workloads if "uringd" in servers and peers]
        if any(miss for _, miss in short):
            f.write("\n## Short of the targets\n\nIssue 13's and 15's targets, row by row: req/s (MB/s for 1 MiB and "
                    "up) ≥ the best peer's unless the load generator is at ≥ 95 % (then CPU decides), server CPU "
                    "≤ 0.8× the lowest peer's (0.6× on 1 KiB keep-alive, per MiB from 1 MiB up), p99 at a fixed "
                    "rate ≤ the best peer's, ≤ 0.2 syscalls per request (small responses on kept-alive connections), h2 "
                    "1 MiB per MiB ≤ 1.05× HTTP/1.1's; the peer named is the best in that column.\n\n")
            for wl, miss in short:
                if miss:
                    f.write(f"- {wl}: " + "; ".join(miss) + "\n")
        for wl in workloads:
            f.write(f"\n## {wl}\n\n| server | " + " | ".join(m[1] for m in METRICS) + " | errors |\n")
            f.write("| --- |" + " --- |" * (len(METRICS) + 1) + "\n")
            for s in servers:
                rs = [r for r in rows if r["server"] == s and r["workload"] == wl]
                cells = [median_range([r[k] for r in rs], fmt) for k, _, fmt in METRICS]
                f.write(f"| {s} | " + " | ".join(cells) + f" | {sum(r['errors'] for r in rs)} |\n")
        f.write("\n## Memory\n\nPeak RSS is VmHWM: it counts file pages a process has mapped (uringd maps "
                "the large files it sends, so the page cache it sends from shows there; those pages are the "
                "kernel's cache, shared, not memory uringd allocated).\n\n"
                "| server | RSS per idle keep-alive connection (bytes) | peak RSS (KiB) |\n| --- | --- | --- |\n")
        for s in servers:
            f.write(f"| {s} | {memory.get(s, 0):.0f} | {memory.get(s + ' peak', 0)} |\n")
        enc = memory.get("mix encodings")
        if enc:
            f.write("\n## Mix: what the text files came back as\n\nEach server's answer to the mix's text files "
                    "with `Accept-Encoding: br;q=1, gzip;q=0.8` (Debian's nginx has no brotli module; h2o 2.2 sends only .gz, and only when the "
                    "header names gzip without a q-value, so with this header it sends the files as they are; "
                    "lighttpd compresses once into mod_deflate's cache):\n\n")
            for s, seen in enc.items():
                f.write(f"- {s}: " + ", ".join(f"{k} × {v}" for k, v in sorted(seen.items())) + "\n")

    png = base + ".png"
    plot(png, rows, servers, workloads, stamp)
    return [p for p in (base + ".md", base + ".csv", png) if os.path.exists(p)]


# (key, title, higher is better, label format) for the PNG's panels.
PANELS = [("rps", "requests per second: higher is better", True, "{:.0f}"),
          ("cpu_us_per_req", "server CPU per request (µs): lower is better", False, "{:.1f}"),
          ("p99_ms", "p99 latency (ms): lower is better", False, "{:.2f}")]


def plot(png, rows, servers, workloads, stamp):
    """One panel per metric and CPU layout. A bar is a server's median over the best
    median of its row (1 = the best; the best is the tallest for req/s, the shortest
    for CPU and latency), and carries the absolute median above it."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("report: no matplotlib (python3-matplotlib), no PNG")
        return
    layouts = list(dict.fromkeys(w.split(" [")[1][:-1] if " [" in w else "box" for w in workloads))
    fig, axes = plt.subplots(len(PANELS) * len(layouts), 1, figsize=(max(14, len(workloads) // len(layouts) * 1.1),
                                                                       5.5 * len(PANELS) * len(layouts)),
                             squeeze=False)
    colors = {s: plt.cm.tab10(i % 10) for i, s in enumerate(servers)}
    width = 0.8 / max(1, len(servers))
    for li, layout in enumerate(layouts):
        wls = [w for w in workloads if (f" [{layout}]" in w if layout != "box" else " [" not in w)]
        for pi, (key, title, higher, label) in enumerate(PANELS):
            ax = axes[li * len(PANELS) + pi][0]
            for wi, wl in enumerate(wls):
                vals = {s: med(rows, s, wl, key) for s in servers}
                good = [v for v in vals.values() if v]
                if not good:
                    continue
                ref = max(good) if higher else min(good)
                for si, s in enumerate(servers):
                    v = vals[s]
                    if not v:
                        continue
                    x = wi + (si - (len(servers) - 1) / 2) * width
                    # Bars past 3x the best are cut at 3 (their label still says the value).
                    h = min(v / ref, 3.0)
                    ax.bar(x, h, width, color=colors[s], label=s if wi == 0 else None)
                    ax.text(x, h, label.format(v), rotation=90, ha="center", va="bottom", fontsize=7)
            ax.set_xticks(range(len(wls)))
            ax.set_xticklabels([w.split(" [")[0] for w in wls], rotation=30, ha="right", fontsize=8)
            ax.axhline(1, color="grey", linestyle="--", linewidth=0.8)
            ax.set_ylabel("÷ best in row (cut at 3)")
            ax.set_title(f"{title} — layout: {layout} ({stamp})", fontsize=10)
            ax.legend(fontsize=8, ncol=len(servers), loc="upper right")
            ax.margins(y=0.25)
    fig.tight_layout()
    fig.savefig(png, dpi=90)
    plt.close(fig)


def load_csv(path):
    """Rows of a results CSV, numbers as numbers (to rewrite a report)."""
    rows = []
    with open(path) as f:
        for r in csv.DictReader(f):
            for k, v in r.items():
                if k in ("server", "workload"):
                    continue
                r[k] = None if v in ("", "None") else (int(v) if k in ("errors", "round") else float(v))
            rows.append(r)
    return rows


if __name__ == "__main__":
    # python3 bench/report.py results/<stamp>.csv: rewrites <stamp>.md and .png from the
    # CSV (and <stamp>.memory.json when present).
    import argparse
    import json
    import sys
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=4)
    a = ap.parse_args()
    stamp = os.path.basename(a.csv)[:-4]
    mem_path = a.csv[:-4] + ".memory.json"
    memory = json.load(open(mem_path)) if os.path.exists(mem_path) else {}
    print("\n".join(write(os.path.dirname(os.path.abspath(a.csv)), stamp, load_csv(a.csv), memory, a,
                           os.cpu_count())))
    sys.exit(0)
