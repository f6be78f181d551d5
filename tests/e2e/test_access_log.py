"""Access logs: combined lines as nginx writes them, JSON lines that parse, one file
per site, and SIGUSR1 reopening after the file was moved (logrotate's way)."""
import atexit
import json
import os
import re
import shutil
import signal
import tempfile
import time

from harness import ServerTest, curl, main

DIR = tempfile.mkdtemp(prefix="uringd-logs-")
atexit.register(shutil.rmtree, DIR, True)
os.makedirs(os.path.join(DIR, "www"))
with open(os.path.join(DIR, "www", "hello.txt"), "w") as f:
    f.write("hello\n")
COMBINED, JSONL = os.path.join(DIR, "combined.log"), os.path.join(DIR, "json.log")
SITE = '[[site]]\nroot = "{root}"\nserver_names = ["{name}"]\naccess_log = "{log}"\naccess_log_format = "{fmt}"\n'
LINE = re.compile(r'^(\S+) - - \[(\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000)\] "(.*?)" (\d{3}) (\d+) "(.*?)" "(.*?)"$')


def lines(path, want, timeout=5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path):
            with open(path) as f:
                got = f.read().splitlines()
            if len(got) >= want:
                return got
        time.sleep(0.05)
    raise AssertionError(f"{path}: fewer than {want} lines")


class AccessLog(ServerTest):
    conf_extra = (SITE.format(root=os.path.join(DIR, "www"), name="c.test", log=COMBINED, fmt="combined") +
                  SITE.format(root=os.path.join(DIR, "www"), name="j.test", log=JSONL, fmt="json"))

    def test_combined(self):
        start = len(lines(COMBINED, 0)) if os.path.exists(COMBINED) else 0
        self.request("/hello.txt", headers='Host: c.test\r\nUser-Agent: t "quoted"\r\nReferer: http://r/\r\n')
        self.request("/nope", headers="Host: c.test\r\n")
        self.request("/hello.txt", method="HEAD", headers="Host: c.test\r\n")
        got = lines(COMBINED, start + 3)[start:]
        m = [LINE.match(line) for line in got]
        self.assertTrue(all(m), got)
        # Workers keep their own queues: lines from different connections may
        # interleave in any order, so find each by its request.
        by_request = {x.group(3): x for x in m}
        get = by_request["GET /hello.txt HTTP/1.1"]
        self.assertEqual(get.group(1), "127.0.0.1")
        self.assertEqual(get.group(4, 5, 6, 7), ("200", "6", "http://r/", 't \\x22quoted\\x22'))
        self.assertEqual(by_request["GET /nope HTTP/1.1"].group(4), "404")
        self.assertEqual(by_request["HEAD /hello.txt HTTP/1.1"].group(4, 5), ("200", "0"))

    def test_json_and_sites_apart(self):
        before = len(lines(COMBINED, 0)) if os.path.exists(COMBINED) else 0
        # UTF-8 as UTF-8 (the line is valid UTF-8 JSON); a stray byte as U+FFFD.
        self.raw('GET /hello.txt?a=1 HTTP/1.1\r\nHost: j.test\r\nUser-Agent: x\u00e9"y\u20ac\r\n'
                 'Referer: r\xe9\r\nConnection: close\r\n\r\n'.encode("utf-8").replace(b"r\xc3\xa9", b"r\xe9"))
        lines(JSONL, 1)  # written by the log thread: wait for it
        with open(JSONL, "rb") as f:
            raw_line = f.read().splitlines()[-1]
        rec = json.loads(raw_line.decode("utf-8"))  # strict: fails on a byte that is not UTF-8
        self.assertEqual((rec["host"], rec["method"], rec["uri"], rec["status"], rec["bytes"], rec["protocol"]),
                         ("j.test", "GET", "/hello.txt?a=1", 200, 6, "HTTP/1.1"))
        self.assertEqual(rec["remote"], "127.0.0.1")
        self.assertEqual(rec["user_agent"], 'x\u00e9"y\u20ac')
        self.assertEqual(rec["referer"], "r\ufffd")
        self.assertIsInstance(rec["duration_us"], int)
        self.assertGreaterEqual(rec["duration_us"], 0)
        self.assertNotIn("tls_version", rec)
        # Over TLS the line says how the connection was protected.
        port = self.server.tls_port
        curl("-k", "--resolve", f"j.test:{port}:127.0.0.1", f"https://j.test:{port}/hello.txt?tls")
        rec = json.loads(lines(JSONL, 2)[-1])
        self.assertEqual(rec["uri"], "/hello.txt?tls")
        self.assertEqual((rec["tls_version"], rec["alpn"], rec["protocol"]), ("TLSv1.3", "h2", "HTTP/2.0"))
        self.assertTrue(rec["tls_cipher"].startswith("TLS_"))
        time.sleep(0.3)
        self.assertEqual(len(lines(COMBINED, 0)) if os.path.exists(COMBINED) else 0, before)

    def test_sigusr1_reopens(self):
        self.request("/hello.txt", headers="Host: c.test\r\n")
        lines(COMBINED, 1)
        os.rename(COMBINED, COMBINED + ".1")
        os.kill(self.server.pid, signal.SIGUSR1)
        deadline = time.time() + 5
        while not os.path.exists(COMBINED) and time.time() < deadline:
            time.sleep(0.05)
        self.request("/hello.txt?after", headers="Host: c.test\r\n")
        self.assertIn("/hello.txt?after", lines(COMBINED, 1)[-1])
        with open(COMBINED + ".1") as f:
            self.assertNotIn("?after", f.read())


if __name__ == "__main__":
    main()
