"""Directory listings: off by default (403), on per site: HTML with every visible
entry, names escaped, hidden files never shown, nothing outside the root."""
import atexit
import os
import shutil
import tempfile

from harness import ServerTest, main

ROOT = tempfile.mkdtemp(prefix="uringd-listing-")
atexit.register(shutil.rmtree, ROOT, True)
os.makedirs(os.path.join(ROOT, "d", "sub"))
os.makedirs(os.path.join(ROOT, "d", ".git"))
for rel, data in {"d/b.txt": b"bb", "d/a <&> \"q\".txt": b"a", "d/.env": b"SECRET", "d/sub/x": b"x"}.items():
    with open(os.path.join(ROOT, rel), "wb") as f:
        f.write(data)
os.symlink("/etc", os.path.join(ROOT, "d", "outside"))


class Listing(ServerTest):
    conf_extra = f'[[site]]\nroot = "{ROOT}"\nserver_names = ["l.test"]\nlisting = true\n'

    def get(self, path, host="l.test", method="GET"):
        r = self.raw(f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        head, _, body = r.partition(b"\r\n\r\n")
        return self.status_of(r), head.decode("latin-1"), body.decode()

    def test_listing(self):
        status, head, body = self.get("/d/")
        self.assertEqual(status, 200)
        self.assertIn("Content-Type: text/html; charset=utf-8", head)
        self.assertIn('href="./sub/"', body)
        self.assertIn('href="./b.txt"', body)
        self.assertIn("a &lt;&amp;&gt; &quot;q&quot;.txt", body)
        self.assertIn('href="./a%20%3C&amp;%3E%20%22q%22.txt"', body)
        self.assertNotIn(".env", body)
        self.assertNotIn(".git", body)
        self.assertLess(body.index("sub/"), body.index("b.txt"))
        self.assertIn(">outside</a>", body)  # described, not followed
        self.assertEqual(self.get("/d/outside/passwd")[0], 403)  # and the kernel still refuses it

    def test_head_and_root(self):
        self.assertEqual(self.get("/d/", method="HEAD")[0], 200)
        status, _, body = self.get("/")
        self.assertEqual(status, 200)
        self.assertNotIn("../", body)

    def test_off_by_default(self):
        self.assertEqual(self.get("/noindex/", host="localhost")[0], 403)

    def test_a_listing_follows_the_directory_at_once(self):
        # Rendered once and cached, but the directory is watched (inotify): a file
        # created, renamed or deleted shows in the next listing, not valid_ms later.
        self.assertNotIn("new.txt", self.get("/d/")[2])
        with open(os.path.join(ROOT, "d", "new.txt"), "w") as f:
            f.write("n")
        self.assertIn("new.txt", self.get("/d/")[2])
        os.rename(os.path.join(ROOT, "d", "new.txt"), os.path.join(ROOT, "d", "renamed.txt"))
        body = self.get("/d/")[2]
        self.assertIn("renamed.txt", body)
        self.assertNotIn("new.txt", body)
        os.unlink(os.path.join(ROOT, "d", "renamed.txt"))
        self.assertNotIn("renamed.txt", self.get("/d/")[2])


if __name__ == "__main__":
    main()
