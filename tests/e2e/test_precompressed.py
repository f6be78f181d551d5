"""Precompressed sidecars: x.br / x.zst / x.gz chosen by Accept-Encoding q-values,
with Content-Encoding, Vary, an ETag per coding, ranges over the coded bytes, 304s,
and 406 when identity is refused and nothing else is there."""
import atexit
import os
import shutil
import socket
import ssl
import tempfile

from harness import ResponseReader, ServerTest, main

FILES = {"style.css": b"body { color: red }\n" * 10, "style.css.br": b"BR-CODED" * 7, "style.css.gz": b"GZ-CODED" * 9,
         "style.css.zst": b"ZSTD-CODED" * 5, "only-gz.js": b"var x = 1;\n", "only-gz.js.gz": b"GZ-JS",
         "plain.txt": b"plain\n", "sub/index.html": b"<p>index</p>\n", "sub/index.html.br": b"BR-INDEX"}
ROOT = tempfile.mkdtemp(prefix="uringd-precompressed-")
atexit.register(shutil.rmtree, ROOT, True)
for rel, data in FILES.items():
    os.makedirs(os.path.dirname(os.path.join(ROOT, rel)), exist_ok=True)
    with open(os.path.join(ROOT, rel), "wb") as f:
        f.write(data)


class Precompressed(ServerTest):
    conf_extra = f'[[site]]\nroot = "{ROOT}"\nserver_names = ["c.test"]\nprecompressed = true\n'

    def get(self, path, accept=None, tls=False, **extra):
        headers = {"Host": "c.test", **({"Accept-Encoding": accept} if accept is not None else {}), **extra}
        s = socket.create_connection(("127.0.0.1", self.server.tls_port if tls else self.server.port), timeout=10)
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE  # SNI must name c.test (else 421)
            s = ctx.wrap_socket(s, server_hostname="c.test")
        with s:
            lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            s.sendall(f"GET {path} HTTP/1.1\r\n{lines}\r\n".encode())
            return ResponseReader(s).read()

    def check(self, path, accept, sidecar, coding, **extra):
        status, h, body = self.get(path, accept, **extra)
        self.assertEqual((status, body), (200, FILES[sidecar]), accept)
        self.assertEqual(h.get("content-encoding"), coding, accept)
        self.assertEqual(h["vary"], "Accept-Encoding")
        return h

    def test_negotiation(self):
        css = "text/css"
        h = self.check("/style.css", "gzip, deflate, br, zstd", "style.css.br", "br")
        self.assertTrue(h["content-type"].startswith(css), h["content-type"])
        self.check("/style.css", "gzip", "style.css.gz", "gzip")
        self.check("/style.css", "zstd, gzip;q=0.5", "style.css.zst", "zstd")
        self.check("/style.css", "br;q=0.1, gzip;q=0.9", "style.css.gz", "gzip")
        self.check("/style.css", "br;q=0, gzip;q=0", "style.css", None)
        self.check("/style.css", "br;q=0.5, identity", "style.css", None)
        self.check("/style.css", None, "style.css", None)
        self.check("/only-gz.js", "br", "only-gz.js", None)
        self.check("/only-gz.js", "br, gzip", "only-gz.js.gz", "gzip")
        self.check("/sub/", "br", "sub/index.html.br", "br")
        self.check("/style.css", "br", "style.css.br", "br", tls=True)

    def test_etag_per_coding(self):
        tags = {self.get("/style.css", a)[1]["etag"] for a in (None, "br", "gzip", "zstd")}
        self.assertEqual(len(tags), 4)
        br = self.get("/style.css", "br")[1]["etag"]
        self.assertEqual(self.get("/style.css", "br", **{"If-None-Match": br})[0], 304)
        self.assertEqual(self.get("/style.css", "gzip", **{"If-None-Match": br})[0], 200)

    def test_ranges_over_the_coded_bytes(self):
        status, h, body = self.get("/style.css", "br", Range="bytes=2-5")
        n = len(FILES["style.css.br"])
        self.assertEqual((status, h["content-range"], body), (206, f"bytes 2-5/{n}", FILES["style.css.br"][2:6]))
        self.assertEqual(h["content-encoding"], "br")

    def test_identity_refused(self):
        self.assertEqual(self.get("/plain.txt", "identity;q=0")[0], 406)
        self.assertEqual(self.get("/plain.txt", "gzip, *;q=0")[0], 406)
        self.check("/style.css", "gzip, identity;q=0", "style.css.gz", "gzip")

    def test_sidecar_itself_and_other_sites_untouched(self):
        status, h, body = self.get("/style.css.br", "br")
        self.assertEqual((status, body, h.get("content-encoding")), (200, FILES["style.css.br"], None))
        status, h, _ = self.get("/index.html", "br", Host="localhost")  # the default site does not precompress
        self.assertNotIn("vary", h)


if __name__ == "__main__":
    main()
