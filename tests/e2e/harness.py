"""End-to-end harness: runs the real uringd binary on loopback with a generated
conf and site, and offers raw-socket and curl helpers. Used by every test_*.py."""
import hashlib
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

# Under scripts/sanitize.sh: memory figures are the sanitizer's (ASan keeps freed
# memory in quarantine), so tests bound them only in plain builds.
SANITIZED = any(v in os.environ for v in ("ASAN_OPTIONS", "TSAN_OPTIONS"))
BIN = os.environ.get("URINGD_BIN", os.path.join(os.path.dirname(__file__), "../../build/uringd"))
ROOT_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))  # the repository
sys.path.insert(0, os.path.join(ROOT_DIR, "tests", "support"))
import certs  # noqa: E402  (tests/support: shared with bench/ and the shell scripts' twin)

SIZES = {"empty.bin": 0, "1k.bin": 1024, "64k.bin": 65536, "100k.bin": 100_000,
         "1m.bin": 1 << 20, "64m.bin": 64 << 20}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_site(base):
    """A docroot with files of every size class, directories, hidden files and
    symlinks that try to leave it; a secret file sits next to (outside) the root."""
    root = os.path.join(base, "root")
    os.makedirs(os.path.join(root, "sub", "deeper"))
    os.makedirs(os.path.join(root, ".well-known"))
    os.makedirs(os.path.join(root, "noindex"))
    for name, size in SIZES.items():
        with open(os.path.join(root, name), "wb") as f:
            left = size
            while left:
                chunk = os.urandom(min(left, 1 << 20))
                f.write(chunk)
                left -= len(chunk)
    with open(os.path.join(base, "secret.txt"), "w") as f:
        f.write("OUTSIDE-SECRET\n")
    for rel, text in {"index.html": "<h1>home</h1>\n", "sub/index.html": "sub index\n",
                      "sub/deeper/a b.txt": "spaced\n", ".secret": "hidden\n",
                      ".well-known/acme.txt": "challenge\n", "style.css": "body{}\n"}.items():
        with open(os.path.join(root, rel), "w") as f:
            f.write(text)
    os.symlink("../secret.txt", os.path.join(root, "escape"))
    os.symlink("/etc/passwd", os.path.join(root, "abs-escape"))
    os.symlink("sub/index.html", os.path.join(root, "inside-link"))
    os.mkfifo(os.path.join(root, "fifo"))
    return root


def make_cert(base, name="localhost", alg="ecdsa"):
    """A self-signed certificate for `name` (and 127.0.0.1) in `base`; returns (cert, key) paths."""
    return certs.self_signed(os.path.join(base, name + ".pem"), os.path.join(base, name + ".key"), name, alg)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


class Server:
    """uringd on free loopback ports. `conf_extra` is appended to the generated conf."""

    def __init__(self, conf_extra="", workers=None, site_root=None):
        self.dir = tempfile.mkdtemp(prefix="uringd-e2e-")
        self.root = site_root or make_site(self.dir)
        self.port = free_port()
        self.tls_port = free_port()
        self.conf = os.path.join(self.dir, "uringd.conf")
        self.cert, self.key = make_cert(self.dir)
        # The tests run as root: say so (uringd refuses to serve as root by accident).
        server = "[server]\nallow_root = true\n" + (f"workers = {workers}\n" if workers else "")
        if "[server]\n" in conf_extra:  # merge: the test's [server] keys join ours
            conf_extra = conf_extra.replace("[server]\n", server, 1)
            server = ""
        tls = f'[tls]\ncertificate = "{self.cert}"\nkey = "{self.key}"\n'
        if "[tls]" in conf_extra:  # merge: our certificate, the test's other [tls] keys
            conf_extra = conf_extra.replace("[tls]\n", tls, 1)
            tls = ""
        with open(self.conf, "w") as f:
            f.write(f'{server}[[listen]]\naddress = "127.0.0.1:{self.port}"\n'
                    f'[[listen]]\naddress = "127.0.0.1:{self.tls_port}"\ntls = true\n'
                    f'[[site]]\nroot = "{self.root}"\n{tls}{conf_extra}\n')
        self.log_path = os.path.join(self.dir, "uringd.log")
        self.proc = None
        self.env = None  # extra environment variables for the server
        self.wrapper = []  # a command the server runs under, e.g. ["prlimit", "--nofile=64"]

    def start(self):
        self.log = open(self.log_path, "w")
        env = {**os.environ, **self.env} if self.env else None
        self.proc = subprocess.Popen([*self.wrapper, BIN, "-c", self.conf], stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"uringd exited with {self.proc.returncode}:\n{self.read_log()}")
            if "ready:" in self.read_log():
                return self
            time.sleep(0.05)
        raise RuntimeError("uringd did not become ready:\n" + self.read_log())

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    @property
    def pid(self):
        return self.proc.pid

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def tls_url(self, path):
        return f"https://localhost:{self.tls_port}{path}"

    def curl_tls_args(self):
        """curl options that trust this server's certificate and reach it as localhost."""
        return ["--cacert", self.cert, "--resolve", f"localhost:{self.tls_port}:127.0.0.1"]

    def fd_count(self):
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def stop(self, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise RuntimeError("uringd did not stop on SIGTERM")
        return self.proc.returncode

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class ServerTest(unittest.TestCase):
    """One server per test class; its log is printed when a test fails."""
    conf_extra = ""
    workers = None

    @classmethod
    def setUpClass(cls):
        cls.server = Server(cls.conf_extra, cls.workers)
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        try:
            code = cls.server.stop()
            if code != 0:
                print(cls.server.read_log(), file=sys.stderr)
                raise AssertionError(f"uringd exited with {code}")
        finally:
            cls.server.cleanup()

    def run(self, result=None):
        before = len(result.failures) + len(result.errors) if result else 0
        out = super().run(result)
        if result and len(result.failures) + len(result.errors) > before:
            print("---- uringd log ----\n" + self.server.read_log()[-4000:], file=sys.stderr)
        return out

    # -- raw HTTP helpers -------------------------------------------------------
    def connect(self, timeout=10, tls=False, port=None):
        """A socket to the plain listener, or a TLS one (certificate verified) to the other;
        `port`: a plain socket to that port (plain bytes to the TLS listener, say)."""
        port = port or (self.server.tls_port if tls else self.server.port)
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls:
            ctx = ssl.create_default_context(cafile=self.server.cert)
            s = ctx.wrap_socket(s, server_hostname="localhost")
        return s

    def exchange(self, data, timeout=5, tls=False, port=None):
        """Sends `data` in one write; returns (everything received, how it ended:
        "eof", "reset" or "timeout")."""
        with self.connect(timeout, tls, port) as s:
            try:
                s.sendall(data)
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                pass  # the server stopped reading: what it sent is still read below
            chunks = []
            try:
                while chunk := s.recv(65536):
                    chunks.append(chunk)
                ended = "eof"
            except socket.timeout:
                ended = "timeout"
            except (ConnectionResetError, ssl.SSLError):
                ended = "reset"
            return b"".join(chunks), ended

    def raw(self, data, timeout=5, tls=False, port=None):
        """Sends `data`, returns everything until the server closes (or timeout)."""
        return self.exchange(data, timeout, tls, port)[0]

    def request(self, path, method="GET", headers="Host: t\r\n", version="HTTP/1.1"):
        return self.raw(f"{method} {path} {version}\r\n{headers}Connection: close\r\n\r\n".encode("latin-1"))

    def status_of(self, response):
        line = response.split(b"\r\n", 1)[0]
        self.assertTrue(line.startswith(b"HTTP/1.1 "), f"bad status line {line!r}")
        return int(line.split()[1])

    def assert_still_serving(self):
        r = self.request("/index.html")
        self.assertEqual(self.status_of(r), 200, r[:200])


class ResponseReader:
    """Reads successive HTTP/1.1 responses (Content-Length framed) from one socket."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise EOFError("connection closed")
        self.buf += chunk

    def read(self, head_only=False):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
        length = 0 if head_only else int(headers.get("content-length", 0))
        while len(self.buf) < length:
            self._fill()
        body, self.buf = self.buf[:length], self.buf[length:]
        return status, headers, body


def curl(*args, timeout=120):
    return subprocess.run(["curl", "-sS", "--max-time", str(timeout), *args],
                          capture_output=True, timeout=timeout + 10)


# -- Prometheus text format (the admin listener) ---------------------------------
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*)\})? '
                    r'(-?[0-9.e+]+|NaN|\+Inf|-Inf)$')


def parse_metrics(text):
    """{(name, frozenset(labels)): value}, checking HELP/TYPE precede their samples."""
    assert text.endswith("\n")
    samples, typed = {}, {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert kind in ("counter", "gauge"), line
            assert name not in typed, f"TYPE twice for {name}"
            typed[name] = kind
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        name = m.group(1)
        assert name in typed, f"{name} has no TYPE before it"
        labels = frozenset(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        key = (name, labels)
        assert key not in samples, f"duplicate series {line}"
        samples[key] = float(m.group(4))
    return samples


def metrics_total(samples, name, **labels):
    return sum(v for (n, ls), v in samples.items() if n == name and all((k, v2) in ls for k, v2 in labels.items()))


def scrape_metrics(admin_port):
    """/metrics from the admin listener, parsed; waits out the 250 ms publish tick."""
    time.sleep(0.6)
    return parse_metrics(curl(f"http://127.0.0.1:{admin_port}/metrics").stdout.decode())


def raise_nofile(need):
    """Raises RLIMIT_NOFILE to its hard limit (servers started later inherit it), or
    skips the test when even that is below `need`."""
    import resource
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < need:
        raise unittest.SkipTest(f"RLIMIT_NOFILE hard limit {hard} is below {need}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main():
    unittest.main(verbosity=2)
