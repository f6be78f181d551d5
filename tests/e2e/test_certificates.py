"""Certificates that renew themselves: when the certificate or key file changes on
disk, new handshakes get the new pair within seconds, without a SIGHUP; open
connections keep theirs; a broken or mismatched pair is refused with the file's name
and the previous one kept."""
import os
import shutil
import socket
import ssl
import subprocess
import time

from harness import ResponseReader, ServerTest, main, make_cert


def serial_of(der):
    out = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-serial"], input=der,
                         capture_output=True, check=True).stdout.decode()
    return out.strip().split("=", 1)[1]


class Certificates(ServerTest):
    def handshake(self):
        """A new TLS connection; returns (socket, serial of the certificate served)."""
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", self.server.tls_port), timeout=5),
                            server_hostname="localhost")
        return s, serial_of(s.getpeercert(binary_form=True))

    def served_serial(self):
        s, serial = self.handshake()
        s.close()
        return serial

    def wait_for_serial(self, want, timeout=6):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.served_serial() == want:
                return time.time()
            time.sleep(0.2)
        self.fail(f"serial {want} not served within {timeout} s; log:\n{self.server.read_log()[-2000:]}")

    def new_pair(self, name):
        d = os.path.join(self.server.dir, name)
        os.makedirs(d, exist_ok=True)
        cert, key = make_cert(d)
        with open(cert, "rb") as f:
            der = subprocess.run(["openssl", "x509", "-outform", "DER"], input=f.read(), capture_output=True,
                                 check=True).stdout
        return cert, key, serial_of(der)

    def install(self, cert, key):
        """As certbot/lego do: the new files are renamed over the old names."""
        for src, dst in ((key, self.server.key), (cert, self.server.cert)):
            shutil.copy(src, dst + ".new")
            os.rename(dst + ".new", dst)

    def test_renewal_is_picked_up_without_a_reload(self):
        first = self.served_serial()
        kept, kept_serial = self.handshake()  # open across the renewal
        self.assertEqual(kept_serial, first)
        cert, key, serial = self.new_pair("renewed")
        self.assertNotEqual(serial, first)
        t0 = time.time()
        self.install(cert, key)
        took = self.wait_for_serial(serial) - t0
        print(f"new certificate served {took:.1f} s after the files changed")
        self.assertIn(f"serial {serial}", self.server.read_log())
        self.assertNotIn("reloaded", self.server.read_log())  # no SIGHUP, no new generation
        # The connection opened before still works, on its own certificate.
        kept.sendall(b"GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n")
        self.assertEqual(ResponseReader(kept).read()[0], 200)
        kept.close()

        # Written in place, byte by byte as a slow writer would: picked up once whole.
        cert, key, serial = self.new_pair("in-place")
        with open(key, "rb") as f:
            key_bytes = f.read()
        with open(cert, "rb") as f:
            cert_bytes = f.read()
        with open(self.server.key, "wb") as f:
            f.write(key_bytes)
        with open(self.server.cert, "wb") as f:
            f.write(cert_bytes[:100])
            f.flush()
            time.sleep(0.3)
            f.write(cert_bytes[100:])
        self.wait_for_serial(serial)

    def test_broken_pairs_are_refused_and_the_old_one_kept(self):
        good = self.served_serial()
        with open(self.server.cert, "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
        time.sleep(3)
        self.assertEqual(self.served_serial(), good)
        self.assertIn("cannot be used, still serving the previous ones", self.server.read_log())
        self.assertIn(self.server.cert, self.server.read_log())
        # A key from another pair.
        cert, _, serial = self.new_pair("a")
        _, other_key, _ = self.new_pair("b")
        self.install(cert, other_key)
        time.sleep(3)
        self.assertEqual(self.served_serial(), good)
        self.assertIn(f'key "{self.server.key}"', self.server.read_log())
        self.assertIn("mismatch", self.server.read_log())
        # Fixed: served.
        cert, key, serial = self.new_pair("c")
        self.install(cert, key)
        self.wait_for_serial(serial)


if __name__ == "__main__":
    main()
