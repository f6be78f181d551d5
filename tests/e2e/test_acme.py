"""A real certificate from an ACME server, end to end: pebble (Debian's ACME test
server, with pebble-challtestsrv answering its DNS with 127.0.0.1) issues a
certificate to lego (Debian's ACME client) after an HTTP-01 challenge that uringd
serves from its webroot; lego's hook (scripts/acme-deploy-hook.sh) installs it, and
uringd serves it, verified against pebble's root, without a restart; a forced
renewal is served the same way. docs/certificates.md is this recipe."""
import json
import os
import shutil
import subprocess
import time
import unittest

from harness import ROOT_DIR, Server, certs, curl, free_port, main

HOOK = os.path.join(ROOT_DIR, "scripts", "acme-deploy-hook.sh")
DOMAIN = "www.uringd.test"


def serial_served(port, cafile):
    r = subprocess.run(f"openssl s_client -connect 127.0.0.1:{port} -servername {DOMAIN} -CAfile {cafile} "
                       f"-verify_return_error </dev/null 2>/dev/null | openssl x509 -noout -serial",
                       shell=True, capture_output=True, text=True, timeout=20)
    return r.stdout.strip().split("=", 1)[-1] if r.returncode == 0 else None


@unittest.skipUnless(shutil.which("pebble") and shutil.which("lego"), "pebble and lego (Debian) are needed")
class Acme(unittest.TestCase):
    def setUp(self):
        self.procs = []
        self.server = Server()
        self.work = os.path.join(self.server.dir, "acme")
        os.makedirs(self.work)
        # pebble's own HTTPS certificate, trusted by lego through LEGO_CA_CERTIFICATES.
        self.wfe_cert, self.wfe_key = os.path.join(self.work, "wfe.pem"), os.path.join(self.work, "wfe.key")
        certs.self_signed(self.wfe_cert, self.wfe_key, "localhost")
        self.dns_port, self.acme_port, self.mgmt_port = free_port(), free_port(), free_port()
        conf = os.path.join(self.work, "pebble.json")
        with open(conf, "w") as f:
            json.dump({"pebble": {"listenAddress": f"127.0.0.1:{self.acme_port}",
                                  "managementListenAddress": f"127.0.0.1:{self.mgmt_port}",
                                  "certificate": self.wfe_cert, "privateKey": self.wfe_key,
                                  "httpPort": self.server.port, "tlsPort": free_port(),
                                  "ocspResponderURL": "", "externalAccountBindingRequired": False}}, f)
        self.spawn(["pebble-challtestsrv", "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "",
                    "-dns01", f"127.0.0.1:{self.dns_port}", "-http01", "", "-https01", "", "-tlsalpn01", "",
                    "-management", f"127.0.0.1:{free_port()}"], "challtestsrv")
        self.spawn(["pebble", "-config", conf, "-dnsserver", f"127.0.0.1:{self.dns_port}"], "pebble",
                   env={"PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0"})
        # uringd: its [tls] names where the hook installs; a placeholder until then.
        self.live_cert, self.live_key = os.path.join(self.work, "fullchain.pem"), os.path.join(self.work, "privkey.pem")
        shutil.copy(self.server.cert, self.live_cert)
        shutil.copy(self.server.key, self.live_key)
        with open(self.server.conf) as f:
            text = f.read().replace(f'certificate = "{self.server.cert}"', f'certificate = "{self.live_cert}"')
        with open(self.server.conf, "w") as f:
            f.write(text.replace(f'key = "{self.server.key}"', f'key = "{self.live_key}"'))
        self.server.start()
        deadline = time.time() + 15
        while curl("-sk", f"https://127.0.0.1:{self.acme_port}/dir", timeout=2).returncode != 0:
            self.assertLess(time.time(), deadline, "pebble did not come up:\n" + self.logs())
            time.sleep(0.2)

    def spawn(self, cmd, name, env=None):
        log = open(os.path.join(self.work, name + ".log"), "w")
        self.procs.append((subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                            env={**os.environ, **(env or {})}), log))

    def logs(self):
        out = ""
        for name in ("pebble", "challtestsrv", "lego"):
            p = os.path.join(self.work, name + ".log")
            if os.path.exists(p):
                with open(p) as f:
                    out += f"---- {name} ----\n{f.read()[-3000:]}\n"
        return out + "---- uringd ----\n" + self.server.read_log()[-3000:]

    def tearDown(self):
        for p, log in self.procs:
            p.terminate()
            p.wait(10)
            log.close()
        self.server.stop()
        self.server.cleanup()

    def lego(self, *command):
        env = {**os.environ, "LEGO_CA_CERTIFICATES": self.wfe_cert, "URINGD_CERT": self.live_cert,
               "URINGD_KEY": self.live_key}
        cmd = ["lego", "--accept-tos", "--email", "admin@uringd.test", "--server",
               f"https://127.0.0.1:{self.acme_port}/dir", "--domains", DOMAIN, "--http",
               "--http.webroot", self.server.root, "--path", os.path.join(self.work, "lego"), *command]
        with open(os.path.join(self.work, "lego.log"), "a") as log:
            r = subprocess.run(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=120)
        self.assertEqual(r.returncode, 0, self.logs())

    def pebble_root(self):
        path = os.path.join(self.work, "pebble-root.pem")
        r = curl("-sk", f"https://127.0.0.1:{self.mgmt_port}/roots/0", "-o", path)
        self.assertEqual(r.returncode, 0)
        return path

    def wait_serial(self, want_not, root, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            s = serial_served(self.server.tls_port, root)
            if s and s != want_not:
                return s
            time.sleep(0.3)
        self.fail("the issued certificate was not served:\n" + self.logs())

    def test_issue_serve_renew(self):
        self.lego("run", "--run-hook", HOOK)
        # The challenge was answered from the webroot by uringd itself.
        with open(os.path.join(self.server.dir, "uringd.log")) as f:
            self.assertNotIn("error", f.read().lower().replace("error_pages", ""))
        root = self.pebble_root()
        first = self.wait_serial(None, root)
        r = curl("--cacert", root, "--resolve", f"{DOMAIN}:{self.server.tls_port}:127.0.0.1",
                 f"https://{DOMAIN}:{self.server.tls_port}/index.html")
        self.assertEqual(r.stdout, b"<h1>home</h1>\n", r.stderr)
        pid = self.server.pid
        # Forced (any remaining life is "too short"), and at once (lego sleeps a random
        # while before an unattended renewal).
        self.lego("renew", "--days", "100000", "--no-random-sleep", "--renew-hook", HOOK)
        second = self.wait_serial(first, root)
        self.assertNotEqual(first, second)
        self.assertEqual(self.server.pid, pid)
        self.assertIn(f"serial {second}", self.server.read_log())
        print(f"issued serial {first}, renewed serial {second}, served without a restart")


if __name__ == "__main__":
    main()
