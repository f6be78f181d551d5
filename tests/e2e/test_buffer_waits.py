"""Large bodies when registered buffers run out: with 4 buffers per worker and a dozen
64 MiB HTTPS downloads at once (HTTP/1.1 and HTTP/2; some read slowly, so their sends spill), connections wait
for a buffer between chunks and resume. Every body arrives sha256-exact and the
server keeps serving. (Found by the benchmark: a connection resumed for its next
chunk without taking the buffer it had waited for, and the worker crashed.)"""
import concurrent.futures
import hashlib
import os

from harness import ServerTest, curl, main, sha256_file


class BufferWaits(ServerTest):
    workers = 1
    conf_extra = "[io_uring]\nfixed_buffers = 4\nfixed_buffer_size = 16384\n"

    def download(self, i):
        # A third read slowly: their sockets fill, their sends spill, and they need a
        # buffer again for every chunk while the others hold all four.
        args = ["--limit-rate", "24M"] if i % 3 == 0 else []
        args += ["--http1.1"] if i % 2 else []  # the rest over HTTP/2: its frames wait for buffers too
        r = curl(*self.server.curl_tls_args(), *args, "-o", "-", self.server.tls_url("/64m.bin"))
        return r.returncode, hashlib.sha256(r.stdout).hexdigest()

    def test_many_https_downloads_share_four_buffers(self):
        want = sha256_file(os.path.join(self.server.root, "64m.bin"))
        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            results = list(pool.map(self.download, range(12)))
        self.assertEqual(results, [(0, want)] * 12)
        r = curl(self.server.url("/64m.bin"))
        self.assertEqual(hashlib.sha256(r.stdout).hexdigest(), want)
        self.assert_still_serving()


if __name__ == "__main__":
    main()
