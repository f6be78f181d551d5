"""What a new operator meets first: `uringd serve DIR` (plain, self-signed TLS, own
certificate), `-T`, configuration errors that name the key and what was given,
durations and sizes with units, and a second server on a taken port refused instead
of silently sharing it."""
import os
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from harness import BIN, Server, curl, free_port, main, make_cert


def wait_for(pred, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


class Serve(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="uringd-serve-")
        self.site = os.path.join(self.dir, "my site")  # a space: paths are quoted in the built conf
        os.makedirs(os.path.join(self.site, "docs"))
        with open(os.path.join(self.site, "hello.txt"), "w") as f:
            f.write("hello\n")
        with open(os.path.join(self.site, "docs", "a \"quoted\" name.txt"), "w") as f:
            f.write("a\n")
        self.out = os.path.join(self.dir, "out.log")
        self.proc = None

    def tearDown(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        __import__("shutil").rmtree(self.dir, ignore_errors=True)

    def start(self, *args):
        self.log = open(self.out, "w")
        self.proc = subprocess.Popen([BIN, "serve", *args], stdout=self.log, stderr=subprocess.STDOUT, cwd=self.dir)
        self.assertTrue(wait_for(lambda: "ready:" in self.read() or self.proc.poll() is not None), self.read())
        self.assertIsNone(self.proc.poll(), self.read())

    def read(self):
        with open(self.out) as f:
            return f.read()

    def stop_with_ctrl_c(self):
        t0 = time.time()
        self.proc.send_signal(signal.SIGINT)
        self.assertEqual(self.proc.wait(10), 0)
        self.assertLess(time.time() - t0, 4, "Ctrl-C should stop it at once")
        self.log.close()

    def test_serves_a_folder_with_listings_and_logs_requests(self):
        port = free_port()
        self.start("my site", "--listen", f"127.0.0.1:{port}")
        self.assertIn(f"serving {self.site} on http://127.0.0.1:{port}/", self.read())
        r = curl(f"http://127.0.0.1:{port}/hello.txt")
        self.assertEqual(r.stdout, b"hello\n")
        listing = curl(f"http://127.0.0.1:{port}/docs/").stdout.decode()
        self.assertIn("Index of /docs/", listing)
        self.assertIn("a &quot;quoted&quot; name.txt", listing)
        self.assertTrue(wait_for(lambda: '"GET /hello.txt HTTP/1.1" 200 6' in self.read()), self.read())
        self.stop_with_ctrl_c()

    def test_default_folder_and_address(self):
        # No arguments: the current folder on 127.0.0.1:8080 (skipped if that is taken).
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", 8080))
            except OSError:
                self.skipTest("127.0.0.1:8080 is taken on this machine")
        self.start()
        self.assertIn(f"serving {self.dir} on http://127.0.0.1:8080/", self.read())
        self.assertEqual(curl("http://127.0.0.1:8080/my%20site/hello.txt").stdout, b"hello\n")
        self.stop_with_ctrl_c()

    def test_self_signed_tls(self):
        port = free_port()
        self.start(self.site, "--listen", f"127.0.0.1:{port}", "--tls-self-signed")
        self.assertIn(f"on https://127.0.0.1:{port}/", self.read())
        r = curl("-k", f"https://127.0.0.1:{port}/hello.txt")
        self.assertEqual(r.stdout, b"hello\n")
        temp = [d for d in os.listdir(tempfile.gettempdir()) if d.startswith("uringd-serve-") and
                os.path.exists(os.path.join(tempfile.gettempdir(), d, "self-signed.pem"))]
        self.stop_with_ctrl_c()
        for d in temp:  # its throwaway key is gone with it
            self.assertFalse(os.path.exists(os.path.join(tempfile.gettempdir(), d, "self-signed.key")))

    def test_own_certificate(self):
        cert, key = make_cert(self.dir)
        port = free_port()
        self.start(self.site, "--listen", f"127.0.0.1:{port}", "--tls-cert", cert, "--tls-key", key)
        r = curl("--cacert", cert, "--resolve", f"localhost:{port}:127.0.0.1", f"https://localhost:{port}/hello.txt")
        self.assertEqual(r.stdout, b"hello\n", r.stderr)
        self.stop_with_ctrl_c()

    def test_errors(self):
        def run(*args):
            return subprocess.run([BIN, "serve", *args], capture_output=True, text=True, timeout=20, cwd=self.dir)
        r = run("/nonexistent-folder", "--listen", f"127.0.0.1:{free_port()}")
        self.assertEqual(r.returncode, 1)
        self.assertIn('uringd serve:', r.stderr)
        self.assertIn('root "/nonexistent-folder": No such file or directory', r.stderr)
        r = run(self.site, "--listen", "nowhere")
        self.assertEqual(r.returncode, 1)
        self.assertIn("nowhere", r.stderr)
        r = run("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("uringd serve [DIR]", r.stdout)
        for bad in (["--tls-cert", "c.pem"], ["--bogus"], ["a", "b"], ["--listen"],
                    ["--tls-self-signed", "--tls-cert", "c", "--tls-key", "k"]):
            r = run(*bad)
            self.assertEqual(r.returncode, 2, bad)
            self.assertIn("usage:", r.stdout + r.stderr)


class Conf(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="uringd-conf-")

    def tearDown(self):
        __import__("shutil").rmtree(self.dir, ignore_errors=True)

    def check(self, text, *extra):
        path = os.path.join(self.dir, "wrong_type.conf")
        with open(path, "w") as f:
            f.write(text)
        return subprocess.run([BIN, *extra, "-c", path], capture_output=True, text=True, timeout=20)

    def test_type_errors_name_the_key_and_the_value(self):
        r = self.check('[server]\nworkers = "4"\n', "-t")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr.strip(),
                         f'uringd: {self.dir}/wrong_type.conf:2: workers: expected an integer, got a string "4"')
        r = self.check(f'[[listen]]\naddress = "127.0.0.1:1"\n[[site]]\nserver_names = []\n\nroot = "{self.dir}/none"\n',
                       "-t")
        self.assertIn("wrong_type.conf:6: root", r.stderr)  # the key's line, not [[site]]'s

    def test_units_and_dump(self):
        text = (f'[limits]\nsend_timeout_ms = "90s"\nmax_body = "1m"\n[[listen]]\naddress = "127.0.0.1:1"\n'
                f'[[site]]\nroot = "{self.dir}"\n')
        r = self.check(text, "-T")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("test is successful", r.stderr)
        for line in ("send_timeout_ms = '90s'", "max_body = '1m'", "keepalive_timeout_ms = 60000",
                     "[io_uring]", "[[site]]", "listing = false", "[[listen]]", "tls = false"):
            self.assertIn(line, r.stdout)
        again = os.path.join(self.dir, "again.conf")  # what -T prints is a conf that loads
        with open(again, "w") as f:
            f.write(r.stdout)
        r2 = subprocess.run([BIN, "-T", "-c", again], capture_output=True, text=True, timeout=20)
        self.assertEqual(r2.returncode, 0, r2.stderr)
        self.assertEqual(r2.stdout.split("\n", 1)[1], r.stdout.split("\n", 1)[1])

    def test_overlapping_addresses_in_one_conf(self):
        for a, b in ((":8080", "0.0.0.0:8080"), ("0.0.0.0:8080", "127.0.0.1:8080"), ("[::]:8080", "127.0.0.1:8080"),
                     ("[::1]:8080", "[::]:8080")):
            r = self.check(f'[[listen]]\naddress = "{a}"\n[[listen]]\naddress = "{b}"\n[[site]]\nroot = "{self.dir}"\n',
                           "-t")
            self.assertEqual(r.returncode, 1, (a, b))
            self.assertIn(f"wrong_type.conf:3: address {b} overlaps {a} (line 1)", r.stderr)
        r = self.check(f'[[listen]]\naddress = "127.0.0.1:8080"\n[[listen]]\naddress = "127.0.0.2:8080"\n'
                       f'[[listen]]\naddress = "127.0.0.1:8081"\n[[site]]\nroot = "{self.dir}"\n', "-t")
        self.assertEqual(r.returncode, 0, r.stderr)


class SecondInstance(unittest.TestCase):
    def test_a_taken_port_is_refused_not_shared(self):
        first = Server()
        try:
            first.start()
            second = Server()
            second.port = first.port  # the same address, a fresh conf otherwise
            text = open(second.conf).read()
            import re
            text = re.sub(r'address = "127\.0\.0\.1:\d+"\n', f'address = "127.0.0.1:{first.port}"\n', text, count=1)
            with open(second.conf, "w") as f:
                f.write(text)
            r = subprocess.run([BIN, "-c", second.conf], capture_output=True, text=True, timeout=20)
            self.assertEqual(r.returncode, 1)
            self.assertIn(f"listen 127.0.0.1:{first.port}: bind: Address already in use", r.stderr)
            __import__("shutil").rmtree(second.dir, ignore_errors=True)
            # Another program's wildcard listener on the port counts too.
            with socket.socket() as other:
                other.bind(("0.0.0.0", 0))
                other.listen()
                port = other.getsockname()[1]
                third = Server()
                text = open(third.conf).read()
                text = re.sub(r'address = "127\.0\.0\.1:\d+"\n', f'address = "127.0.0.1:{port}"\n', text, count=1)
                with open(third.conf, "w") as f:
                    f.write(text)
                r = subprocess.run([BIN, "-c", third.conf], capture_output=True, text=True, timeout=20)
                __import__("shutil").rmtree(third.dir, ignore_errors=True)
                self.assertEqual(r.returncode, 1)
                self.assertIn("Address already in use", r.stderr)
            self.assertEqual(curl(first.url("/index.html"), "-o", "/dev/null", "-w", "%{http_code}").stdout, b"200")
        finally:
            first.stop()
            first.cleanup()


if __name__ == "__main__":
    main()
