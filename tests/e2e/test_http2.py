"""HTTP/2 with real clients: curl (ALPN h2 and prior knowledge), nghttp and h2load,
and the raw client for many streams at once. Bodies from 0 B to 64 MiB are checked
by SHA-256; ranges, conditionals, error pages, sites and SNI agreement, the access
log, /metrics, GOAWAY on reload and on idle, and http2 = false."""
import atexit
import hashlib
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time

import h2raw  # noqa: F401  (first: re-executes under Debian's python3 when needed)
from h2raw import Client, GoAwayFrame, NO_ERROR, SettingsFrame, responses
from harness import Server, ServerTest, curl, free_port, main, metrics_total, scrape_metrics

ADMIN = free_port()
OTHER_ROOT = tempfile.mkdtemp(prefix="uringd-h2-other-")
atexit.register(shutil.rmtree, OTHER_ROOT, True)
SIZES = {"0.bin": 0, "1.bin": 1, "frame.bin": 16375, "frame1.bin": 16376, "16k.bin": 16384, "100k.bin": 100_000,
         "1m.bin": 1 << 20, "5m.bin": 5 * (1 << 20) + 7, "64m.bin": 64 << 20}


def sha(data):
    return hashlib.sha256(data).hexdigest()


class Http2(ServerTest):
    conf_extra = (f'[admin]\nenabled = true\naddress = "127.0.0.1:{ADMIN}"\n'
                  f'[[site]]\nserver_names = ["other.test"]\nroot = "{OTHER_ROOT}"\n')

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sums = {}
        for name, size in SIZES.items():
            data = os.urandom(min(size, 1 << 20)) * (size // (1 << 20)) + os.urandom(size % (1 << 20))
            with open(os.path.join(cls.server.root, name), "wb") as f:
                f.write(data)
            cls.sums[name] = sha(data)

    def curl_h2(self, path, *args, tls=True):
        if tls:
            return curl("--http2", *self.server.curl_tls_args(), *args, self.server.tls_url(path))
        return curl("--http2-prior-knowledge", *args, self.server.url(path))

    def fetch_sha(self, path, tls):
        r = self.curl_h2(path, "-o", "-", "-w", "\n%{http_version} %{http_code}", tls=tls)
        body, _, tail = r.stdout.rpartition(b"\n")
        return tail.decode(), sha(body)

    # -- bodies ------------------------------------------------------------------------
    def test_bodies_over_tls_and_h2c(self):
        for tls in (True, False):
            for name in SIZES:
                with self.subTest(tls=tls, name=name):
                    self.assertEqual(self.fetch_sha("/" + name, tls), ("2 200", self.sums[name]))

    def test_many_streams_on_one_connection(self):
        for tls in (False, True):
            with self.subTest(tls=tls), Client(self.server.tls_port if tls else self.server.port,
                                               self.server.cert if tls else None, timeout=30) as c:
                c.start({SettingsFrame.INITIAL_WINDOW_SIZE: 1 << 20})
                names = [n for n in SIZES if SIZES[n] <= 5 << 20] * 6  # 48 streams, interleaved
                ids = {c.get("/" + n): n for n in names}
                got = responses(c, list(ids))
                for sid, name in ids.items():
                    h, body = got[sid]
                    self.assertEqual(h[":status"], "200", name)
                    self.assertEqual(int(h["content-length"]), SIZES[name], name)
                    self.assertEqual(sha(body), self.sums[name], name)

    def test_small_streams_are_not_held_back_by_a_large_one(self):
        with Client(self.server.port, timeout=30) as c:
            c.start({SettingsFrame.INITIAL_WINDOW_SIZE: 1 << 30})
            c.send(h2raw.WindowUpdateFrame(0, (1 << 30) - 65535))
            big = c.get("/64m.bin")
            small = [c.get("/1.bin") for _ in range(5)]
            done, data_before = [], 0
            while len(done) < len(small):
                f = c.read_frame()
                if isinstance(f, h2raw.DataFrame) and f.stream_id == big:
                    data_before += len(f.data)
                if f.stream_id in small and "END_STREAM" in f.flags:
                    done.append(f.stream_id)
            # Incremental scheduling: the small ones finish long before the 64 MiB one.
            self.assertLess(data_before, 16 << 20)

    def test_h2load_tls_and_h2c(self):
        for url in (self.server.tls_url("/index.html").replace("localhost", "127.0.0.1"),
                    self.server.url("/index.html")):
            with self.subTest(url=url):
                r = subprocess.run(["h2load", "-n", "3000", "-c", "6", "-m", "10", url], capture_output=True,
                                   text=True, timeout=120)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn("3000 succeeded, 0 failed, 0 errored", r.stdout)
                self.assertIn("status codes: 3000 2xx", r.stdout)
                self.assertRegex(r.stdout, r"Application protocol: h2c?\n")

    def test_nghttp_streams(self):
        urls = [self.server.url(p) for p in ("/index.html", "/100k.bin", "/missing", "/1m.bin")]
        r = subprocess.run(["nghttp", "-nv", *urls], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        statuses = re.findall(r"recv \(stream_id=\d+\) :status: (\d+)", r.stdout)
        self.assertEqual(sorted(statuses), ["200", "200", "200", "404"])
        self.assertIn("NO_ERROR", r.stdout)  # its GOAWAY at the end

    def test_a_file_that_shrinks_under_a_stream_ends_the_connection(self):
        # The frames are laid out before their payload is read (one preadv a flush),
        # so a file that ends early cannot reset just its stream: the connection
        # ends, short of the promised length, and the server serves the new file.
        for tls in (False, True):
            with self.subTest(tls=tls):
                name = f"shrinks-{tls}.bin"  # a fresh cache entry each time
                path = os.path.join(self.server.root, name)
                data = os.urandom(3 << 20)
                with open(path, "wb") as f:
                    f.write(data)
                with Client(self.server.tls_port if tls else self.server.port,
                            self.server.cert if tls else None, timeout=10) as c:
                    c.start()
                    sid = c.get("/" + name)
                    body = b""
                    while len(body) < 65535:  # the initial window, then the server waits
                        f = c.read_frame()
                        if isinstance(f, h2raw.DataFrame) and f.stream_id == sid:
                            body += f.data
                    os.truncate(path, 100_000)
                    c.send(h2raw.WindowUpdateFrame(0, 4 << 20), h2raw.WindowUpdateFrame(sid, 4 << 20))
                    end = c.frames_until(lambda f: isinstance(f, h2raw.DataFrame) and "END_STREAM" in f.flags)
                    self.assertIsNone(end, "a stream promised 3 MiB must not end with 100 000 bytes")
                self.assertEqual(self.fetch_sha("/" + name, tls), ("2 200", sha(data[:100_000])))

    # -- HTTP semantics --------------------------------------------------------------
    def test_head_and_error_pages(self):
        r = self.curl_h2("/1m.bin", "-I")
        self.assertIn(b"HTTP/2 200", r.stdout)
        self.assertIn(b"content-length: 1048576", r.stdout)
        r = self.curl_h2("/missing", "-o", "-", "-w", "\n%{http_code}")
        self.assertTrue(r.stdout.endswith(b"\n404"), r.stdout)
        self.assertIn(b"404 Not Found", r.stdout)

    def test_ranges_and_conditionals(self):
        r = self.curl_h2("/100k.bin", "-r", "10-19", "-D", "-", "-o", "/dev/null")
        self.assertIn(b"HTTP/2 206", r.stdout)
        self.assertIn(b"content-range: bytes 10-19/100000", r.stdout)
        with open(os.path.join(self.server.root, "100k.bin"), "rb") as f:
            data = f.read()
        r = self.curl_h2("/100k.bin", "-r", "10-19", "-o", "-")
        self.assertEqual(r.stdout, data[10:20])
        r = self.curl_h2("/100k.bin", "-r", "0-1,99990-", "-D", "-", "-o", "-")
        head, _, body = r.stdout.partition(b"\r\n\r\n")
        boundary = re.search(rb"boundary=(\w+)", head).group(1)
        self.assertIn(b"Content-Range: bytes 0-1/100000\r\n\r\n" + data[0:2], body)
        self.assertIn(b"Content-Range: bytes 99990-99999/100000\r\n\r\n" + data[99990:], body)
        self.assertTrue(body.endswith(b"--" + boundary + b"--\r\n"))
        length = int(re.search(rb"content-length: (\d+)", head).group(1))
        self.assertEqual(length, len(body))
        etag = re.search(rb"etag: (\S+)", self.curl_h2("/100k.bin", "-I").stdout).group(1).decode()
        r = self.curl_h2("/100k.bin", "-H", f"If-None-Match: {etag}", "-D", "-", "-o", "/dev/null")
        self.assertIn(b"HTTP/2 304", r.stdout)
        self.assertNotIn(b"content-length", r.stdout)
        r = self.curl_h2("/100k.bin", "-H", 'If-Match: "nope"', "-o", "/dev/null", "-w", "%{http_code}")
        self.assertEqual(r.stdout, b"412")
        r = self.curl_h2("/100k.bin", "-r", "200000-", "-o", "/dev/null", "-w", "%{http_code}")
        self.assertEqual(r.stdout, b"416")

    def test_too_many_fields_is_431_and_the_connection_goes_on(self):
        with Client(self.server.port) as c:
            c.start()
            many = [(f"x-f{i}", "v") for i in range(70)]
            h, _ = c.response(c.get("/index.html", extra=many))
            self.assertEqual(h[":status"], "431")
            h, _ = c.response(c.get("/index.html", extra=many[:50]))
            self.assertEqual(h[":status"], "200")

    def test_sni_and_authority_must_agree(self):
        with Client(self.server.tls_port, self.server.cert) as c:
            c.start()
            h, _ = c.response(c.get("/index.html", authority="other.test"))
            self.assertEqual(h[":status"], "421")
            h, body = c.response(c.get("/index.html", authority="localhost"))
            self.assertEqual((h[":status"], body), ("200", b"<h1>home</h1>\n"))

    def test_metrics_and_access_counting(self):
        before = scrape_metrics(ADMIN)
        for _ in range(3):
            self.assertEqual(self.fetch_sha("/1.bin", tls=False)[0], "2 200")
        after = scrape_metrics(ADMIN)
        grew = lambda name: metrics_total(after, name) - metrics_total(before, name)  # noqa: E731
        self.assertEqual(grew("uringd_http2_connections_total"), 3)
        self.assertEqual(grew("uringd_http2_streams_total"), 3)
        self.assertGreaterEqual(metrics_total(after, "uringd_requests_total", code="200") -
                                metrics_total(before, "uringd_requests_total", code="200"), 3)

    # -- connection life -------------------------------------------------------------
    def test_http1_still_served_on_both_listeners(self):
        r = curl("--http1.1", *self.server.curl_tls_args(), "-o", "/dev/null", "-w", "%{http_version}",
                 self.server.tls_url("/index.html"))
        self.assertEqual(r.stdout, b"1.1")
        r = curl("-o", "/dev/null", "-w", "%{http_version}", self.server.url("/index.html"))
        self.assertEqual(r.stdout, b"1.1")
        # curl's Upgrade: h2c is not taken up (optional), the answer is HTTP/1.1.
        r = curl("--http2", "-o", "/dev/null", "-w", "%{http_version} %{http_code}", self.server.url("/index.html"))
        self.assertEqual(r.stdout, b"1.1 200")

    def test_prior_knowledge_over_tls_without_alpn(self):
        # RFC 9113 §3.3 names TLS with ALPN, but a client that knows may send the
        # preface over TLS without it (nginx serves it); one that agreed on
        # http/1.1 by ALPN gets HTTP/1.1, preface or not.
        with Client(self.server.tls_port, tls_cert=self.server.cert, alpn=()) as c:
            c.start()
            headers, body = c.response(c.get("/index.html"))
            self.assertEqual(headers[":status"], "200")
            self.assertEqual(body, b"<h1>home</h1>\n")
        ctx = ssl.create_default_context(cafile=self.server.cert)
        ctx.set_alpn_protocols(["http/1.1"])
        with ctx.wrap_socket(socket.create_connection(("127.0.0.1", self.server.tls_port), timeout=5),
                             server_hostname="localhost") as s:
            s.sendall(h2raw.PREFACE)
            self.assertTrue(s.recv(4096).startswith(b"HTTP/1.1 "))

    def test_preface_split_across_packets(self):
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=5) as s:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for piece in (h2raw.PREFACE[:3], h2raw.PREFACE[3:10], h2raw.PREFACE[10:]):
                s.sendall(piece)
                time.sleep(0.05)
            s.sendall(h2raw.raw_frame(4, 0, 0, b""))
            head = s.recv(9)
            self.assertEqual(head[3], 4, head)  # the server's SETTINGS


class Http2Lifecycle(ServerTest):
    conf_extra = "[limits]\nkeepalive_timeout_ms = 1000\n"

    def test_idle_connection_ends_with_goaway(self):
        with Client(self.server.port, timeout=5) as c:
            c.start()
            c.response(c.get("/index.html"))
            t0 = time.monotonic()
            f = c.goaway()
            self.assertIsInstance(f, GoAwayFrame)
            self.assertEqual((f.error_code, f.last_stream_id), (NO_ERROR, 1))
            self.assertLess(time.monotonic() - t0, 4)
            self.assertIsNone(c.frames_until(lambda f: True))  # then EOF

    def test_reload_sends_goaway_and_streams_in_flight_finish(self):
        path = os.path.join(self.server.root, "drain.bin")
        data = os.urandom(8 << 20)
        with open(path, "wb") as f:
            f.write(data)
        with Client(self.server.port, timeout=20) as c:
            c.start()  # the default 64 KiB window: the body waits on us
            sid = c.get("/drain.bin")
            time.sleep(0.2)
            os.kill(self.server.pid, signal.SIGHUP)  # a reload: this generation drains
            seen_goaway, body = None, b""
            while True:
                f = c.read_frame()
                if isinstance(f, GoAwayFrame):
                    seen_goaway = f
                    continue
                if isinstance(f, h2raw.DataFrame) and f.stream_id == sid:
                    body += f.data
                    c.send(h2raw.WindowUpdateFrame(0, len(f.data)), h2raw.WindowUpdateFrame(sid, len(f.data)))
                    if "END_STREAM" in f.flags:
                        break
            self.assertIsNotNone(seen_goaway)
            self.assertEqual((seen_goaway.error_code, seen_goaway.last_stream_id), (NO_ERROR, sid))
            self.assertEqual(sha(body), sha(data))
        # The new generation answers new connections.
        r = curl("--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_version} %{http_code}",
                 self.server.url("/index.html"))
        self.assertEqual(r.stdout, b"2 200")

    def test_reload_ends_a_request_the_client_left_open(self):
        # A GET whose stream the client never ends (no END_STREAM): it is answered
        # at once, and the stream stays open on the client's side. A drain must not
        # wait for it: GOAWAY, RST_STREAM(NO_ERROR) for it (RFC 9113 §8.1), the end.
        with Client(self.server.port, timeout=20) as c:
            c.start()
            sid = c.headers(c.request_fields("/index.html"), end_stream=False)
            h, body = c.response(sid)
            self.assertEqual((h[":status"], body), ("200", b"<h1>home</h1>\n"))
            self.assertTrue(c.alive())  # the stream is answered, not reset, while serving
            t0 = time.monotonic()
            os.kill(self.server.pid, signal.SIGHUP)
            seen = []
            while (f := c.frames_until(lambda f: isinstance(f, (GoAwayFrame, h2raw.RstStreamFrame)))) is not None:
                seen.append((type(f).__name__, f.error_code))
            self.assertEqual(seen, [("GoAwayFrame", NO_ERROR), ("RstStreamFrame", NO_ERROR)])
            self.assertLess(time.monotonic() - t0, 5)  # drain_timeout_ms is 30 s


class Http2Off(ServerTest):
    @classmethod
    def setUpClass(cls):
        cls.server = Server("", None)
        # Both listeners with http2 = false.
        with open(cls.server.conf) as f:
            conf = f.read()
        conf = conf.replace("tls = true\n", "tls = true\nhttp2 = false\n")
        conf = conf.replace(f'address = "127.0.0.1:{cls.server.port}"\n',
                            f'address = "127.0.0.1:{cls.server.port}"\nhttp2 = false\n')
        with open(cls.server.conf, "w") as f:
            f.write(conf)
        cls.server.start()

    def test_alpn_and_prior_knowledge_are_refused(self):
        r = curl("--http2", *self.server.curl_tls_args(), "-o", "/dev/null", "-w", "%{http_version}",
                 self.server.tls_url("/index.html"))
        self.assertEqual(r.stdout, b"1.1")
        r = curl("--http2-prior-knowledge", "-o", "/dev/null", self.server.url("/index.html"))
        self.assertNotEqual(r.returncode, 0)  # the preface is no HTTP/1.1 request
        ctx = ssl.create_default_context(cafile=self.server.cert)  # … nor over TLS without ALPN
        with ctx.wrap_socket(socket.create_connection(("127.0.0.1", self.server.tls_port), timeout=5),
                             server_hostname="localhost") as s:
            s.sendall(h2raw.PREFACE)
            self.assertTrue(s.recv(4096).startswith(b"HTTP/1.1 "))


if __name__ == "__main__":
    main()
