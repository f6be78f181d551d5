"""HTTP/1.1 framing (RFC 9112 §2.2, §5, §6, §7.1) over raw sockets, plain and TLS:
every malformed shape, in several spellings, gets one 400 (or 413/501) and a close,
and the request smuggled after it is never answered. Error responses reach the
client even when it is still sending (lingering close), and a file named with a
trailing slash is 404. docs/http.md "Framing" lists the rules."""
import re

from framing_cases import CHUNKED, MALFORMED, NEXT, WELL_FORMED
from harness import ResponseReader, ServerTest, curl, main

STATUS = re.compile(rb"(?:^|\r\n\r\n|\n)HTTP/1\.1 (\d{3}) ")


class Framing(ServerTest):
    conf_extra = "[limits]\nmax_body = 1000\nheader_buffer_size = 16384\nmax_uri = 8192\n"

    def statuses(self, data, tls):
        resp, ended = self.exchange(data, timeout=5, tls=tls)
        return [int(x) for x in STATUS.findall(resp)], resp, ended

    def test_malformed_framing_is_400_and_nothing_after_it_is_answered(self):
        for tls in (False, True):
            for name, data in MALFORMED.items():
                with self.subTest(name, tls=tls):
                    codes, resp, ended = self.statuses(data + NEXT, tls)
                    self.assertEqual(codes, [400], resp[:400])
                    self.assertIn(b"\r\nConnection: close\r\n", resp)
                    self.assertEqual(ended, "eof")
        self.assert_still_serving()

    def test_unknown_coding_before_chunked_is_501(self):
        for tls in (False, True):
            codes, resp, _ = self.statuses(
                b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" + NEXT, tls)
            self.assertEqual(codes, [501], resp[:300])

    def test_well_formed_framing_is_answered_and_the_next_request_too(self):
        for tls in (False, True):
            for name, data in WELL_FORMED.items():
                with self.subTest(name, tls=tls):
                    with self.connect(tls=tls) as s:
                        s.sendall(data + NEXT)
                        r = ResponseReader(s)
                        first = r.read()[0]
                        self.assertIn(first, (200, 404, 405), name)
                        self.assertEqual(r.read()[0], 200, name)

    # -- lingering close: an error response is not destroyed by a reset -------------
    def assert_status_arrives(self, data, status):
        for tls in (False, True):
            with self.subTest(status=status, tls=tls, size=len(data)):
                codes, resp, ended = self.statuses(data, tls)
                self.assertEqual(codes[:1], [status], (ended, resp[:300]))
                self.assertNotEqual(ended, "reset", "the response was cut by a reset")

    def test_431_for_a_100k_head_in_one_write(self):
        fields = b"".join(b"X-Field-%04d: some value\r\n" % i for i in range(4000))
        self.assert_status_arrives(b"GET / HTTP/1.1\r\nHost: t\r\n" + fields + b"\r\n", 431)

    def test_431_for_one_huge_field(self):
        self.assert_status_arrives(b"GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + b"v" * 200_000 + b"\r\n\r\n", 431)

    def test_414_for_a_huge_target(self):
        self.assert_status_arrives(b"GET /" + b"a" * 150_000 + b" HTTP/1.1\r\nHost: t\r\n\r\n", 414)

    def test_413_while_the_body_keeps_coming(self):
        self.assert_status_arrives(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 300000\r\n\r\n" + b"b" * 300_000,
                                   413)
        self.assert_status_arrives(CHUNKED + b"30000\r\n" + b"b" * 0x30000 + b"\r\n0\r\n\r\n", 413)

    def test_400_with_more_input_behind_it(self):
        self.assert_status_arrives(b"GET / HTTP/1.1\r\nHost: t\r\nFoo : bar\r\n\r\n" + NEXT * 3000, 400)

    def test_connection_close_with_pipelined_input_behind_it(self):
        # The last response of a connection is not lost to the requests nobody reads.
        data = b"GET /64k.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n" + NEXT * 5000
        for tls in (False, True):
            with self.subTest(tls=tls):
                with self.connect(tls=tls) as s:
                    s.sendall(data)
                    status, headers, body = ResponseReader(s).read()
                    self.assertEqual((status, len(body)), (200, 65536))

    # -- paths --------------------------------------------------------------------
    def test_trailing_slash_on_a_file_is_404(self):
        for path in ("/index.html/", "/1k.bin/", "/1m.bin/", "/sub/index.html/", "/1k.bin//", "/1k.bin/.",
                     "/1k.bin%2F", "/1k.bin/?x=1", "/style.css/"):
            for tls in (False, True):
                with self.subTest(path=path, tls=tls):
                    args = [*self.server.curl_tls_args(), self.server.tls_url(path)] if tls else [self.server.url(path)]
                    r = curl("-o", "/dev/null", "-w", "%{http_code}", *args)
                    self.assertEqual(r.stdout, b"404")
        for path, status in (("/sub/", 200), ("/sub", 301), ("/index.html", 200), ("/sub/deeper/", 403)):
            r = curl("-o", "/dev/null", "-w", "%{http_code}", self.server.url(path))
            self.assertEqual(r.stdout, str(status).encode(), path)


if __name__ == "__main__":
    main()
