"""TLS session tickets: a ticket still resumes after a reload (the generated keys
belong to the process, not to a generation); nodes that share a session_ticket_keys
file resume each other's sessions and a node without it does not; a rotated file
keeps opening old tickets until the old key leaves it; a bad key file is a
line-numbered configuration error. With openssl s_client, TLS 1.3 and 1.2."""
import os
import re
import shutil
import signal
import subprocess
import time
import unittest

from harness import BIN, Server, main

REQUEST = b"GET /index.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
VERSIONS = ("-tls1_3", "-tls1_2")


def s_client(server, cafile, version, *args):
    return subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{server.tls_port}", "-CAfile", cafile,
                           "-servername", "localhost", "-ign_eof", version, *args],
                          input=REQUEST, capture_output=True, timeout=20)


def key_file(path, *keys):
    with open(path, "wb") as f:
        f.write(b"".join(keys))
    return path


class SessionTickets(unittest.TestCase):
    def setUp(self):
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            code = s.stop()
            s.cleanup()
            self.assertEqual(code, 0)

    def server(self, conf_extra="", like=None):
        """A server; with `like`, one that serves that server's certificate (a fleet)."""
        s = Server(conf_extra)
        if like:
            with open(s.conf) as f:
                text = f.read().replace(s.cert, like.cert).replace(s.key, like.key)
            with open(s.conf, "w") as f:
                f.write(text)
        self.servers.append(s.start())
        return s

    def session(self, server, cafile, version):
        path = os.path.join(server.dir, f"sess{version}.pem")
        r = s_client(server, cafile, version, "-sess_out", path)
        self.assertIn(b"<h1>home</h1>", r.stdout, r.stderr[-2000:])
        return path

    def resumes(self, server, cafile, version, session):
        r = s_client(server, cafile, version, "-sess_in", session)
        self.assertIn(b"<h1>home</h1>", r.stdout, r.stderr[-2000:])
        return b"\nReused," in r.stdout

    def reload(self, server):
        before = server.read_log().count("reloaded ")
        server.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while server.read_log().count("reloaded ") == before:
            self.assertLess(time.time(), deadline, server.read_log())
            time.sleep(0.05)

    def test_a_ticket_outlives_a_reload(self):
        a = self.server()
        for version in VERSIONS:
            with self.subTest(version=version):
                session = self.session(a, a.cert, version)
                self.reload(a)
                self.assertTrue(self.resumes(a, a.cert, version, session))

    def test_a_fleet_shares_the_key_file(self):
        keys = key_file(os.path.join(os.environ.get("TMPDIR", "/tmp"), f"uringd-tickets-{os.getpid()}"),
                        os.urandom(80))
        self.addCleanup(os.unlink, keys)
        a = self.server(f'[tls]\nsession_ticket_keys = "{keys}"\n')
        b = self.server(f'[tls]\nsession_ticket_keys = "{keys}"\n', like=a)
        alone = self.server(like=a)
        for version in VERSIONS:
            with self.subTest(version=version):
                session = self.session(a, a.cert, version)
                self.assertTrue(self.resumes(b, a.cert, version, session))
                self.assertFalse(self.resumes(alone, a.cert, version, session))
                session = self.session(b, a.cert, version)
                self.assertTrue(self.resumes(a, a.cert, version, session))

    def test_a_rotated_file_opens_old_tickets_until_their_key_leaves(self):
        old, new = os.urandom(80), os.urandom(80)
        a = Server('[tls]\nsession_ticket_keys = "ticket.keys"\n')  # relative to the conf
        keys = key_file(os.path.join(a.dir, "ticket.keys"), old)
        self.servers.append(a.start())
        sessions = {v: self.session(a, a.cert, v) for v in VERSIONS}
        key_file(keys, new, old)
        self.reload(a)
        for version in VERSIONS:
            with self.subTest(version=version, keys="new, old"):
                self.assertTrue(self.resumes(a, a.cert, version, sessions[version]))
        key_file(keys, new)
        self.reload(a)
        for version in VERSIONS:
            with self.subTest(version=version, keys="new"):
                self.assertFalse(self.resumes(a, a.cert, version, sessions[version]))

    def test_bad_key_files_are_configuration_errors(self):
        s = Server('[tls]\nsession_ticket_keys = "ticket.keys"\n')
        self.addCleanup(shutil.rmtree, s.dir, True)
        with open(s.conf) as f:
            line = next(i for i, l in enumerate(f.read().splitlines(), 1) if l.startswith("session_ticket_keys"))
        path = os.path.join(s.dir, "ticket.keys")
        for content, why in ((None, "No such file or directory"), (b"", "0 bytes, not one or more keys of 80"),
                             (os.urandom(48), "48 bytes, not one or more keys of 80"),
                             (os.urandom(161), "161 bytes, not one or more keys of 80")):
            with self.subTest(why=why):
                if content is not None:
                    key_file(path, content)
                r = subprocess.run([BIN, "-t", "-c", s.conf], capture_output=True, text=True, timeout=30)
                self.assertNotEqual(r.returncode, 0)
                self.assertRegex(r.stdout + r.stderr,
                                 rf'uringd\.conf:{line}: session_ticket_keys "{re.escape(path)}": {why}')


if __name__ == "__main__":
    main()
