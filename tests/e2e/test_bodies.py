"""Bodies of every size class arrive byte-exact over GET (curl), with correct heads
for HEAD; index files and directory redirects."""
import hashlib
import os

from harness import SIZES, ServerTest, curl, main, sha256_file


class Bodies(ServerTest):
    def test_get_is_byte_exact(self):
        for name, size in SIZES.items():
            with self.subTest(name=name):
                r = curl(self.server.url("/" + name), "-o", "-", "-w", "")
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(len(r.stdout), size)
                self.assertEqual(hashlib.sha256(r.stdout).hexdigest(),
                                 sha256_file(os.path.join(self.server.root, name)))

    def test_head_has_length_and_no_body(self):
        for name, size in SIZES.items():
            with self.subTest(name=name):
                r = curl("-I", self.server.url("/" + name))
                head = r.stdout.decode()
                self.assertIn("HTTP/1.1 200 OK", head)
                self.assertIn(f"Content-Length: {size}\r\n", head)
                self.assertIn("ETag: \"", head)
                self.assertIn("Last-Modified: ", head)
                self.assertTrue(head.endswith("\r\n\r\n"), "HEAD response carried a body")

    def test_content_types(self):
        for path, ctype in {"/index.html": "text/html; charset=utf-8", "/style.css": "text/css; charset=utf-8",
                            "/1k.bin": "application/octet-stream"}.items():
            r = curl("-o", "/dev/null", "-w", "%{content_type}", self.server.url(path))
            self.assertEqual(r.stdout.decode(), ctype)

    def test_index_and_directory_redirect(self):
        r = curl(self.server.url("/"))
        self.assertEqual(r.stdout, b"<h1>home</h1>\n")
        r = curl(self.server.url("/sub/"))
        self.assertEqual(r.stdout, b"sub index\n")
        resp = self.request("/sub?x=1&y=2")
        self.assertEqual(self.status_of(resp), 301)
        self.assertIn(b"\r\nLocation: /sub/?x=1&y=2\r\n", resp)
        resp = self.request("/sub/deeper")
        self.assertIn(b"\r\nLocation: /sub/deeper/\r\n", resp)

    def test_directory_without_index_is_403(self):
        self.assertEqual(self.status_of(self.request("/noindex/")), 403)

    def test_percent_encoded_name(self):
        r = curl(self.server.url("/sub/deeper/a%20b.txt"))
        self.assertEqual(r.stdout, b"spaced\n")

    def test_symlink_inside_root_is_served(self):
        self.assertEqual(curl(self.server.url("/inside-link")).stdout, b"sub index\n")

    def test_fifo_is_refused_without_blocking(self):
        self.assertEqual(self.status_of(self.request("/fifo")), 403)
        self.assert_still_serving()

    def test_hidden_files(self):
        self.assertEqual(self.status_of(self.request("/.secret")), 403)
        self.assertEqual(curl(self.server.url("/.well-known/acme.txt")).stdout, b"challenge\n")


if __name__ == "__main__":
    main()
