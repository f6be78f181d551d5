"""OCSP stapling against a real responder (`openssl ocsp`): a certificate that names
a responder gets its status stapled, fetched off the workers; with the responder
down, handshakes go on without a staple (never waiting) and the staple appears once
it answers; a revoked certificate is never stapled."""
import datetime
import os
import subprocess
import time
import unittest

from harness import Server, free_port, main


def openssl(*args, **kw):
    return subprocess.run(["openssl", *args], check=True, capture_output=True, text=True, **kw).stdout


class Ocsp(unittest.TestCase):
    def setUp(self):
        self.server = Server()
        self.d = os.path.join(self.server.dir, "pki")
        os.makedirs(self.d)
        self.port = free_port()
        p = lambda name: os.path.join(self.d, name)  # noqa: E731
        self.ca, self.ca_key = p("ca.pem"), p("ca.key")
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "3",
                "-subj", "/CN=uringd test CA", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-keyout", self.ca_key, "-out", self.ca)
        leaf_key, csr, leaf, ext = p("leaf.key"), p("leaf.csr"), p("leaf.pem"), p("ext.cnf")
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-subj", "/CN=localhost", "-keyout", leaf_key, "-out", csr)
        with open(ext, "w") as f:
            f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                    f"authorityInfoAccess=OCSP;URI:http://127.0.0.1:{self.port}/\n")
        openssl("x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey", self.ca_key, "-CAcreateserial", "-days", "2",
                "-extfile", ext, "-out", leaf)
        serial = openssl("x509", "-in", leaf, "-noout", "-serial").strip().split("=")[1]
        end = openssl("x509", "-in", leaf, "-noout", "-enddate").strip().split("=", 1)[1]
        expiry = datetime.datetime.strptime(end, "%b %d %H:%M:%S %Y GMT").strftime("%y%m%d%H%M%SZ")
        self.index = p("index.txt")
        self.index_line = f"V\t{expiry}\t\t{serial}\tunknown\t/CN=localhost\n"
        with open(self.index, "w") as f:
            f.write(self.index_line)
        with open(p("fullchain.pem"), "w") as f:  # the issuer after the leaf: what the stapler checks with
            f.write(open(leaf).read() + open(self.ca).read())
        with open(self.server.conf) as f:
            text = f.read().replace(f'certificate = "{self.server.cert}"', f'certificate = "{p("fullchain.pem")}"')
        with open(self.server.conf, "w") as f:
            f.write(text.replace(f'key = "{self.server.key}"', f'key = "{leaf_key}"'))
        self.responder = None

    def tearDown(self):
        if self.responder:
            self.responder.terminate()
            self.responder.wait(10)
        self.server.stop()
        self.server.cleanup()

    def start_responder(self):
        self.responder = subprocess.Popen(
            ["openssl", "ocsp", "-index", self.index, "-port", str(self.port), "-rsigner", self.ca,
             "-rkey", self.ca_key, "-CA", self.ca, "-nmin", "10", "-ignore_err"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def status(self):
        """What `openssl s_client -status` says about the stapled response, and how long the handshake took."""
        t0 = time.time()
        r = subprocess.run(f"openssl s_client -connect 127.0.0.1:{self.server.tls_port} -servername localhost "
                           f"-CAfile {self.ca} -status </dev/null", shell=True, capture_output=True, text=True,
                           timeout=20)
        return r.stdout, time.time() - t0

    def wait_for(self, text, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            out, _ = self.status()
            if text in out:
                return out
            time.sleep(0.5)
        self.fail(f"no {text!r} within {timeout} s:\n{out[-1500:]}\n{self.server.read_log()[-1500:]}")

    def test_staple_appears_once_the_responder_answers(self):
        self.server.start()  # the responder is not up yet
        out, took = self.status()
        self.assertIn("OCSP response: no response sent", out)
        self.assertIn("Verify return code: 0 (ok)", out)
        self.assertLess(took, 2, "a handshake waited for the responder")
        self.start_responder()
        out = self.wait_for("OCSP Response Status: successful")
        self.assertIn("Cert Status: good", out)
        self.assertIn("OCSP: stapling a good status for /CN=localhost", self.server.read_log())

    def test_revoked_is_never_stapled(self):
        now = datetime.datetime.utcnow().strftime("%y%m%d%H%M%SZ")
        with open(self.index, "w") as f:
            f.write(self.index_line.replace("V\t", "R\t", 1).replace("\t\t", f"\t{now}\t", 1))
        self.start_responder()
        self.server.start()
        deadline = time.time() + 6
        while "certificate status revoked" not in self.server.read_log() and time.time() < deadline:
            time.sleep(0.2)
        self.assertIn("certificate status revoked", self.server.read_log())
        out, _ = self.status()
        self.assertIn("OCSP response: no response sent", out)

    def test_off(self):
        with open(self.server.conf) as f:
            text = f.read().replace("[tls]\n", "[tls]\nocsp_stapling = false\n", 1)
        with open(self.server.conf, "w") as f:
            f.write(text)
        self.start_responder()
        self.server.start()
        time.sleep(2)
        out, _ = self.status()
        self.assertIn("OCSP response: no response sent", out)


if __name__ == "__main__":
    main()
