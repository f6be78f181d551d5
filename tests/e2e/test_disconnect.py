"""Clients that vanish mid-body (FIN or RST) leave no leaked descriptor, and the
server keeps serving."""
import os
import socket
import struct
import time

from harness import ServerTest, main


def non_pipe_fds(pid, root=None):
    """Sockets, files and rings. Left out: pipes (pooled per worker) and files under
    the site root (the open-file cache holds them; bounded, checked separately)."""
    fds = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except FileNotFoundError:
            continue
        if not target.startswith("pipe:") and not (root and target.startswith(root + "/")):
            fds.append(target)
    return sorted(fds)


def cached_files(pid, root):
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            n += os.readlink(f"/proc/{pid}/fd/{fd}").startswith(root + "/")
        except FileNotFoundError:
            pass
    return n


class Disconnect(ServerTest):
    workers = 2
    conf_extra = "[cache]\nmax_entries = 2\n"

    def fds(self):
        return non_pipe_fds(self.server.pid, self.server.root)
    def baseline(self):
        """The descriptor set once earlier tests' connections have finished closing."""
        prev = self.fds()
        for _ in range(50):
            time.sleep(0.1)
            now = self.fds()
            if now == prev:
                return set(now)
            prev = now
        return set(prev)

    def wait_for_baseline(self, baseline, timeout=10):
        """No descriptor that was not there before the test may remain. Clean for a
        whole second: a slow server (sanitizers, a busy box) may not have accepted
        the last connections yet when the set first looks clean."""
        deadline = time.time() + timeout
        clean_since = None
        while time.time() < deadline:
            if set(self.fds()) - baseline:
                clean_since = None
            elif clean_since is None:
                clean_since = time.time()
            elif time.time() - clean_since >= 1:
                break
            time.sleep(0.1)
        self.assertEqual(set(self.fds()) - baseline, set())
        # The cache may hold at most max_entries files (and directories) per worker.
        self.assertLessEqual(cached_files(self.server.pid, self.server.root), 2 * 2)

    def test_mid_body_disconnects_leak_nothing(self):
        self.assert_still_serving()
        baseline = self.baseline()
        for i in range(20):
            s = self.connect()
            name = "64m.bin" if i % 2 == 0 else "1m.bin"
            s.sendall(f"GET /{name} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
            got = 0
            while got < 200_000:
                got += len(s.recv(65536))
            if i % 3 == 0:  # abortive close: RST
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        self.wait_for_baseline(baseline)
        self.assert_still_serving()

    def test_disconnect_before_response_and_mid_request(self):
        baseline = self.baseline()
        for data in (b"GET /64m.bin HTTP/1.1\r\nHost: t\r\n\r\n", b"GET /index.html HTT", b""):
            for _ in range(5):
                s = self.connect()
                if data:
                    s.sendall(data)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.close()
        self.wait_for_baseline(baseline)
        self.assert_still_serving()

    def test_many_concurrent_large_downloads_then_abort(self):
        baseline = self.baseline()
        socks = []
        for _ in range(30):
            s = self.connect()
            s.sendall(b"GET /64m.bin HTTP/1.1\r\nHost: t\r\n\r\n")
            socks.append(s)
        for s in socks:
            s.recv(1000)
        for s in socks:
            s.close()
        self.wait_for_baseline(baseline)
        self.assert_still_serving()


if __name__ == "__main__":
    main()
