#!/usr/bin/env python3
"""Sends every request-framing case of tests/e2e/framing_cases.py, followed by a
request a smuggler would hide behind it, to uringd and to nginx (Debian's
nginx-light) on loopback, plain HTTP, and prints a Markdown table of what each
answered: the status codes in order, and how the connection ended. For the docs
and the closing notes: `python3 tests/peers/compare_framing.py [URINGD_BIN]`."""
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))

import harness  # noqa: E402
from framing_cases import CHUNKED, MALFORMED, NEXT, WELL_FORMED  # noqa: E402
from test_framing import STATUS  # noqa: E402

LINGER = {
    "431: 100 KiB head, one write": b"GET / HTTP/1.1\r\nHost: t\r\n"
    + b"".join(b"X-Field-%04d: some value\r\n" % i for i in range(4000)) + b"\r\n",
    "414: 150 KiB target": b"GET /" + b"a" * 150_000 + b" HTTP/1.1\r\nHost: t\r\n\r\n",
    "413: 300 KB body, one write": b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 300000\r\n\r\n" + b"b" * 300_000,
    "chunked 413": CHUNKED + b"30000\r\n" + b"b" * 0x30000 + b"\r\n0\r\n\r\n",
    "trailing slash on a file": b"GET /index.html/ HTTP/1.1\r\nHost: t\r\n\r\n",
}


def start_nginx(root, port, base):
    conf = os.path.join(base, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""daemon off; master_process off; worker_processes 1; pid {base}/nginx.pid;
error_log {base}/error.log; events {{}}
http {{ access_log off; client_max_body_size 1000;
  client_body_temp_path {base}; proxy_temp_path {base}; fastcgi_temp_path {base};
  uwsgi_temp_path {base}; scgi_temp_path {base};
  server {{ listen 127.0.0.1:{port}; root {root}; }} }}
""")
    proc = subprocess.Popen(["nginx", "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return proc


class Probe(harness.ServerTest):
    def runTest(self):
        pass


def answer(probe, port, data):
    probe.server.port = port
    resp, ended = probe.exchange(data, timeout=3)
    codes = " ".join(c.decode() for c in STATUS.findall(resp)) or "—"
    return f"{codes}; {ended}"


def main():
    if shutil.which("nginx") is None:
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "nginx-light"], check=True)
    if len(sys.argv) > 1:
        harness.BIN = sys.argv[1]
    server = harness.Server("[limits]\nmax_body = 1000\n")
    server.start()
    base = tempfile.mkdtemp(prefix="uringd-peers-")
    nginx_port = harness.free_port()
    nginx = start_nginx(server.root, nginx_port, base)
    probe = Probe()
    probe.server = server
    uringd_port = server.port
    try:
        print("| case | uringd | nginx 1.22 |\n| --- | --- | --- |")
        groups = [(MALFORMED, NEXT), (WELL_FORMED, NEXT), (LINGER, b"")]
        for cases, tail in groups:
            for name, data in cases.items():
                print(f"| {name} | {answer(probe, uringd_port, data + tail)} | {answer(probe, nginx_port, data + tail)} |")
    finally:
        nginx.terminate()
        nginx.wait()
        server.stop()
        server.cleanup()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
