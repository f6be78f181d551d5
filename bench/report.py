"""Results: a Markdown table of medians with min-max per workload and server, the
uringd/best-peer ratios, a CSV of every run, and a gnuplot PNG of the ratios."""
import csv
import os
import platform
import statistics
import subprocess

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


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{platform.node()}: {cpu}, {os.cpu_count()} CPUs, Linux {platform.release()}"


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
        vals = [v for v in (med(rows, p, wl, key) for p in peers) if v]
        return pick(vals) if vals else None

    # (workload, req/s, MB/s, CPU/req, CPU/MiB ratios) against the best peer of each.
    # CPU per MiB is the fair figure for big files: a run can end mid-transfer, so
    # bytes are counted but the request is not.
    ratios = []
    for wl in workloads:
        u = {k: med(rows, "uringd", wl, k) for k in ("rps", "mbps", "cpu_us_per_req", "cpu_ms_per_mib")}
        b = {"rps": best(wl, "rps", max), "mbps": best(wl, "mbps", max),
             "cpu_us_per_req": best(wl, "cpu_us_per_req", min), "cpu_ms_per_mib": best(wl, "cpu_ms_per_mib", min)}
        r = {k: (u[k] / b[k] if u[k] and b[k] else None) for k in u}
        if r["rps"] is not None or r["mbps"] is not None:
            ratios.append((wl, r["rps"], r["mbps"], r["cpu_us_per_req"], r["cpu_ms_per_mib"]))

    with open(base + ".md", "w") as f:
        f.write(f"# Benchmark {stamp}\n\n")
        f.write(f"Machine: {machine()}. Workers/threads per server: {cpus}. "
                f"{args.rounds} round(s) × {args.seconds} s per run, servers interleaved; "
                "medians with (min–max). TLS: 1.3, TLS_AES_128_GCM_SHA256 for every server (client side "
                "OPENSSL_CONF). Server CPU is the whole thread group's utime+stime "
                "(io_uring's kernel threads included); syscalls from `perf stat -e raw_syscalls:sys_enter`. "
                "loadgen CPU % is wrk/h2load's own (100 % = one core: the generator is the limit).\n\n")
        f.write("## uringd / best peer\n\nEach column against the best peer for that column (≥ 1 better for "
                "req/s and MB/s, ≤ 1 better for CPU). A row with 0 req/s had no request finish inside the run.\n\n"
                "| workload | req/s | MB/s | CPU per request | CPU per MiB |\n| --- | --- | --- | --- | --- |\n")

        def fmt(v):
            return "n/a" if v is None else f"{v:.2f}"
        for wl, *vals in ratios:
            f.write(f"| {wl} | " + " | ".join(fmt(v) for v in vals) + " |\n")
        for wl in workloads:
            f.write(f"\n## {wl}\n\n| server | " + " | ".join(m[1] for m in METRICS) + " | errors |\n")
            f.write("| --- |" + " --- |" * (len(METRICS) + 1) + "\n")
            for s in servers:
                rs = [r for r in rows if r["server"] == s and r["workload"] == wl]
                cells = [median_range([r[k] for r in rs], fmt) for k, _, fmt in METRICS]
                f.write(f"| {s} | " + " | ".join(cells) + f" | {sum(r['errors'] for r in rs)} |\n")
        f.write("\n## Memory\n\n| server | RSS per idle keep-alive connection (bytes) | peak RSS (KiB) |\n"
                "| --- | --- | --- |\n")
        for s in servers:
            f.write(f"| {s} | {memory.get(s, 0):.0f} | {memory.get(s + ' peak', 0)} |\n")

    png = base + ".png"
    if ratios:
        data = base + ".ratios.dat"
        with open(data, "w") as f:
            for i, (wl, rr, mr, cr, cm) in enumerate(ratios):
                f.write(f'{i} "{wl}" {rr or 0:.3f} {cm or cr or 0:.3f}\n')
        script = f"""
set terminal pngcairo size 1400,700 noenhanced
set output '{png}'
set title 'uringd / best peer (req/s: higher is better; server CPU per MiB sent: lower is better)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8
set xtics rotate by -40
set yrange [0:*]
set grid ytics
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2
plot '{data}' using 3:xtic(2) title 'req/s ratio', '' using 4 title 'CPU per MiB ratio'
"""
        try:
            subprocess.run(["gnuplot"], input=script, text=True, check=True, capture_output=True)
        except (OSError, subprocess.CalledProcessError) as e:
            print(f"gnuplot: {e}")
        os.unlink(data)
    return [p for p in (base + ".md", base + ".csv", png) if os.path.exists(p)]


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
