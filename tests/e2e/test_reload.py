"""SIGHUP reload: under a wrk load, several reloads in a row cost no request (no
non-2xx, no socket error) and the new configuration is visible afterwards; on an
idle server no connection made just after a reload is left waiting; SIGUSR1 reaches
the access log of a generation still draining; a bad
configuration is refused with a log line and the old one keeps serving; a change
that needs a restart is reported; systemd hears RELOADING=1 then READY=1."""
import os
import re
import signal
import socket
import subprocess
import time
import unittest

from harness import ResponseReader, Server, curl, main


def header(server, name):
    r = curl("-D", "-", "-o", "/dev/null", server.url("/index.html"))
    m = re.search(rf"(?im)^{name}: (.*)\r$", r.stdout.decode())
    return m.group(1) if m else None


class Reload(unittest.TestCase):
    def setUp(self):
        self.server = Server()
        self.base = open(self.server.conf).read()
        self.write('"1"')
        path = os.path.join(self.server.dir, "notify.sock")
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(path)
        self.notify.settimeout(10)
        self.server.env = {"NOTIFY_SOCKET": path}
        self.server.start()
        self.assertIn("READY=1", self.notify.recv(4096).decode())

    def tearDown(self):
        self.notify.close()
        code = self.server.stop()
        self.server.cleanup()
        self.assertEqual(code, 0)

    def write(self, gen, extra=""):
        # The harness's first [[site]] ends the file's site table before [tls]: add the
        # header to it by rewriting its block.
        text = self.base.replace("[[site]]\n", f"[[site]]\nheaders = {{ X-Gen = {gen} }}\n", 1) + extra
        with open(self.server.conf, "w") as f:
            f.write(text)

    def hup_and_wait(self):
        self.server.proc.send_signal(signal.SIGHUP)
        got = [self.notify.recv(4096).decode(), self.notify.recv(4096).decode()]
        self.assertTrue(got[0].startswith("RELOADING=1\nMONOTONIC_USEC="), got)
        self.assertIn("READY=1", got[1])

    def test_reload_under_load_loses_nothing(self):
        self.assertEqual(header(self.server, "X-Gen"), "1")
        wrk = subprocess.Popen(["wrk", "-t1", "-c16", "-d6s", self.server.url("/index.html")],
                               stdout=subprocess.PIPE, text=True)
        time.sleep(1)
        for gen in range(2, 6):
            self.write(f'"{gen}"')
            self.hup_and_wait()
            time.sleep(0.7)
        out = wrk.communicate(timeout=30)[0]
        self.assertRegex(out, r"\d+ requests in")
        self.assertNotIn("Non-2xx", out, out)
        self.assertNotIn("Socket errors", out, out)
        self.assertEqual(header(self.server, "X-Gen"), "5")
        self.assertEqual(self.server.read_log().count("reloaded "), 4)

    def test_bad_config_keeps_the_old_one(self):
        with open(self.server.conf, "a") as f:
            f.write("[limits]\nmax_conections = 1\n")
        self.hup_and_wait()
        self.assertRegex(self.server.read_log(), r"reload failed, still serving the previous configuration: .*"
                                                 r"uringd.conf:\d+: unknown key \"max_conections\"")
        self.assertEqual(header(self.server, "X-Gen"), "1")

    def test_listener_change_needs_a_restart(self):
        self.write('"2"', '[[listen]]\naddress = "127.0.0.1:1"\n')
        self.hup_and_wait()
        self.assertIn("listening addresses ([[listen]], [admin]) changed, which needs a restart",
                      self.server.read_log())
        self.assertEqual(header(self.server, "X-Gen"), "1")

    def test_connections_right_after_a_reload_are_not_left_waiting(self):
        # Each generation's accepts wait on the same listening sockets, and the kernel
        # wakes one of them per connection. A wake taken by the generation being
        # drained must still end in an accept: on an idle server no later connection
        # comes to wake the new generation. One connection at a time, so none can.
        for gen in range(2, 12):
            self.write(f'"{gen}"')
            self.server.proc.send_signal(signal.SIGHUP)
            deadline = time.time() + 0.5
            while time.time() < deadline:
                with socket.create_connection(("127.0.0.1", self.server.port), timeout=3) as s:
                    s.sendall(b"GET /index.html HTTP/1.1\r\nHost: t\r\n\r\n")
                    try:
                        ResponseReader(s).read()
                    except TimeoutError:
                        self.fail(f"reload {gen}: a connection waited 3 s unanswered")
            got = [self.notify.recv(4096).decode(), self.notify.recv(4096).decode()]
            self.assertIn("READY=1", got[1])

    def test_sigusr1_reaches_a_generation_still_draining(self):
        # A request begun before a reload is finished by the old generation. After
        # logrotate's move and SIGUSR1 its line belongs in the new file, like every
        # other line written after the signal, not in the rotated one.
        log = os.path.join(self.server.dir, "access.log")
        self.base = self.base.replace("[[site]]\n", f'[[site]]\naccess_log = "{log}"\n', 1)
        self.write('"2"')
        self.hup_and_wait()
        # Generations share the listening socket: a first whole request shows which
        # one accepted this connection (generation 1, still draining, may take one and
        # answer it with a close); the second is then left half sent.
        for _ in range(20):
            old = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
            old.sendall(b"GET /index.html?first HTTP/1.1\r\nHost: t\r\n\r\n")
            if ResponseReader(old).read()[1].get("x-gen") == "2":
                break
            old.close()
            time.sleep(0.1)
        else:
            self.fail("no connection reached generation 2")
        old.sendall(b"GET /index.html?old HTTP/1.1\r\nHost: t\r\n")
        time.sleep(0.3)  # the worker holds the half request before the reload begins
        self.write('"3"')
        self.hup_and_wait()
        os.rename(log, log + ".1")
        self.server.proc.send_signal(signal.SIGUSR1)
        deadline = time.time() + 10
        while self.server.read_log().count("access logs reopened") < 2 and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.server.read_log().count("access logs reopened"), 2, self.server.read_log())
        self.assertEqual(header(self.server, "X-Gen"), "3")  # the new generation's line
        old.sendall(b"Connection: close\r\n\r\n")
        reply = b""
        while chunk := old.recv(65536):
            reply += chunk
        old.close()
        self.assertTrue(reply.startswith(b"HTTP/1.1 200"), reply[:200])
        self.assertIn(b"X-Gen: 2", reply)
        deadline = time.time() + 10
        while time.time() < deadline:
            with open(log) as f:
                text = f.read()
            if "?old" in text and "GET /index.html HTTP" in text:  # two writers, one per generation
                break
            time.sleep(0.05)
        self.assertIn("GET /index.html?old", text)
        self.assertIn("GET /index.html HTTP", text)
        with open(log + ".1") as f:
            self.assertNotIn("?old", f.read())


class RootSwitch(unittest.TestCase):
    """A site root that is a symlink switched to a new tree (the deploy recipe of
    docs/scale-out.md): uringd follows it by itself, as after a SIGHUP."""

    def setUp(self):
        self.server = Server()
        self.trees = os.path.join(self.server.dir, "trees")
        for version in ("a", "b", "c"):
            os.makedirs(os.path.join(self.trees, version))
            with open(os.path.join(self.trees, version, "version.txt"), "w") as f:
                f.write(version + "\n")
        self.link = os.path.join(self.server.dir, "www")
        os.symlink(os.path.join(self.trees, "a"), self.link)
        text = open(self.server.conf).read().replace(f'root = "{self.server.root}"', f'root = "{self.link}"', 1)
        with open(self.server.conf, "w") as f:
            f.write(text)
        self.server.start()

    def tearDown(self):
        code = self.server.stop()
        self.server.cleanup()
        self.assertEqual(code, 0)

    def switch(self, version):
        os.symlink(os.path.join(self.trees, version), self.link + ".next")
        os.rename(self.link + ".next", self.link)  # atomic, as mv -T does

    def served_within(self, body, seconds):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if curl(self.server.url("/version.txt")).stdout == body:
                return True
            time.sleep(0.1)
        return False

    def test_a_switched_symlink_is_followed_without_a_signal(self):
        self.assertEqual(curl(self.server.url("/version.txt")).stdout, b"a\n")
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as kept:
            kept.sendall(b"GET /version.txt HTTP/1.1\r\nHost: t\r\n\r\n")
            self.assertTrue(ResponseReader(kept).read()[2].endswith(b"a\n"))
            self.switch("b")
            self.assertTrue(self.served_within(b"b\n", 5), self.server.read_log())
            # A connection of the old generation finishes its request, then closes.
            kept.sendall(b"GET /version.txt HTTP/1.1\r\nHost: t\r\n\r\n")
            self.assertTrue(ResponseReader(kept).read()[2].endswith(b"a\n"))
        self.assertIn(f"site root {self.link} leads to another directory now: reloading", self.server.read_log())
        self.switch("c")
        self.assertTrue(self.served_within(b"c\n", 5))
        self.assertEqual(self.server.read_log().count("leads to another directory now"), 2)
        # A link that leads nowhere for a moment changes nothing.
        os.unlink(self.link)
        time.sleep(2.5)
        self.assertEqual(curl(self.server.url("/version.txt")).stdout, b"c\n")
        os.symlink(os.path.join(self.trees, "c"), self.link)
        time.sleep(2.5)
        self.assertEqual(self.server.read_log().count("leads to another directory now"), 2)



if __name__ == "__main__":
    main()
