"""What one run measures: the load generator's view (req/s, bytes, latency
percentiles, errors) and the server's own cost (CPU of its whole thread group —
io_uring's iou-sqp/iou-wrk threads included — syscalls, peak RSS)."""
import os
import re
import subprocess
import tempfile

TICK = os.sysconf("SC_CLK_TCK")
HERE = os.path.dirname(os.path.abspath(__file__))


def cpu_seconds(pids):
    """utime+stime of each whole thread group (/proc/PID/stat counts exited threads
    too, so short-lived io-wq workers are not lost)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total / TICK


def status_kib(pids, field):
    """Sum of one /proc/PID/status memory field (VmRSS, VmHWM) over `pids`, in KiB."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                m = re.search(rf"{field}:\s+(\d+)", f.read())
                total += int(m.group(1)) if m else 0
        except FileNotFoundError:
            pass
    return total


def peak_rss_kib(pids):
    return status_kib(pids, "VmHWM")


def rss_kib(pids):
    return status_kib(pids, "VmRSS")


class SyscallCounter:
    """perf stat -e raw_syscalls:sys_enter on the server's processes (all threads)."""

    def __init__(self, pids):
        self.out = tempfile.NamedTemporaryFile(prefix="perf-", suffix=".txt", delete=False)
        self.proc = subprocess.Popen(
            ["perf", "stat", "-x", ",", "-e", "raw_syscalls:sys_enter", "-p", ",".join(map(str, pids)),
             "-o", self.out.name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self):
        self.proc.send_signal(2)  # SIGINT: perf prints its counts
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        try:
            with open(self.out.name) as f:
                for line in f:
                    parts = line.split(",")
                    if len(parts) > 2 and "raw_syscalls" in line and parts[0].strip().isdigit():
                        return int(parts[0])
        finally:
            os.unlink(self.out.name)
        return None  # perf unavailable here


# Put before every load generator's command (the layout's taskset), by bench.py.
CLIENT_PREFIX = []


def run_wrk(url, conns, seconds, threads=1, headers=(), script=None):
    cmd = CLIENT_PREFIX + ["wrk", "-t", str(threads), "-c", str(conns), "-d", f"{seconds}s", "--timeout", "10s",
                           "-s", script or os.path.join(HERE, "wrk_report.lua")]
    for h in headers:
        cmd += ["-H", h]
    env = dict(os.environ, OPENSSL_CONF=os.path.join(HERE, "openssl-tls13-aes128.cnf"))
    proc = subprocess.Popen(cmd + [url], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    out, _ = proc.communicate(timeout=seconds + 60)
    m = re.search(r"RESULT (.*)", out)
    if not m:
        raise RuntimeError(f"wrk failed: {out[-500:]}")
    r = {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
    return r


def wrk_cpu_seconds(before, after):
    return (after - before) / TICK


def self_children_cpu():
    """CPU of finished child processes (the load generators), in ticks."""
    t = os.times()
    return (t.children_user + t.children_system) * TICK


def run_h2load_fixed_rate(url, conns, rate, seconds):
    """h2load --h1 at a fixed total request rate; latency percentiles from its log."""
    per_conn = max(1, rate // conns)
    return run_h2load(url, ["--h1", "-c", str(conns), "--rps", str(per_conn)], seconds)


def run_h2load_h2(url, conns, streams, seconds):
    """h2load over HTTP/2 (ALPN h2 on https://, prior knowledge on http://) at full
    load: `streams` requests in flight on each connection."""
    return run_h2load(url, ["-c", str(conns), "-m", str(streams)], seconds)


def run_h2load(url, args, seconds):
    """requests, failures, bytes and latency percentiles (from h2load's log)."""
    log = tempfile.NamedTemporaryFile(prefix="h2load-", suffix=".log", delete=False)
    cmd = CLIENT_PREFIX + ["h2load", *args, "-D", str(seconds), "--log-file", log.name, url]
    env = dict(os.environ, OPENSSL_CONF=os.path.join(HERE, "openssl-tls13-aes128.cnf"))
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, env=env).stdout
    lat = []
    with open(log.name) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[1].isdigit() and parts[1].startswith("2"):
                lat.append(int(parts[2]))  # microseconds
    os.unlink(log.name)
    m = re.search(r"(\d+) succeeded, (\d+) failed", out)
    ok = int(m.group(1)) if m else 0
    failed = int(m.group(2)) if m else -1
    lat.sort()

    def pct(p):
        return lat[min(len(lat) - 1, int(len(lat) * p / 100))] if lat else 0
    m = re.search(r"traffic: .*?\((\d+)\) total", out)
    return {"requests": ok, "failed": failed, "p50": pct(50), "p99": pct(99), "p999": pct(99.9),
            "rate": ok / seconds, "bytes": int(m.group(1)) if m else 0,
            "protocol": (re.search(r"Application protocol: (\S+)", out) or [None, "?"])[1]}
