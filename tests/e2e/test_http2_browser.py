"""A real browser over HTTP/2: headless Chromium loads a page with a stylesheet, a
script and an image over TLS; the script's work shows in the DOM Chromium dumps,
and the access log shows every one of the four requests arriving over HTTP/2
(ALPN h2) from HeadlessChrome."""
import json
import os
import shutil
import subprocess
import time
import unittest

from harness import Server, ServerTest, main

PAGE = """<!doctype html>
<html><head><title>h2 page</title><link rel="stylesheet" href="/style.css">
<script src="/app.js"></script></head>
<body><img src="/logo.png" alt="logo"><p id="out">not run</p></body></html>
"""
SCRIPT = "window.addEventListener('load', () => { document.getElementById('out').textContent = " \
         "'loaded ' + document.images[0].naturalWidth + ' ' + " \
         "getComputedStyle(document.body).backgroundColor; });\n"
# A 1×1 PNG.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360f8cfc000000301010018dd8db00000000049454e44ae426082")


def chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser")


@unittest.skipUnless(chromium(), "chromium is installed by scripts/install-deps.sh test")
class Browser(ServerTest):
    @classmethod
    def setUpClass(cls):
        cls.server = Server()
        cls.log = os.path.join(cls.server.dir, "access.jsonl")
        with open(cls.server.conf) as f:
            conf = f.read()
        site = f'[[site]]\nroot = "{cls.server.root}"\n'
        conf = conf.replace(site, site + f'access_log = "{cls.log}"\naccess_log_format = "json"\n')
        with open(cls.server.conf, "w") as f:
            f.write(conf)
        cls.server.start()
        files = {"index.html": PAGE.encode(), "style.css": b"body { background-color: rgb(1, 2, 3); }\n",
                 "app.js": SCRIPT.encode(), "logo.png": PNG}
        for name, data in files.items():
            with open(os.path.join(cls.server.root, name), "wb") as f:
                f.write(data)

    def test_page_loads_over_h2(self):
        profile = os.path.join(self.server.dir, "chromium-profile")
        r = subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                            f"--user-data-dir={profile}", "--ignore-certificate-errors",
                            f"--host-resolver-rules=MAP localhost 127.0.0.1", "--virtual-time-budget=5000",
                            "--dump-dom", self.server.tls_url("/index.html")],
                           capture_output=True, text=True, timeout=120)
        self.assertIn("loaded 1 rgb(1, 2, 3)", r.stdout, r.stderr[-2000:])
        time.sleep(0.5)  # the log writer's flush
        with open(self.log) as f:
            records = [json.loads(line) for line in f if "HeadlessChrome" in line]
        by_uri = {rec["uri"]: rec for rec in records}
        for uri in ("/index.html", "/style.css", "/app.js", "/logo.png"):
            self.assertIn(uri, by_uri, records)
            self.assertEqual((by_uri[uri]["protocol"], by_uri[uri]["alpn"], by_uri[uri]["status"]),
                             ("HTTP/2.0", "h2", 200), uri)


if __name__ == "__main__":
    main()
