"""Started as root, uringd binds, reads its certificates, then becomes [server] user
for good (every thread, real/effective/saved ids, supplementary groups); without a
user it refuses to serve as root unless allow_root = true."""
import os
import subprocess
import unittest

from harness import BIN, Server, curl, main


def ids(path):
    """{"Uid": [...], "Gid": [...], "Groups": [...]} from a /proc status file."""
    out = {}
    with open(path) as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("Uid", "Gid", "Groups"):
                out[key] = value.split()
    return out


@unittest.skipUnless(os.geteuid() == 0, "needs root")
class Privileges(unittest.TestCase):
    def test_drops_to_user_in_every_thread(self):
        self.check_drop('[server]\nuser = "nobody"\n')

    def test_sqpoll_opens_files_as_the_user(self):
        # The SQPOLL thread was created as root; opens must still carry nobody's
        # credentials (a registered personality), or root-only files would be served.
        self.check_drop('[server]\nuser = "nobody"\n[io_uring]\nsqpoll = "on"\n')

    def check_drop(self, conf):
        server = Server(conf)
        os.chmod(server.dir, 0o755)  # nobody must reach the site (mkdtemp made it 0700)
        try:
            server.start()
            self.assertIn("running as user nobody", server.read_log())
            tasks = os.listdir(f"/proc/{server.pid}/task")
            self.assertGreaterEqual(len(tasks), 2)
            for t in tasks:
                with open(f"/proc/{server.pid}/task/{t}/comm") as f:
                    if f.read().startswith("iou-sqp"):
                        continue  # io_uring's SQ thread keeps its creator's ids; opens carry ours
                got = ids(f"/proc/{server.pid}/task/{t}/status")
                self.assertEqual(got["Uid"], ["65534"] * 4, t)
                self.assertEqual(got["Gid"], ["65534"] * 4, t)
                self.assertEqual(got["Groups"], ["65534"], t)
            r = curl("-o", "/dev/null", "-w", "%{http_code}", server.url("/index.html"))
            self.assertEqual(r.stdout, b"200")
            r = curl("-o", "/dev/null", "-w", "%{http_code}", *server.curl_tls_args(), server.tls_url("/1m.bin"))
            self.assertEqual(r.stdout, b"200")
            # Files nobody may not read are refused by the kernel, not served as root.
            secret = os.path.join(server.root, "root-only.txt")
            with open(secret, "w") as f:
                f.write("x")
            os.chmod(secret, 0o600)
            r = curl("-o", "/dev/null", "-w", "%{http_code}", server.url("/root-only.txt"))
            self.assertEqual(r.stdout, b"403")
            # The cache's directory watches work as the user too: a replaced file is
            # served fresh at once, well within [cache] valid_ms (1 s).
            for version in (b"v1\n", b"v2, replaced\n"):
                with open(os.path.join(server.root, "fresh.tmp"), "wb") as f:
                    f.write(version)
                os.rename(os.path.join(server.root, "fresh.tmp"), os.path.join(server.root, "fresh.txt"))
                for _ in range(4):  # each worker's cache
                    self.assertEqual(curl(server.url("/fresh.txt")).stdout, version)
            self.assertEqual(server.stop(), 0)
        finally:
            server.cleanup()

    def test_reload_and_reopen_after_the_switch_with_access_logs(self):
        # The log file is created as root, before the switch: it must be nobody's, or
        # the first SIGHUP (which opens it again) fails with "Permission denied".
        import signal
        import time
        logs = "/tmp/uringd-e2e-logs-%d" % os.getpid()
        os.makedirs(logs, exist_ok=True)
        os.chmod(logs, 0o777)
        log = os.path.join(logs, "access.log")
        # Small rings: where uringd cannot lift RLIMIT_MEMLOCK (no CAP_SYS_RESOURCE, as
        # on the development machines), both generations must fit in 8 MiB as nobody.
        server = Server('[server]\nuser = "nobody"\n[io_uring]\nfixed_buffers = 8\nfixed_buffer_size = 65536\n'
                        'recv_buffers = 64\nentries = 256\n', workers=1)
        os.chmod(server.dir, 0o755)
        os.chmod(server.key, 0o644)  # a reload reads it again as nobody (docs/operations.md)
        with open(server.conf) as f:
            text = f.read().replace(f'root = "{server.root}"\n', f'root = "{server.root}"\naccess_log = "{log}"\n')
        with open(server.conf, "w") as f:
            f.write(text)
        try:
            server.start()
            self.assertEqual(os.stat(log).st_uid, 65534)
            for _ in range(2):
                server.proc.send_signal(signal.SIGHUP)
                deadline = time.time() + 10
                while server.read_log().count("reloaded") < _ + 1 and time.time() < deadline:
                    time.sleep(0.1)
            self.assertEqual(server.read_log().count("reloaded"), 2, server.read_log())
            self.assertNotIn("reload failed", server.read_log())
            os.rename(log, log + ".1")  # logrotate's move, then SIGUSR1 to reopen
            server.proc.send_signal(signal.SIGUSR1)
            # Lines queued before the reopen rightly go to the old file: the request
            # waits for it (slow under TSan), and its line is polled for.
            deadline = time.time() + 10
            while "access logs reopened" not in server.read_log() and time.time() < deadline:
                time.sleep(0.1)
            self.assertIn("access logs reopened", server.read_log())
            self.assertEqual(os.stat(log).st_uid, 65534)
            curl(server.url("/index.html"))
            deadline = time.time() + 10
            while time.time() < deadline:
                with open(log) as f:
                    text = f.read()
                if "GET /index.html" in text:
                    break
                time.sleep(0.1)
            self.assertIn("GET /index.html", text)
            self.assertEqual(server.stop(), 0)
        finally:
            server.cleanup()
            __import__("shutil").rmtree(logs, ignore_errors=True)

    def run_conf(self, server_keys):
        server = Server()
        try:
            text = open(server.conf).read().replace("[server]\nallow_root = true\n", server_keys)
            with open(server.conf, "w") as f:
                f.write(text)
            return subprocess.run([BIN, "-c", server.conf], capture_output=True, text=True, timeout=20)
        finally:
            server.cleanup() if server.proc else __import__("shutil").rmtree(server.dir, ignore_errors=True)

    def test_refuses_root_without_user(self):
        r = self.run_conf("")
        self.assertEqual(r.returncode, 1)
        self.assertIn("started as root: set [server] user", r.stderr)

    def test_unknown_user(self):
        r = self.run_conf('[server]\nuser = "no-such-user-here"\n')
        self.assertEqual(r.returncode, 1)
        self.assertIn('[server] user "no-such-user-here": no such user', r.stderr)


if __name__ == "__main__":
    main()
