"""Conditional requests (304/412), byte ranges (206, multipart/byteranges, 416,
If-Range) and OPTIONS, over HTTP and HTTPS, checked byte for byte against the files."""
import os
import re
import socket
import ssl

from harness import ResponseReader, ServerTest, curl, main

FILES = ("1k.bin", "100k.bin", "1m.bin")  # kept in memory, spliced or read in chunks, large


def parse_multipart(content_type, body):
    """[(first, last, total, bytes)] of a multipart/byteranges body, strictly framed."""
    m = re.fullmatch(r"multipart/byteranges; boundary=(\S+)", content_type)
    assert m, content_type
    delim = b"\r\n--" + m.group(1).encode()
    parts, pos = [], 0
    while True:
        assert body.startswith(delim, pos), body[pos:pos + 80]
        pos += len(delim)
        if body[pos:] == b"--\r\n":
            return parts
        assert body.startswith(b"\r\n", pos)
        end = body.index(b"\r\n\r\n", pos)
        headers = dict(line.split(": ", 1) for line in body[pos + 2:end].decode().split("\r\n"))
        first, last, total = map(int, re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", headers["Content-Range"]).groups())
        pos = end + 4
        parts.append((first, last, total, body[pos:pos + last - first + 1]))
        pos += last - first + 1


class Transport:
    """Requests on one keep-alive connection; a second request after each checks framing."""
    tls = False

    def open(self):
        s = socket.create_connection(("127.0.0.1", self.server.tls_port if self.tls else self.server.port), timeout=10)
        if self.tls:
            ctx = ssl.create_default_context(cafile=self.server.cert)
            s = ctx.wrap_socket(s, server_hostname="localhost")
        return s

    def fetch(self, path, headers=None, method="GET"):
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        with self.open() as s:
            s.sendall(f"{method} {path} HTTP/1.1\r\nHost: t\r\n{extra}\r\n"
                      f"GET /index.html HTTP/1.1\r\nHost: t\r\n\r\n".encode())
            r = ResponseReader(s)
            status, h, body = r.read(head_only=method == "HEAD" or None)
            if status in (204, 304):
                self.assertNotIn("content-length", h)
                self.assertEqual(body, b"")
            nxt = r.read()
            self.assertEqual((nxt[0], nxt[2]), (200, b"<h1>home</h1>\n"), "the next response is misframed")
            return status, h, body

    def content(self, name):
        with open(os.path.join(self.server.root, name), "rb") as f:
            return f.read()

    def validators(self, name):
        _, h, _ = self.fetch("/" + name, method="HEAD")
        return h["etag"], h["last-modified"]

    # -- ranges -----------------------------------------------------------------
    def test_single_range_forms(self):
        for name in FILES:
            data, n = self.content(name), len(self.content(name))
            for spec, first, last in (("0-0", 0, 0), ("0-99", 0, 99), ("100-", 100, n - 1), ("-100", n - 100, n - 1),
                                      (f"-{2 * n}", 0, n - 1), (f"{n - 10}-{n + 1000}", n - 10, n - 1),
                                      (f"{n // 2}-{n // 2 + 4095}", n // 2, min(n // 2 + 4095, n - 1)),
                                      # positions past 64 bits are past the end, not bad syntax
                                      ("5-" + "9" * 25, 5, n - 1), ("-" + "9" * 25, 0, n - 1)):
                status, h, body = self.fetch("/" + name, {"Range": "bytes=" + spec})
                self.assertEqual(status, 206, (name, spec))
                self.assertEqual(h["content-range"], f"bytes {first}-{last}/{n}", (name, spec))
                self.assertEqual(body, data[first:last + 1], (name, spec))
                self.assertEqual(h["accept-ranges"], "bytes")

    def test_whole_file_says_accept_ranges(self):
        status, h, body = self.fetch("/1k.bin")
        self.assertEqual((status, h["accept-ranges"], body), (200, "bytes", self.content("1k.bin")))

    def test_multipart_reassembles(self):
        for name in FILES:
            data, n = self.content(name), len(self.content(name))
            status, h, body = self.fetch("/" + name, {"Range": f"bytes=-100, 0-99,{n // 2}-{n // 2 + 199}"})
            self.assertEqual(status, 206, name)
            parts = parse_multipart(h["content-type"], body)
            self.assertEqual([(p[0], p[1], p[2]) for p in parts],
                             [(0, 99, n), (n // 2, n // 2 + 199, n), (n - 100, n - 1, n)])
            for first, last, _, got in parts:
                self.assertEqual(got, data[first:last + 1])

    def test_overlapping_and_close_ranges_coalesce(self):
        data = self.content("100k.bin")
        status, h, body = self.fetch("/100k.bin", {"Range": "bytes=0-99,50-150,160-199,0-0"})
        self.assertEqual((status, h["content-range"], body), (206, "bytes 0-199/100000", data[:200]))

    def test_too_many_ranges_send_the_whole_file(self):
        spec = ",".join(f"{i * 1000}-{i * 1000 + 9}" for i in range(5))  # max_ranges = 4 here
        status, _, body = self.fetch("/100k.bin", {"Range": "bytes=" + spec})
        self.assertEqual((status, body), (200, self.content("100k.bin")))
        spec = ",".join(f"{i * 1000}-{i * 1000 + 9}" for i in range(4))
        self.assertEqual(self.fetch("/100k.bin", {"Range": "bytes=" + spec})[0], 206)

    def test_unsatisfiable(self):
        for name, spec in (("1k.bin", "1024-"), ("1k.bin", "5000-6000, 2000-"), ("1k.bin", "-0"),
                           ("1k.bin", "9" * 25 + "-"), ("1k.bin", "18446744073709551616-18446744073709551617"),
                           ("empty.bin", "0-"), ("empty.bin", "-5")):
            n = len(self.content(name))
            status, h, _ = self.fetch("/" + name, {"Range": "bytes=" + spec})
            self.assertEqual((status, h["content-range"]), (416, f"bytes */{n}"), (name, spec))

    def test_invalid_or_foreign_range_is_ignored(self):
        for spec in ("bytes=5-1", "items=0-1", "bytes=x-", "bytes=", "bytes=1-2-3"):
            status, _, body = self.fetch("/1k.bin", {"Range": spec})
            self.assertEqual((status, body), (200, self.content("1k.bin")), spec)

    def test_head_ignores_range(self):
        status, h, _ = self.fetch("/1k.bin", {"Range": "bytes=0-9"}, method="HEAD")
        self.assertEqual((status, h["content-length"]), (200, "1024"))

    def test_if_range(self):
        etag, lm = self.validators("100k.bin")
        for value, want in ((etag, 206), ('"stale"', 200), ("W/" + etag, 200), (lm, 206),
                            ("Thu, 01 Jan 1970 00:00:00 GMT", 200)):
            status, _, body = self.fetch("/100k.bin", {"Range": "bytes=0-9", "If-Range": value})
            self.assertEqual(status, want, value)
            self.assertEqual(len(body), 10 if want == 206 else 100_000)

    def curl(self, path, *args):
        """(status, headers text, body) as curl sees them."""
        url = self.server.tls_url(path) if self.tls else self.server.url(path)
        extra = self.server.curl_tls_args() if self.tls else []
        r = curl("-D", "-", "-o", "/dev/stdout", *extra, *args, url)
        self.assertEqual(r.returncode, 0, r.stderr)
        head, _, body = r.stdout.partition(b"\r\n\r\n")
        return int(head.split()[1]), head.decode("latin-1"), body

    def test_curl_ranges_and_conditionals(self):
        data = self.content("1m.bin")
        status, _, body = self.curl("/1m.bin", "-r", "1000-1999")
        self.assertEqual((status, body), (206, data[1000:2000]))
        status, head, body = self.curl("/1m.bin", "-r", "0-9,500000-500009")
        ctype = re.search(r"(?i)content-type: (.*)\r", head + "\r").group(1)
        self.assertEqual([(p[0], p[3]) for p in parse_multipart(ctype, body)],
                         [(0, data[:10]), (500000, data[500000:500010])])
        _, lm = self.validators("1m.bin")
        self.assertEqual(self.curl("/1m.bin", "-z", lm)[0], 304)  # If-Modified-Since

    # -- conditionals -----------------------------------------------------------
    def test_not_modified(self):
        etag, lm = self.validators("1k.bin")
        for headers in ({"If-None-Match": etag}, {"If-None-Match": "W/" + etag}, {"If-None-Match": '"x", ' + etag},
                        {"If-None-Match": "*"}, {"If-Modified-Since": lm}):
            for method in ("GET", "HEAD"):
                status, h, _ = self.fetch("/1k.bin", headers, method)
                self.assertEqual(status, 304, (headers, method))
                self.assertEqual((h["etag"], h["last-modified"]), (etag, lm))

    def test_modified(self):
        etag, _ = self.validators("1k.bin")
        for headers in ({"If-None-Match": '"other"'}, {"If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"},
                        {"If-Modified-Since": "garbage"},
                        # If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2)
                        {"If-None-Match": '"other"', "If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}):
            status, _, body = self.fetch("/1k.bin", headers)
            self.assertEqual((status, len(body)), (200, 1024), headers)

    def test_precondition_failed(self):
        etag, lm = self.validators("1k.bin")
        for headers in ({"If-Match": '"other"'}, {"If-Match": "W/" + etag},
                        {"If-Unmodified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"},
                        {"If-Match": '"other"', "If-None-Match": etag}):
            self.assertEqual(self.fetch("/1k.bin", headers)[0], 412, headers)
        for headers in ({"If-Match": etag}, {"If-Match": "*"}, {"If-Unmodified-Since": lm},
                        {"If-Match": etag, "If-Unmodified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"}):
            self.assertEqual(self.fetch("/1k.bin", headers)[0], 200, headers)

    def test_conditional_then_range(self):
        etag, _ = self.validators("100k.bin")
        status, _, body = self.fetch("/100k.bin", {"If-Match": etag, "Range": "bytes=10-19"})
        self.assertEqual((status, body), (206, self.content("100k.bin")[10:20]))
        self.assertEqual(self.fetch("/100k.bin", {"If-None-Match": etag, "Range": "bytes=10-19"})[0], 304)

    # -- methods ----------------------------------------------------------------
    def test_options(self):
        for target in ("/", "*", "/missing"):
            status, h, _ = self.fetch(target, method="OPTIONS")
            self.assertEqual((status, h["allow"]), (204, "GET, HEAD, OPTIONS"), target)

    def test_other_methods_405_with_allow(self):
        status, h, _ = self.fetch("/", method="DELETE")
        self.assertEqual((status, h["allow"]), (405, "GET, HEAD, OPTIONS"))


class Http(Transport, ServerTest):
    conf_extra = "[limits]\nmax_ranges = 4\n"


class Https(Transport, ServerTest):
    conf_extra = "[limits]\nmax_ranges = 4\n"
    tls = True


class HttpSendfile(Transport, ServerTest):
    """Parts of files not kept in memory through sendfile (the kTLS default)."""
    conf_extra = '[limits]\nmax_ranges = 4\n[io_uring]\nlarge_body = "sendfile"\n'


class HttpSpliced(Transport, ServerTest):
    """Parts through splice rounds."""
    conf_extra = '[limits]\nmax_ranges = 4\n[io_uring]\nlarge_body = "splice"\n'


class HttpReadChunks(Transport, ServerTest):
    """Parts of large files through READ_FIXED + SEND instead of the mapping."""
    conf_extra = '[limits]\nmax_ranges = 4\n[io_uring]\nlarge_body = "read"\nfixed_buffer_size = 16384\n'


if __name__ == "__main__":
    main()
