"""Process shape and lifecycle: one pinned worker with its own ring per CPU, SQPOLL
variants, SIGTERM drains in-flight transfers, `uringd -t` checks configs."""
import hashlib
import os
import signal
import subprocess
import threading
import time
import unittest

from harness import BIN, Server, curl, main, sha256_file


def ring_fds(pid):
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == "anon_inode:[io_uring]":
                n += 1
        except FileNotFoundError:
            pass
    return n


def worker_tids(pid):
    tids = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/comm") as f:
            if f.read().startswith("uringd-w"):
                tids.append(int(tid))
    return tids


class Lifecycle(unittest.TestCase):
    def start(self, conf_extra="", workers=None):
        s = Server(conf_extra, workers)
        self.addCleanup(s.cleanup)
        return s.start()

    def test_one_worker_with_its_own_ring_per_cpu(self):
        # Unpinned by default (pin_workers = "auto" without incoming_cpu): the
        # scheduler may move each worker to any allowed CPU.
        s = self.start()
        cpus = sorted(os.sched_getaffinity(0))
        tids = worker_tids(s.pid)
        self.assertEqual(len(tids), len(cpus))
        self.assertEqual(ring_fds(s.pid), len(cpus))
        for t in tids:
            self.assertEqual(sorted(os.sched_getaffinity(t)), cpus)
        self.assertEqual(s.stop(), 0)

    def test_pinned_workers_one_per_cpu(self):
        for extra in ('[server]\npin_workers = "on"\n', '[server]\nincoming_cpu = true\n'):
            with self.subTest(extra=extra):
                s = self.start(extra)
                cpus = sorted(os.sched_getaffinity(0))
                tids = worker_tids(s.pid)
                self.assertEqual(len(tids), len(cpus))
                for t in tids:
                    self.assertEqual(len(os.sched_getaffinity(t)), 1)
                self.assertEqual(sorted(next(iter(os.sched_getaffinity(t))) for t in tids), cpus)
                self.assertEqual(curl(s.url("/index.html")).stdout, b"<h1>home</h1>\n")
                self.assertEqual(s.stop(), 0)

    def test_worker_count_is_configurable(self):
        s = self.start(workers=3)
        self.assertEqual(len(worker_tids(s.pid)), 3)
        self.assertEqual(ring_fds(s.pid), 3)
        self.assertEqual(curl(s.url("/index.html")).stdout, b"<h1>home</h1>\n")
        self.assertEqual(s.stop(), 0)

    def test_ring_modes_serve(self):
        for extra, mode in (('[io_uring]\nsqpoll = "off"\n', "defer_taskrun"),
                            ('[io_uring]\nsqpoll = "on"\n', "sqpoll"),
                            ('[io_uring]\nsqpoll = "on"\nsqpoll_shared = true\n', "sqpoll(shared)"),
                            ('[io_uring]\nsend_zc_threshold = 16384\n', "defer_taskrun"),
                            ('[io_uring]\nlarge_body = "read"\n', "defer_taskrun"),
                            ('[io_uring]\nlarge_body = "splice"\n', "defer_taskrun")):
            with self.subTest(extra=extra):
                s = self.start(extra)
                self.assertIn(mode, s.read_log())
                for name in ("1k.bin", "100k.bin", "1m.bin", "64m.bin"):
                    r = curl(s.url("/" + name))
                    self.assertEqual(hashlib.sha256(r.stdout).hexdigest(),
                                     sha256_file(os.path.join(s.root, name)))
                self.assertEqual(s.stop(), 0)

    def test_sigterm_lets_a_transfer_finish(self):
        s = self.start()
        out = os.path.join(s.dir, "out.bin")
        result = {}

        def download():
            result["r"] = curl("--limit-rate", "16M", "-o", out, s.url("/64m.bin"))
        t = threading.Thread(target=download)
        t.start()
        time.sleep(1.0)
        s.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        refused = curl(s.url("/index.html"), timeout=3)
        self.assertNotEqual(refused.returncode, 0, "a new connection was served while draining")
        t.join(60)
        self.assertEqual(result["r"].returncode, 0, result["r"].stderr)
        self.assertEqual(sha256_file(out), sha256_file(os.path.join(s.root, "64m.bin")))
        self.assertEqual(s.proc.wait(30), 0)
        self.assertIn("stopped", s.read_log())

    def test_drain_timeout_cuts_stalled_clients(self):
        s = self.start("[limits]\ndrain_timeout_ms = 500\n")
        import socket
        c = socket.create_connection(("127.0.0.1", s.port))
        c.sendall(b"GET /64m.bin HTTP/1.1\r\nHost: t\r\n\r\n")
        c.recv(1000)  # then never read again
        start = time.time()
        s.proc.send_signal(signal.SIGTERM)
        self.assertEqual(s.proc.wait(20), 0)
        self.assertLess(time.time() - start, 5)
        c.close()


class ConfigCheck(unittest.TestCase):
    def run_t(self, text):
        path = f"/tmp/uringd-t-{os.getpid()}.conf"
        with open(path, "w") as f:
            f.write(text)
        try:
            return subprocess.run([BIN, "-t", "-c", path], capture_output=True, text=True), path
        finally:
            os.unlink(path)

    def test_valid(self):
        r, _ = self.run_t('[[listen]]\naddress = "127.0.0.1:1"\n[[site]]\nroot = "/tmp"\n')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("test is successful", r.stdout)

    def test_invalid_names_file_and_line(self):
        r, path = self.run_t('[[listen]]\naddress = "127.0.0.1:1"\n[[site]]\nroot = "/tmp"\nbogus = 1\n')
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr.strip(), f'uringd: {path}:5: unknown key "bogus" in [site]')

    def test_missing_file(self):
        r = subprocess.run([BIN, "-t", "-c", "/nonexistent.conf"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 1)
        self.assertIn("/nonexistent.conf: cannot read", r.stderr)

    def test_bad_argument_and_version(self):
        self.assertEqual(subprocess.run([BIN, "--bogus"], capture_output=True).returncode, 2)
        r = subprocess.run([BIN, "--version"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0)
        self.assertIn("+openat2", r.stdout)

    def test_port_in_use_is_a_clear_error(self):
        import socket
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            path = f"/tmp/uringd-busy-{os.getpid()}.conf"
            with open(path, "w") as f:
                f.write(f'[[listen]]\naddress = "127.0.0.1:{port}"\n[[site]]\nroot = "/tmp"\n')
            try:
                r = subprocess.run([BIN, "-c", path], capture_output=True, text=True, timeout=20)
            finally:
                os.unlink(path)
            self.assertEqual(r.returncode, 1)
            self.assertIn(f"listen 127.0.0.1:{port}: bind: Address already in use", r.stderr)


if __name__ == "__main__":
    main()
