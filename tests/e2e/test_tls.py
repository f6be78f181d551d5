"""HTTPS with userspace TLS (this machine's kernel has no kTLS): every offered cipher
and version byte-exact with curl, ALPN, SNI, resumption with openssl s_client,
keep-alive and pipelining, close_notify, and bad clients closed cleanly."""
import hashlib
import os
import socket
import ssl
import subprocess
import tempfile
import time

from harness import SIZES, ResponseReader, ServerTest, curl, main, make_cert, sha256_file

TLS13 = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"]
TLS12 = ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305"]


class Tls(ServerTest):
    @classmethod
    def setUpClass(cls):
        import tempfile
        cls.other_dir = tempfile.mkdtemp(prefix="uringd-sni-")
        other_cert, other_key = make_cert(cls.other_dir, "other.test", "rsa")
        cls.conf_extra = (f'[[certificate]]\nserver_names = ["other.test", "*.other.test"]\n'
                          f'certificate = "{other_cert}"\nkey = "{other_key}"\n'
                          '[tls]\nhandshake_timeout_ms = 1000\n')
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        subprocess.run(["rm", "-rf", cls.other_dir])

    def fetch(self, path, *opts):
        return curl(*self.server.curl_tls_args(), *opts, self.server.tls_url(path))

    def s_client(self, *args, data=b""):
        # -ign_eof: keep reading after stdin ends, until the server closes.
        return subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{self.server.tls_port}",
                               "-CAfile", self.server.cert, "-ign_eof", *args], input=data,
                              capture_output=True, timeout=20)

    def tls_socket(self):
        ctx = ssl.create_default_context(cafile=self.server.cert)
        raw = socket.create_connection(("127.0.0.1", self.server.tls_port), timeout=10)
        return ctx.wrap_socket(raw, server_hostname="localhost")

    def test_every_size_every_tls13_suite(self):
        for suite in TLS13:
            for name in SIZES:
                with self.subTest(suite=suite, name=name):
                    r = self.fetch("/" + name, "--tlsv1.3", "--tls13-ciphers", suite)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    self.assertEqual(hashlib.sha256(r.stdout).hexdigest(),
                                     sha256_file(os.path.join(self.server.root, name)))

    def test_tls12_every_cipher(self):
        for cipher in TLS12:
            for name in ("1k.bin", "1m.bin", "64m.bin"):
                with self.subTest(cipher=cipher, name=name):
                    r = self.fetch("/" + name, "--tlsv1.2", "--tls-max", "1.2", "--ciphers", cipher)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    self.assertEqual(hashlib.sha256(r.stdout).hexdigest(),
                                     sha256_file(os.path.join(self.server.root, name)))

    def test_old_versions_and_weak_ciphers_refused(self):
        # Refused with the alert that says why (RFC 8446 §6.2), not a bare close the
        # client reports as an unexpected EOF.
        for args, alert in ((["-tls1_1"], b"alert protocol version"),
                            (["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA"], b"alert handshake failure")):
            with self.subTest(args=args):
                r = self.s_client(*args)
                self.assertNotEqual(r.returncode, 0)
                self.assertIn(alert, r.stdout + r.stderr)

    def test_alpn_and_sni(self):
        r = self.s_client("-alpn", "h2,http/1.1", "-servername", "localhost")
        self.assertIn(b"ALPN protocol: h2", r.stdout)  # HTTP/2 first (test_http2.py)
        r = self.s_client("-alpn", "http/1.1,h2", "-servername", "localhost")  # ours is the order that counts
        self.assertIn(b"ALPN protocol: h2", r.stdout)
        r = self.s_client("-alpn", "spdy/3,http/1.1", "-servername", "localhost")
        self.assertIn(b"ALPN protocol: http/1.1", r.stdout)
        r = self.s_client("-alpn", "spdy/3", "-servername", "localhost")  # no overlap: no ALPN, no failure
        self.assertIn(b"No ALPN negotiated", r.stdout)
        r = self.s_client("-servername", "www.other.test")
        self.assertIn(b"subject=CN = other.test", r.stdout)
        r = self.s_client("-servername", "nomatch.example")
        self.assertIn(b"subject=CN = localhost", r.stdout)

    def test_resumption_with_tickets(self):
        sess = os.path.join(self.server.dir, "sess.pem")
        for version in ("-tls1_3", "-tls1_2"):
            with self.subTest(version=version):
                req = b"GET /index.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                first = self.s_client(version, "-sess_out", sess, "-servername", "localhost", data=req)
                self.assertIn(b"<h1>home</h1>", first.stdout)
                second = self.s_client(version, "-sess_in", sess, "-servername", "localhost", data=req)
                self.assertIn(b"Reused", second.stdout, second.stdout[-2000:])
                self.assertIn(b"<h1>home</h1>", second.stdout)

    def test_keepalive_and_pipelining(self):
        with self.tls_socket() as s:
            reader = ResponseReader(s)
            for i in range(50):
                name = ["1k.bin", "index.html", "100k.bin", "1m.bin"][i % 4]
                s.sendall(f"GET /{name} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
                status, _, body = reader.read()
                self.assertEqual((status, len(body)), (200, os.path.getsize(os.path.join(self.server.root, name))))
            names = ["1k.bin", "nope", "index.html", "64k.bin", "sub"] * 2
            s.sendall(b"".join(f"GET /{n} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode() for n in names))
            for n in names:
                status = reader.read()[0]
                self.assertEqual(status, {"nope": 404, "sub": 301}.get(n, 200), n)

    def test_key_update_keeps_the_connection(self):
        # RFC 8446 §4.6.3: KeyUpdate from the client, with an answer asked ('K', s_client's
        # command) and without one ('k'). Every response after it must open at the client
        # under the keys the server then uses; a 1 MiB body spans many records and sends.
        for command in (b"K\n", b"k\n"):
            with self.subTest(command=command):
                # Output to a file: a pipe nobody reads yet would stall s_client mid-body.
                sink = tempfile.TemporaryFile()
                p = subprocess.Popen(["openssl", "s_client", "-connect", f"127.0.0.1:{self.server.tls_port}",
                                      "-CAfile", self.server.cert, "-tls1_3", "-no_ign_eof"],
                                     stdin=subprocess.PIPE, stdout=sink, stderr=subprocess.PIPE)
                try:
                    for name in ("index.html", "1m.bin", "index.html"):
                        p.stdin.write(command)  # a write of its own: s_client reads a command per read
                        p.stdin.flush()
                        time.sleep(0.3)
                        p.stdin.write(f"GET /{name} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
                        p.stdin.flush()
                        time.sleep(0.5)
                    # s_client ends at stdin's end (no -ign_eof, so that commands work).
                    _, err = p.communicate(timeout=20)
                finally:
                    p.kill()
                sink.seek(0)
                out = sink.read()
                sink.close()
                self.assertEqual(err.count(b"KEYUPDATE"), 3, err)
                self.assertEqual(out.count(b"HTTP/1.1 200 OK"), 3, err)
                self.assertEqual(out.count(b"<h1>home</h1>"), 2, err)
                self.assertGreater(len(out), 1 << 20)
                self.assertNotIn(b"bad record mac", err)

    def test_close_notify_on_connection_close(self):
        with self.tls_socket() as s:
            s.sendall(b"GET /index.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := s.recv(65536):  # raises SSLEOFError if the server skipped close_notify
                data += chunk
            self.assertTrue(data.endswith(b"<h1>home</h1>\n"))

    def test_plain_http_garbage_and_truncated_hello_are_closed(self):
        for payload in (b"GET / HTTP/1.1\r\nHost: t\r\n\r\n", os.urandom(2000),
                        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 20):
            with self.subTest(payload=payload[:12]):
                with socket.create_connection(("127.0.0.1", self.server.tls_port), timeout=5) as s:
                    s.sendall(payload)
                    start = time.time()
                    try:
                        while s.recv(4096):
                            pass
                    except ConnectionResetError:
                        pass
                    self.assertLess(time.time() - start, 4, "not closed (handshake timeout is 1 s)")
        r = self.fetch("/index.html")
        self.assertEqual(r.stdout, b"<h1>home</h1>\n")

    def test_plain_http_on_the_tls_port_gets_a_400_that_says_so(self):
        # curl http://…:<tls port>: a readable 400 (as nginx and Go answer), not a TLS
        # alert or an empty reply; the HTTPS side of the port is unaffected.
        r = curl("-w", "%{http_code}", f"http://127.0.0.1:{self.server.tls_port}/index.html")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.endswith(b"400"), r.stdout)
        self.assertIn(b"plain HTTP request was sent to an HTTPS port", r.stdout)
        for request in (b"GET / HTTP/1.1\r\nHost: t\r\n\r\n", b"HEAD / HTTP/1.0\r\n\r\n",
                        b"OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
                        # a body far larger than what is read: the 400 still arrives whole
                        b"POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 300000\r\n\r\n" + b"x" * 300000):
            with self.subTest(request=request[:16]):
                reply = self.raw(request, port=self.server.tls_port)
                head, _, body = reply.partition(b"\r\n\r\n")
                self.assertTrue(head.startswith(b"HTTP/1.1 400 Bad Request\r\n"), reply[:200])
                self.assertIn(b"\r\nConnection: close", head)
                self.assertIn(b"\r\nDate: ", head)
                length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
                self.assertEqual(len(body), length)
                self.assertIn(b"HTTPS port", body)
        self.assertEqual(self.fetch("/index.html").stdout, b"<h1>home</h1>\n")

    def test_silent_client_hits_handshake_timeout(self):
        with socket.create_connection(("127.0.0.1", self.server.tls_port), timeout=5) as s:
            start = time.time()
            self.assertEqual(s.recv(10), b"")
            self.assertLess(time.time() - start, 4)

    def test_head_and_errors_over_tls(self):
        r = self.fetch("/1m.bin", "-I", "--http1.1")
        self.assertIn(b"Content-Length: 1048576", r.stdout)
        r = self.fetch("/1m.bin", "-I")  # HTTP/2 by ALPN
        self.assertIn(b"HTTP/2 200", r.stdout)
        self.assertIn(b"content-length: 1048576", r.stdout)
        r = self.fetch("/missing", "-o", "/dev/null", "-w", "%{http_code}")
        self.assertEqual(r.stdout, b"404")


if __name__ == "__main__":
    main()
