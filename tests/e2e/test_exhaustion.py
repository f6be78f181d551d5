"""Resource exhaustion: out of file descriptors (RLIMIT_NOFILE = 64), a provided-buffer
ring that runs dry and a tiny SQ/CQ. uringd keeps serving what it can, answers 503
where a file cannot be opened, logs once per interval (not per event) and recovers
when the load drops."""
import hashlib
import os
import socket
import time
import unittest

from harness import ResponseReader, Server, curl, main, sha256_file

GET = b"GET /index.html HTTP/1.1\r\nHost: t\r\n\r\n"


def open_and_ask(port, timeout):
    """A keep-alive connection that sent one request; its response, or None."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(GET)
    s.settimeout(timeout)
    reader = ResponseReader(s)
    try:
        return s, reader, reader.read()
    except (socket.timeout, EOFError, ConnectionResetError):
        return s, reader, None


class OutOfDescriptors(unittest.TestCase):
    def setUp(self):
        # Splice, so large bodies need pipes and running out of descriptors shows in
        # them too (the default mapped sends need none).
        self.server = Server("[server]\nworkers = 1\n[cache]\nvalid_ms = 100\n[io_uring]\nlarge_body = \"splice\"\n")
        self.server.wrapper = ["prlimit", "--nofile=64:64", "--"]
        self.addCleanup(self.server.cleanup)
        self.server.start()
        self.socks = []
        self.addCleanup(lambda: [s.close() for s, _ in self.socks])

    def fill(self):
        """Opens connections until the server stops answering; returns the pending ones."""
        pending = []
        while len(pending) < 4:
            s, reader, got = open_and_ask(self.server.port, 0.6)
            if got is None:
                pending.append((s, reader))
                continue
            self.assertEqual(got[0], 200)
            self.socks.append((s, reader))
            self.assertLess(len(self.socks), 64, "the fd limit did not bite")
        return pending

    def ask(self, path):
        s, reader = self.socks[0]
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
        return reader.read()

    def test_serves_what_it_can_then_recovers(self):
        for name in ("/1m.bin", "/64m.bin"):  # their fds are cached; no new pipe made
            self.assertIn(b"200 OK", curl("-I", self.server.url(name)).stdout)
        pending = self.fill()
        self.socks.extend(pending)  # closed at cleanup
        served = len(self.socks) - len(pending)
        self.assertGreaterEqual(served, 20)
        with open(self.server.log_path) as f:
            before = f.read().count("accept: Too many open files")
        # Open connections keep being served, from files opened before (revalidation
        # needs a descriptor: the last known version is served), large bodies too (no
        # pipe for splice: the read path).
        self.assertEqual(self.ask("/index.html")[0], 200)
        self.socks[1][0].sendall(b"GET /64m.bin HTTP/1.1\r\nHost: t\r\n\r\n")  # unread: holds the one pipe
        time.sleep(0.2)
        status, _, body = self.ask("/1m.bin")
        self.assertEqual(status, 200)
        self.assertEqual(hashlib.sha256(body).hexdigest(), sha256_file(os.path.join(self.server.root, "1m.bin")))
        self.assertIn("sending by read instead", self.server.read_log())
        # A file that needs a new descriptor: 503, and the connection stays usable.
        self.assertEqual(self.ask("/style.css")[0], 503)
        self.assertEqual(self.ask("/index.html")[0], 200)
        time.sleep(3)  # accepts are retried every 250 ms: a dozen failures, not a dozen lines
        log = self.server.read_log()
        self.assertLessEqual(log.count("accept: Too many open files") - before, 1, log[-2000:])
        self.assertIn("accept: Too many open files", log)
        # Load drops: the waiting connections are accepted and answered, new ones too.
        for s, _ in self.socks[: served]:
            s.close()
        for s, reader in pending:
            s.settimeout(5)
            self.assertEqual(reader.read()[0], 200)
        self.assertEqual(curl(self.server.url("/style.css")).stdout, b"body{}\n")
        self.assertEqual(self.server.stop(), 0)


class DryBuffersAndTinyRings(unittest.TestCase):
    def test_many_pipelining_clients_with_8_recv_buffers_and_64_entries(self):
        server = Server("[io_uring]\nentries = 64\nrecv_buffers = 8\nfixed_buffers = 4\n")
        self.addCleanup(server.cleanup)
        server.start()
        clients = []
        for _ in range(200):
            s = socket.create_connection(("127.0.0.1", server.port), timeout=20)
            s.sendall(GET * 5)  # pipelined: more CQEs and buffers than the rings hold
            clients.append((s, ResponseReader(s)))
        for s, reader in clients:
            for _ in range(5):
                self.assertEqual(reader.read()[0], 200)
            s.close()
        r = curl(server.url("/1m.bin"))
        self.assertEqual(len(r.stdout), 1 << 20)
        self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    main()
