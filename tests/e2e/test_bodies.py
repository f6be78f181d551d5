"""Bodies of every size class arrive byte-exact over GET (curl), with correct heads
for HEAD; index files and directory redirects."""
import hashlib
import os
import re
import time

from harness import (SIZES, ResponseReader, ServerTest, curl, free_port, main, metrics_total, scrape_metrics,
                     sha256_file)

ADMIN = free_port()


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



class CachedFiles(ServerTest):
    """The open-file cache: changes on disk show up after [cache] valid_ms."""
    conf_extra = "[cache]\nvalid_ms = 300\n"

    def test_file_replaced_by_rename_is_served_fresh(self):
        path = os.path.join(self.server.root, "live.txt")
        with open(path, "w") as f:
            f.write("version 1\n")
        self.assertEqual(curl(self.server.url("/live.txt")).stdout, b"version 1\n")
        self.assertEqual(curl(self.server.url("/live.txt")).stdout, b"version 1\n")  # a cache hit
        tmp = path + ".new"
        with open(tmp, "w") as f:
            f.write("version 2, longer\n")
        os.rename(tmp, path)
        time.sleep(0.6)
        self.assertEqual(curl(self.server.url("/live.txt")).stdout, b"version 2, longer\n")

    def test_deleted_file_404s_and_created_file_appears(self):
        path = os.path.join(self.server.root, "comes-and-goes.txt")
        self.assertEqual(self.status_of(self.request("/comes-and-goes.txt")), 404)  # cached as missing
        with open(path, "w") as f:
            f.write("here\n")
        time.sleep(0.6)
        self.assertEqual(curl(self.server.url("/comes-and-goes.txt")).stdout, b"here\n")
        os.unlink(path)
        time.sleep(0.6)
        self.assertEqual(self.status_of(self.request("/comes-and-goes.txt")), 404)

    def test_large_file_truncated_mid_transfer_closes_cleanly(self):
        path = os.path.join(self.server.root, "shrinks.bin")
        original = os.urandom(32 << 20)
        with open(path, "wb") as f:
            f.write(original)
        with self.connect() as s:
            s.sendall(b"GET /shrinks.bin HTTP/1.1\r\nHost: t\r\n\r\n")
            got = s.recv(65536)
            self.assertIn(b"Content-Length: 33554432", got)
            os.truncate(path, 1 << 20)
            chunks = [got]
            s.settimeout(10)
            try:
                while chunk := s.recv(1 << 20):
                    chunks.append(chunk)
            except ConnectionResetError:
                pass
            body = b"".join(chunks).split(b"\r\n\r\n", 1)[1]
            self.assertLess(len(body), 32 << 20)  # cut short, then closed
            # What arrived is the file's bytes, not padding. (Past the new end, bytes
            # already in flight may come from pages the truncation was zeroing: the
            # same race as with sendfile. The part the file kept must be exact.)
            kept = min(len(body), 1 << 20)
            self.assertEqual(body[:kept], original[:kept])
        time.sleep(0.6)
        r = curl(self.server.url("/shrinks.bin"))
        self.assertEqual(len(r.stdout), 1 << 20)
        self.assert_still_serving()


class WatchedFiles(ServerTest):
    """Changes on disk show up at once (the cache watches its directories with
    inotify), with a validity so long that only the watch can explain it."""
    conf_extra = "[cache]\nvalid_ms = 600000\n"

    def put(self, rel, data):
        path = os.path.join(self.server.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".tmp", "wb") as f:
            f.write(data)
        os.rename(path + ".tmp", path)

    def test_replaced_rewritten_deleted_and_created_files(self):
        for size in (100, 200 << 10):  # a body kept in memory, and one sent from the file
            with self.subTest(size=size):
                name = f"w{size}.bin"
                one, two, three = (os.urandom(size) for _ in range(3))
                self.put(name, one)
                r = curl("-D", "-", self.server.url("/" + name))
                self.assertTrue(r.stdout.endswith(one))
                etag = re.search(rb"ETag: (\S+)", r.stdout).group(1)
                self.put(name, two)  # replaced by rename
                self.assertEqual(curl(self.server.url("/" + name)).stdout, two)
                with open(os.path.join(self.server.root, name), "r+b") as f:  # rewritten in place
                    f.write(three)
                r = curl("-D", "-", "-H", b"If-None-Match: " + etag, self.server.url("/" + name))
                self.assertIn(b" 200 ", r.stdout.split(b"\r\n")[0])
                self.assertTrue(r.stdout.endswith(three))
                os.unlink(os.path.join(self.server.root, name))
                self.assertEqual(self.status_of(self.request("/" + name)), 404)
                self.put(name, one)
                self.assertEqual(curl(self.server.url("/" + name)).stdout, one)

    def test_a_file_in_a_directory_that_did_not_exist(self):
        self.assertEqual(self.status_of(self.request("/later/deeper/x.txt")), 404)  # cached as missing
        self.put("later/deeper/x.txt", b"x\n")
        self.assertEqual(curl(self.server.url("/later/deeper/x.txt")).stdout, b"x\n")
        self.put("later/index.html", b"<h1>later</h1>\n")
        self.assertEqual(curl(self.server.url("/later/")).stdout, b"<h1>later</h1>\n")
        os.rename(os.path.join(self.server.root, "later"), os.path.join(self.server.root, "gone"))
        self.assertEqual(self.status_of(self.request("/later/deeper/x.txt")), 404)
        self.assertEqual(curl(self.server.url("/gone/deeper/x.txt")).stdout, b"x\n")


# The same bodies and the same cut-short file, with sendfile and with splice rounds
# instead of sends from the file's mapping (the default).
class SendfileBodies(Bodies):
    conf_extra = '[io_uring]\nlarge_body = "sendfile"\n'


class SendfileCachedFiles(CachedFiles):
    conf_extra = CachedFiles.conf_extra + '[io_uring]\nlarge_body = "sendfile"\n'


class SplicedBodies(Bodies):
    conf_extra = '[io_uring]\nlarge_body = "splice"\n'


class SplicedCachedFiles(CachedFiles):
    conf_extra = CachedFiles.conf_extra + '[io_uring]\nlarge_body = "splice"\n'


class PathByLoad(ServerTest):
    """With the default large_body = "mmap" over plain TCP, a body leaves by sendfile
    when its file is at most 64 KiB or the worker holds 128 connections or more, and
    from the file's mapping otherwise (docs/io_uring.md). /metrics counts the bytes by
    path: the mapping's sends as "copy"."""
    workers = 1
    conf_extra = f'[admin]\nenabled = true\naddress = "127.0.0.1:{ADMIN}"\n'

    def fetch_by_path(self, name):
        before = scrape_metrics(ADMIN)
        r = curl(self.server.url("/" + name), "-o", "-", "-w", "")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(hashlib.sha256(r.stdout).hexdigest(), sha256_file(os.path.join(self.server.root, name)))
        after = scrape_metrics(ADMIN)
        return {path: metrics_total(after, "uringd_sent_bytes_total", path=path) -
                metrics_total(before, "uringd_sent_bytes_total", path=path) for path in ("copy", "sendfile")}

    def test_few_connections(self):
        self.assertGreaterEqual(self.fetch_by_path("64k.bin")["sendfile"], 65536)
        sent = self.fetch_by_path("1m.bin")
        self.assertGreaterEqual(sent["copy"], 1 << 20)
        self.assertLess(sent["sendfile"], 1 << 20)

    def test_many_connections(self):
        idle = [self.connect() for _ in range(130)]
        try:
            for s in idle:  # each one served: accepted and live on the worker
                s.sendall(b"GET /1k.bin HTTP/1.1\r\nHost: t\r\n\r\n")
            for s in idle:
                self.assertEqual(ResponseReader(s).read()[0], 200)
            self.assertGreaterEqual(metrics_total(scrape_metrics(ADMIN), "uringd_connections_open"), 130)
            for name in ("100k.bin", "1m.bin"):
                with self.subTest(name=name):
                    sent = self.fetch_by_path(name)
                    self.assertGreaterEqual(sent["sendfile"], SIZES[name])
                    self.assertLess(sent["copy"], SIZES[name])
        finally:
            for s in idle:
                s.close()
        deadline = time.monotonic() + 10
        while metrics_total(scrape_metrics(ADMIN), "uringd_connections_open") >= 128:  # the worker sees them go
            self.assertLess(time.monotonic(), deadline, "the closed connections are still counted open")
        self.assertGreaterEqual(self.fetch_by_path("1m.bin")["copy"], 1 << 20)


class BatchedWaits(Bodies):
    """batch_wait_us: each wait asks for as many completions as connections are open
    and takes up to 200 µs for them (Linux 6.12's min_wait). Every body test holds."""
    conf_extra = "[io_uring]\nbatch_wait_us = 200\n"

    def test_ready_line_names_the_batching(self):
        log = self.server.read_log()
        release = tuple(int(x) for x in re.match(r"(\d+)\.(\d+)", os.uname().release).groups())
        if release >= (6, 12):
            self.assertIn("batch_wait=200us", log)
        else:
            self.assertIn("batch_wait_us ignored", log)


if __name__ == "__main__":
    main()
