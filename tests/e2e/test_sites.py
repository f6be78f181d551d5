"""Several sites on one port chosen by Host (and SNI), site headers (nosniff, HSTS,
custom headers, Cache-Control rules), unknown-Host policies and the HTTP → HTTPS
redirect listener, against the real binary."""
import atexit
import os
import shutil
import socket
import ssl
import tempfile

from harness import ResponseReader, Server, ServerTest, free_port, main


def site_b():
    root = tempfile.mkdtemp(prefix="uringd-site-b-")
    os.makedirs(os.path.join(root, "assets"))
    os.makedirs(os.path.join(root, "errors"))
    for rel, text in {"index.html": "<h1>site b</h1>\n", "assets/app.css": "b{}\n", "only-b.txt": "b\n",
                      "errors/404.html": "<h1>b has no such page</h1>\n", ".hidden": "x\n"}.items():
        with open(os.path.join(root, rel), "w") as f:
            f.write(text)
    return root


B_ROOT = site_b()
atexit.register(shutil.rmtree, B_ROOT, True)
C_ROOT = tempfile.mkdtemp(prefix="uringd-site-c-")
atexit.register(shutil.rmtree, C_ROOT, True)
with open(os.path.join(C_ROOT, "only-c.txt"), "w") as f:
    f.write("c\n")
REDIRECT_PORT = free_port()
B_SITE = f'''
[[site]]
root = "{B_ROOT}"
server_names = ["b.test", "*.wild.test"]
nosniff = false
hsts = "max-age=100"
headers = {{ X-Site = "b" }}
error_pages = {{ 404 = "/errors/404.html", 403 = "/errors/missing.html" }}
cache_control = [{{ match = "/assets/", value = "max-age=31536000, immutable" }}, {{ match = "*.html", value = "no-cache" }}]
[[site]]
root = "{C_ROOT}"
server_names = ["exact.wild.test"]
[[listen]]
address = "127.0.0.1:{REDIRECT_PORT}"
https_redirect = true
'''


class Sites(ServerTest):
    conf_extra = B_SITE

    def get(self, target, host, tls=False, sni=None, method="GET", port=None, version="HTTP/1.1"):
        s = socket.create_connection(("127.0.0.1", port or (self.server.tls_port if tls else self.server.port)),
                                     timeout=10)
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE  # one certificate for every name here
            s = ctx.wrap_socket(s, server_hostname=sni)
        with s:
            host_line = f"Host: {host}\r\n" if host is not None else ""
            s.sendall(f"{method} {target} {version}\r\n{host_line}Connection: close\r\n\r\n".encode())
            return ResponseReader(s).read(head_only=method == "HEAD")

    def test_host_chooses_the_site(self):
        for host in ("b.test", "B.TEST:8080", "b.test.", "x.wild.test"):
            self.assertEqual(self.get("/only-b.txt", host)[:3:2], (200, b"b\n"), host)

    def test_an_exact_name_beats_an_earlier_wildcard(self):
        # b's *.wild.test comes first; c names exact.wild.test (nginx's order).
        for host in ("exact.wild.test", "EXACT.wild.test.:80"):
            self.assertEqual(self.get("/only-c.txt", host)[:3:2], (200, b"c\n"), host)
            self.assertEqual(self.get("/only-c.txt", host, tls=True, sni="exact.wild.test")[:3:2], (200, b"c\n"))
        self.assertEqual(self.get("/only-b.txt", "other.wild.test")[:3:2], (200, b"b\n"))
        for host in ("localhost", "unknown.test", "a.b.wild.test", "127.0.0.1"):
            self.assertEqual(self.get("/", host)[2], b"<h1>home</h1>\n", host)  # the default site
            self.assertEqual(self.get("/only-b.txt", host)[0], 404, host)

    def test_invalid_host_is_400(self):
        for host in ("bad host", "a/b", "[::1", "a:99999999"):
            self.assertEqual(self.get("/", host)[0], 400, host)

    def test_absolute_form_authority_wins_over_host(self):
        self.assertEqual(self.get("http://b.test/only-b.txt", "localhost")[:3:2], (200, b"b\n"))

    def test_site_headers(self):
        status, h, _ = self.get("/", "localhost")
        self.assertEqual((status, h.get("x-content-type-options")), (200, "nosniff"))
        self.assertNotIn("x-site", h)
        status, h, _ = self.get("/", "b.test")
        self.assertEqual((h.get("x-site"), h.get("cache-control")), ("b", "no-cache"))
        self.assertNotIn("x-content-type-options", h)
        self.assertNotIn("strict-transport-security", h)  # plain HTTP
        self.assertEqual(self.get("/assets/app.css", "b.test")[1]["cache-control"], "max-age=31536000, immutable")
        status, h, _ = self.get("/missing", "b.test")
        self.assertEqual((status, h.get("x-site"), h.get("cache-control")), (404, "b", None))
        etag = self.get("/assets/app.css", "b.test")[1]["etag"]
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        with s:
            s.sendall(f"GET /assets/app.css HTTP/1.1\r\nHost: b.test\r\nIf-None-Match: {etag}\r\n\r\n".encode())
            status, h, _ = ResponseReader(s).read()
        self.assertEqual((status, h["cache-control"]), (304, "max-age=31536000, immutable"))

    def test_error_pages(self):
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s:
            s.sendall(b"GET /nope HTTP/1.1\r\nHost: b.test\r\n\r\nHEAD /nope HTTP/1.1\r\nHost: b.test\r\n\r\n"
                      b"GET /.hidden HTTP/1.1\r\nHost: b.test\r\n\r\nGET /nope HTTP/1.1\r\nHost: localhost\r\n\r\n")
            r = ResponseReader(s)
            status, h, body = r.read()
            self.assertEqual((status, body), (404, b"<h1>b has no such page</h1>\n"))
            self.assertTrue(h["content-type"].startswith("text/html"))
            self.assertEqual((h.get("x-site"), h.get("etag"), h.get("accept-ranges")), ("b", None, None))
            status, h, _ = r.read(head_only=True)
            self.assertEqual((status, h["content-length"]), (404, str(len(b"<h1>b has no such page</h1>\n"))))
            status, _, body = r.read()  # its page is missing: the built-in one
            self.assertEqual(status, 403)
            self.assertIn(b"403 Forbidden", body)
            status, _, body = r.read()  # the default site has no pages
            self.assertIn(b"404 Not Found", body)

    def test_hsts_only_over_tls(self):
        status, h, _ = self.get("/", "b.test", tls=True, sni="b.test")
        self.assertEqual((status, h.get("strict-transport-security")), (200, "max-age=100"))

    def test_sni_and_host_must_agree(self):
        self.assertEqual(self.get("/only-b.txt", "b.test", tls=True, sni="b.test")[0], 200)
        self.assertEqual(self.get("/", "localhost", tls=True, sni="b.test")[0], 421)
        self.assertEqual(self.get("/only-b.txt", "b.test", tls=True, sni="localhost")[0], 421)
        self.assertEqual(self.get("/only-b.txt", "b.test", tls=True, sni=None)[0], 200)  # no SNI: Host decides
        # HTTP/1.0 without Host: SNI decides
        self.assertEqual(self.get("/only-b.txt", None, tls=True, sni="b.test", version="HTTP/1.0")[0], 200)
        self.assertEqual(self.get("/only-b.txt", None, tls=True, sni="localhost", version="HTTP/1.0")[0], 404)

    def test_https_redirect(self):
        status, h, _ = self.get("/sub/x?y=1&z", "b.test:1234", port=REDIRECT_PORT)
        self.assertEqual((status, h["location"]), (301, f"https://b.test:{self.server.tls_port}/sub/x?y=1&z"))
        status, h, _ = self.get("/form", "b.test", method="POST", port=REDIRECT_PORT)
        self.assertEqual((status, h["location"]), (308, f"https://b.test:{self.server.tls_port}/form"))
        status, h, _ = self.get("http://a.test/p", "b.test", port=REDIRECT_PORT)
        self.assertEqual(h["location"], f"https://a.test:{self.server.tls_port}/p")


class UnknownHost421(ServerTest):
    conf_extra = "[server]\nunknown_host = \"421\"\n" + B_SITE.replace(str(REDIRECT_PORT), str(free_port()))

    def test_unknown_host_gets_421(self):
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: nobody.test\r\n\r\nGET /only-b.txt HTTP/1.1\r\nHost: b.test\r\n\r\n")
            r = ResponseReader(s)
            self.assertEqual(r.read()[0], 421)
            self.assertEqual(r.read()[:3:2], (200, b"b\n"))  # the connection stays usable


class UnknownHost404(ServerTest):
    conf_extra = "[server]\nunknown_host = \"404\"\n" + B_SITE.replace(str(REDIRECT_PORT), str(free_port()))

    def test_unknown_host_gets_404(self):
        self.assertEqual(self.status_of(self.request("/", headers="Host: nobody.test\r\n")), 404)
        self.assertEqual(self.status_of(self.request("/only-b.txt", headers="Host: b.test\r\n")), 200)


if __name__ == "__main__":
    main()
