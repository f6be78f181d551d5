"""Results: a Markdown table of medians with min-max per workload and server, the
uringd/best-peer ratios, a CSV of every run, and a gnuplot PNG of the ratios."""
import csv
import os
import platform
import statistics
import subprocess

METRICS = [("rps", "req/s", "{:.0f}"), ("mbps", "MB/s", "{:.1f}"), ("cpu_us_per_req", "CPU µs/req", "{:.2f}"),
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

    ratios = []  # (workload, rps ratio, cpu ratio) against the best peer of each metric
    for wl in workloads:
        best_rps = max((med(rows, p, wl, "rps") or 0 for p in peers), default=0)
        cpu_peers = [c for c in (med(rows, p, wl, "cpu_us_per_req") for p in peers) if c]
        u_rps, u_cpu = med(rows, "uringd", wl, "rps"), med(rows, "uringd", wl, "cpu_us_per_req")
        if best_rps and u_rps and cpu_peers and u_cpu:
            ratios.append((wl, u_rps / best_rps, u_cpu / min(cpu_peers)))

    with open(base + ".md", "w") as f:
        f.write(f"# Benchmark {stamp}\n\n")
        f.write(f"Machine: {machine()}. Workers/threads per server: {cpus}. "
                f"{args.rounds} round(s) × {args.seconds} s per run, servers interleaved; "
                "medians with (min–max). TLS: 1.3, TLS_AES_128_GCM_SHA256 for every server (client side "
                "OPENSSL_CONF). Server CPU is the whole thread group's utime+stime "
                "(io_uring's kernel threads included); syscalls from `perf stat -e raw_syscalls:sys_enter`. "
                "loadgen CPU % is wrk/h2load's own (100 % = one core: the generator is the limit).\n\n")
        f.write("## uringd / best peer\n\n| workload | req/s ratio (≥ 1 better) | CPU/req ratio (≤ 1 better) |\n"
                "| --- | --- | --- |\n")
        for wl, rr, cr in ratios:
            f.write(f"| {wl} | {rr:.2f} | {cr:.2f} |\n")
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
            for i, (wl, rr, cr) in enumerate(ratios):
                f.write(f'{i} "{wl}" {rr:.3f} {cr:.3f}\n')
        script = f"""
set terminal pngcairo size 1400,700 noenhanced
set output '{png}'
set title 'uringd / best peer (req/s: higher is better; CPU per request: lower is better)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8
set xtics rotate by -40
set yrange [0:*]
set grid ytics
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2
plot '{data}' using 3:xtic(2) title 'req/s ratio', '' using 4 title 'CPU/req ratio'
"""
        try:
            subprocess.run(["gnuplot"], input=script, text=True, check=True, capture_output=True)
        except (OSError, subprocess.CalledProcessError) as e:
            print(f"gnuplot: {e}")
        os.unlink(data)
    return [p for p in (base + ".md", base + ".csv", png) if os.path.exists(p)]
