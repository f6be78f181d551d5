"""Bad requests get the right status with a small body, and never stop the server."""
from harness import ResponseReader, ServerTest, main


class Errors(ServerTest):
    conf_extra = "[limits]\nmax_uri = 1024\nheader_buffer_size = 4096\nmax_body = 1000\n"

    def check(self, data, status, closes=True):
        resp = self.raw(data)
        self.assertEqual(self.status_of(resp), status, resp[:300])
        head, _, body = resp.partition(b"\r\n\r\n")
        head += b"\r\n"
        self.assertIn(f"Content-Length: {len(body)}\r\n".encode(), head)
        if closes:
            self.assertIn(b"\r\nConnection: close\r\n", head)
        self.assert_still_serving()
        return head

    def test_404(self):
        self.check(b"GET /missing HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 404)

    def test_405_with_allow(self):
        for m in (b"POST", b"PUT", b"DELETE", b"PATCH"):
            head = self.check(m + b" / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 405)
            self.assertIn(b"\r\nAllow: GET, HEAD, OPTIONS\r\n", head)

    def test_405_keeps_connection(self):
        with self.connect() as s:
            s.sendall(b"DELETE / HTTP/1.1\r\nHost: t\r\n\r\nGET /index.html HTTP/1.1\r\nHost: t\r\n\r\n")
            r = ResponseReader(s)
            self.assertEqual(r.read()[0], 405)
            self.assertEqual(r.read()[0], 200)

    def test_expect_100_continue_answers_at_once(self):
        # The body never comes: the answer must not wait for it, and the connection
        # closes after it (the body is not read).
        with self.connect(timeout=3) as s:
            s.sendall(b"GET /index.html HTTP/1.1\r\nHost: t\r\nContent-Length: 500\r\n"
                      b"Expect: 100-continue\r\n\r\n")
            status, headers, body = ResponseReader(s).read()
            self.assertEqual((status, headers.get("connection"), body), (200, "close", b"<h1>home</h1>\n"))
        self.assert_still_serving()

    def test_417_unknown_expectation(self):
        self.check(b"GET / HTTP/1.1\r\nHost: t\r\nExpect: 200-ok\r\n\r\n", 417)

    def test_414(self):
        self.check(b"GET /" + b"a" * 2000 + b" HTTP/1.1\r\nHost: t\r\n\r\n", 414)

    def test_414_when_target_fills_the_buffer(self):
        self.check(b"GET /" + b"a" * 5000, 414)

    def test_431(self):
        self.check(b"GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + b"b" * 5000 + b"\r\n\r\n", 431)
        many = b"".join(b"X-%d: v\r\n" % i for i in range(100))
        self.check(b"GET / HTTP/1.1\r\nHost: t\r\n" + many + b"\r\n", 431)

    def test_400_cases(self):
        for data in (b"GET / HTTP/1.1\r\n\r\n",                      # no Host
                     b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",  # two Hosts
                     b"GET /%zz HTTP/1.1\r\nHost: t\r\n\r\n",        # bad escape
                     b"GET /a%00b HTTP/1.1\r\nHost: t\r\n\r\n",      # NUL
                     b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # TLS on the plain port
                     b"HELLO THERE\r\n\r\n",
                     b"GET / HTTP/1.1\r\nHost: t\r\nBad Header\r\n\r\n",
                     b"GET * HTTP/1.1\r\nHost: t\r\n\r\n",
                     b"GET relative HTTP/1.1\r\nHost: t\r\n\r\n"):
            with self.subTest(data=data):
                self.check(data, 400)

    def test_smuggling_is_400_and_close(self):
        self.check(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"0\r\n\r\n", 400)
        self.check(b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcd", 400)

    def test_501_unknown_transfer_coding(self):
        self.check(b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501)

    def test_400_when_chunked_is_not_the_final_coding(self):
        # RFC 9112 §6.3: the body's length cannot be determined.
        self.check(b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n", 400)

    def test_505(self):
        for version in (b"2.0", b"3.0", b"0.9", b"9.9"):
            with self.subTest(version=version):
                self.check(b"GET / HTTP/" + version + b"\r\nHost: t\r\n\r\n", 505)

    def test_later_http1_minor_version_is_served_as_11(self):
        # RFC 9110 §6.2: HTTP/1.2 is read as the highest 1.x served, and answered in it.
        resp = self.raw(b"GET /index.html HTTP/1.2\r\nHost: t\r\nConnection: close\r\n\r\n")
        self.assertTrue(resp.startswith(b"HTTP/1.1 200 OK\r\n"), resp[:100])
        with self.connect() as s:
            reader = ResponseReader(s)
            for _ in range(2):  # kept alive, as HTTP/1.1 is
                s.sendall(b"GET /1k.bin HTTP/1.2\r\nHost: t\r\n\r\n")
                status, headers, body = reader.read()
                self.assertEqual((status, len(body)), (200, 1024))

    def test_400_malformed_version(self):
        for version in (b"1.10", b"11.1", b"1", b"1.x", b"1,1"):
            with self.subTest(version=version):
                self.check(b"GET / HTTP/" + version + b"\r\nHost: t\r\n\r\n", 400)

    def test_413_large_body(self):
        self.check(b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n" + b"x" * 100, 413)

    def test_small_body_is_discarded_not_parsed_as_a_request(self):
        with self.connect() as s:
            body = b"GET /secret HTTP/1.1\r\nHost: t\r\n\r\n"
            s.sendall(b"GET /1k.bin HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % len(body) + body +
                      b"GET /index.html HTTP/1.1\r\nHost: t\r\n\r\n")
            r = ResponseReader(s)
            self.assertEqual(len(r.read()[2]), 1024)
            self.assertEqual(r.read()[2], b"<h1>home</h1>\n")

    def test_head_error_has_no_body(self):
        resp = self.raw(b"HEAD /missing HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        self.assertEqual(self.status_of(resp), 404)
        self.assertTrue(resp.endswith(b"\r\n\r\n"))

    def test_tls_port_closes_cleanly(self):
        got = self.raw(b"\x16\x03\x01\x00\x05hello", port=self.server.tls_port)
        # OpenSSL's alert (unexpected_message), then the close.
        self.assertEqual(got, b"\x15\x03\x03\x00\x02\x02\x0a")
        self.assert_still_serving()


if __name__ == "__main__":
    main()
