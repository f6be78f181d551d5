"""SIGHUP reload: under a wrk load, several reloads in a row cost no request (no
non-2xx, no socket error) and the new configuration is visible afterwards; a bad
configuration is refused with a log line and the old one keeps serving; a change
that needs a restart is reported; systemd hears RELOADING=1 then READY=1."""
import os
import re
import signal
import socket
import subprocess
import time
import unittest

from harness import Server, curl, main


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


if __name__ == "__main__":
    main()
