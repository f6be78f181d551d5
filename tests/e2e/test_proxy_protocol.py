"""The PROXY protocol (v1 and v2) on listeners behind a balancer: the header's client
address is the one logged; a header that is missing, malformed, oversized, slow or
from a source outside proxy_from closes the connection and is counted; TLS starts
after the header. Then haproxy itself (Debian's, TCP mode, send-proxy-v2 and
send-proxy) in front, with a client on another loopback address."""
import atexit
import os
import re
import shutil
import socket
import ssl
import struct
import subprocess
import tempfile
import time
import unittest

from harness import ServerTest, free_port, main, metrics_total, scrape_metrics

PROXY, PROXY_TLS, UNTRUSTED, ADMIN = free_port(), free_port(), free_port(), free_port()
LOG_DIR = tempfile.mkdtemp(prefix="uringd-proxy-")
atexit.register(shutil.rmtree, LOG_DIR, True)
LOG = os.path.join(LOG_DIR, "access.log")
SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def v2(command, family, body):
    return SIG + bytes([0x20 | command, family]) + struct.pack("!H", len(body)) + body


def v2_inet4(src, sport, dst="127.0.0.1", dport=80, tlvs=b""):
    return v2(1, 0x11, socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!HH", sport, dport) + tlvs)


def tlv(kind, value):
    return bytes([kind]) + struct.pack("!H", len(value)) + value


def log_lines():
    if not os.path.exists(LOG):
        return []
    with open(LOG) as f:
        return f.read().splitlines()


def wait_for_line(pattern, timeout=5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for line in log_lines():
            if re.search(pattern, line):
                return line
        time.sleep(0.05)
    raise AssertionError(f"no access-log line matches {pattern!r}: {log_lines()[-5:]}")


class ProxyProtocol(ServerTest):
    conf_extra = (
        f'[[listen]]\naddress = "127.0.0.1:{PROXY}"\nproxy_protocol = true\nproxy_from = ["127.0.0.0/8", "::1"]\n'
        f'[[listen]]\naddress = "127.0.0.1:{PROXY_TLS}"\ntls = true\nproxy_protocol = true\n'
        f'proxy_from = ["127.0.0.1"]\n'
        f'[[listen]]\naddress = "127.0.0.1:{UNTRUSTED}"\nproxy_protocol = true\nproxy_from = ["10.0.0.0/8"]\n'
        f'[[site]]\nroot = "{{root}}"\nserver_names = ["p.test", "localhost"]\naccess_log = "{LOG}"\n'
        f'[limits]\nheader_timeout_ms = 1000\n'
        f'[admin]\nenabled = true\naddress = "127.0.0.1:{ADMIN}"\n')

    @classmethod
    def setUpClass(cls):
        cls.conf_extra = cls.conf_extra.replace("{root}", os.path.dirname(os.path.abspath(__file__)))
        super().setUpClass()

    def send(self, port, data, timeout=5):
        """Sends `data` and reads until the server closes; what came back."""
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(data)
            got = b""
            try:
                while chunk := s.recv(65536):
                    got += chunk
            except ConnectionResetError:
                pass
            return got

    def counted(self, result):
        return metrics_total(scrape_metrics(ADMIN), "uringd_proxy_headers_total", result=result)

    def get(self, path, tag, host="p.test"):
        return f"GET {path}?{tag} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()

    def test_v1_address_is_the_one_logged(self):
        got = self.send(PROXY, b"PROXY TCP4 192.0.2.7 127.0.0.1 40000 80\r\n" + self.get("/harness.py", "v1"))
        self.assertTrue(got.startswith(b"HTTP/1.1 200 OK"), got[:200])
        self.assertTrue(wait_for_line(r'\?v1 ').startswith("192.0.2.7 "))
        got = self.send(PROXY, b"PROXY TCP6 2001:db8::7 ::1 40000 80\r\n" + self.get("/harness.py", "v1six"))
        self.assertTrue(got.startswith(b"HTTP/1.1 200 OK"))
        self.assertTrue(wait_for_line(r'\?v1six ').startswith("2001:db8::7 "))

    def test_v2_with_tlvs_and_bytes_in_separate_segments(self):
        header = v2_inet4("198.51.100.9", 5555, tlvs=tlv(1, b"http/1.1") + tlv(2, b"p.test") + tlv(5, b"id-1") +
                          tlv(4, b"\0" * 7) + tlv(0x20, b"\x01\0\0\0\0"))
        with socket.create_connection(("127.0.0.1", PROXY), timeout=5) as s:
            for i in range(0, len(header), 5):  # the header in 5-byte slices
                s.sendall(header[i:i + 5])
                time.sleep(0.01)
            s.sendall(self.get("/harness.py", "v2"))
            self.assertTrue(s.recv(100).startswith(b"HTTP/1.1 200 OK"))
        self.assertTrue(wait_for_line(r'\?v2 ').startswith("198.51.100.9 "))

    def test_local_and_unknown_keep_the_peer(self):
        for tag, header in (("local", v2(0, 0x00, b"")), ("unknown", b"PROXY UNKNOWN\r\n"),
                            ("unspec", v2(1, 0x00, b""))):
            got = self.send(PROXY, header + self.get("/harness.py", tag))
            self.assertTrue(got.startswith(b"HTTP/1.1 200 OK"), (tag, got[:100]))
            self.assertTrue(wait_for_line(rf'\?{tag} ').startswith("127.0.0.1 "))

    def test_tls_after_the_header(self):
        ctx = ssl.create_default_context(cafile=self.server.cert)
        with socket.create_connection(("127.0.0.1", PROXY_TLS), timeout=5) as raw:
            raw.sendall(v2_inet4("203.0.113.5", 1234, dport=443))
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                s.sendall(self.get("/harness.py", "tls", host="localhost"))
                self.assertTrue(s.recv(100).startswith(b"HTTP/1.1 200 OK"))
        self.assertTrue(wait_for_line(r'\?tls ').startswith("203.0.113.5 "))

    def test_bad_headers_close_the_connection_and_are_counted(self):
        before = self.counted("invalid")
        bad = [b"GET / HTTP/1.1\r\nHost: p.test\r\n\r\n",                      # no header at all
               b"PROXY TCP4 192.0.2.7 127.0.0.1 40000 80\n",                   # bare LF
               b"PROXY TCP4 192.0.2.7  127.0.0.1 40000 80\r\n",                # two spaces
               b"PROXY TCP4 2001:db8::1 127.0.0.1 1 80\r\n",                   # wrong family
               b"PROXY TCP4 192.0.2.7 127.0.0.1 70000 80\r\n",                 # port out of range
               b"PROXY UNKNOWN " + b"x" * 120 + b"\r\n",                       # longer than 107 bytes
               v2(2, 0x11, b""),                                                # command 2
               v2(1, 0x11, b"\0" * 11),                                         # address block cut
               v2(1, 0x11, b"\0" * 12 + b"\x01\x00\x09ab"),                     # TLV longer than the header
               v2(1, 0x11, b"\0" * 12 + tlv(4, b"\0" * 2000)),                  # over 1024 bytes
               SIG[:11] + b"X"]                                                  # signature broken
        for data in bad:
            with self.subTest(data=data[:40]):
                got = self.send(PROXY, data + self.get("/harness.py", "bad"))
                self.assertEqual(got, b"", "a connection with a bad header must close unanswered")
        time.sleep(0.3)
        self.assertEqual(self.counted("invalid") - before, len(bad))
        self.assertFalse(any("?bad " in line for line in log_lines()))

    def test_slow_header_is_cut(self):
        before = self.counted("timeout")
        start = time.time()
        got = self.send(PROXY, b"PROXY TCP4 192.0.2.7", timeout=10)
        self.assertEqual(got, b"")
        self.assertLess(time.time() - start, 4)  # header_timeout_ms = 1000 (+ a tick)
        time.sleep(0.3)
        self.assertEqual(self.counted("timeout") - before, 1)

    def test_source_outside_proxy_from_is_closed(self):
        before = self.counted("untrusted")
        got = self.send(UNTRUSTED, b"PROXY TCP4 192.0.2.7 127.0.0.1 40000 80\r\n" + self.get("/harness.py", "u"))
        self.assertEqual(got, b"")
        time.sleep(0.3)
        self.assertEqual(self.counted("untrusted") - before, 1)
        self.assertIn("is not in proxy_from", self.server.read_log())

    def test_plain_listeners_are_untouched(self):
        self.assertEqual(self.status_of(self.request("/index.html")), 200)


@unittest.skipUnless(shutil.which("haproxy"), "haproxy is not installed (scripts/install-deps.sh test)")
class BehindHaproxy(ServerTest):
    """Debian's haproxy in TCP mode in front: send-proxy-v2 to the plain listener and
    send-proxy (v1) to the TLS one; the client binds 127.0.0.5, haproxy reaches
    uringd from 127.0.0.1, and the log must show 127.0.0.5."""
    conf_extra = ProxyProtocol.conf_extra

    @classmethod
    def setUpClass(cls):
        cls.conf_extra = cls.conf_extra.replace("{root}", os.path.dirname(os.path.abspath(__file__)))
        super().setUpClass()
        cls.front, cls.front_tls = free_port(), free_port()
        cls.hdir = tempfile.mkdtemp(prefix="uringd-haproxy-")
        cfg = os.path.join(cls.hdir, "haproxy.cfg")
        with open(cfg, "w") as f:
            f.write(f"""global
  maxconn 1000
defaults
  mode tcp
  timeout connect 2s
  timeout client 10s
  timeout server 10s
frontend plain
  bind 127.0.0.1:{cls.front}
  default_backend nodes
frontend tls
  bind 127.0.0.1:{cls.front_tls}
  default_backend nodes_tls
backend nodes
  server n1 127.0.0.1:{PROXY} send-proxy-v2
backend nodes_tls
  server n1 127.0.0.1:{PROXY_TLS} send-proxy
""")
        cls.haproxy = subprocess.Popen(["haproxy", "-db", "-f", cfg], stdout=subprocess.DEVNULL,
                                       stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", cls.front), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)

    @classmethod
    def tearDownClass(cls):
        cls.haproxy.terminate()
        cls.haproxy.wait(10)
        shutil.rmtree(cls.hdir, True)
        super().tearDownClass()

    def curl(self, *args):
        return subprocess.run(["curl", "-sS", "--interface", "127.0.0.5", *args], capture_output=True, timeout=20)

    def test_client_address_through_haproxy(self):
        r = self.curl("-H", "Host: p.test", f"http://127.0.0.1:{self.front}/harness.py?via-v2")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "harness.py"), "rb") as f:
            self.assertEqual(r.stdout, f.read())
        self.assertTrue(wait_for_line(r'\?via-v2 ').startswith("127.0.0.5 "))
        r = self.curl("--cacert", self.server.cert, "--resolve", f"localhost:{self.front_tls}:127.0.0.1",
                      f"https://localhost:{self.front_tls}/harness.py?via-v1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(wait_for_line(r'\?via-v1 ').startswith("127.0.0.5 "))


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(LOG_DIR, True)
