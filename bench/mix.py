"""The page-load mix: 20 files of 3-300 KB of the types a web page pulls (HTML, CSS,
JS, JSON, SVG, fonts, images), the text ones with .br and .gz siblings made the way
a deploy step makes them (brotli -q 11, gzip -9), requested round-robin with
`Accept-Encoding: br;q=1, gzip;q=0.8` by a wrk Lua script."""
import os
import random
import subprocess

# (name, KiB): text types compress, the binary ones (fonts, images) do not and get
# no siblings, as on a real site.
FILES = [("index.html", 14), ("about.html", 7), ("docs.html", 38), ("app.css", 46), ("theme.css", 18),
         ("print.css", 3), ("vendor.js", 300), ("app.js", 120), ("runtime.js", 4), ("data.json", 64),
         ("manifest.json", 3), ("logo.svg", 6), ("icons.svg", 36), ("regular.woff2", 72),
         ("bold.woff2", 70), ("hero.jpg", 250), ("photo.jpg", 160), ("thumb.png", 24),
         ("banner.webp", 140), ("chart.png", 60)]
TEXT = (".html", ".css", ".js", ".json", ".svg")
WORDS = ("function return const let var this that data value item list node class style width height "
         "margin padding border color background display flex grid none block inline true false null "
         "export import default async await promise then catch error result window document query "
         "selector event listener click load state props render component module require "
         "div span section header footer main nav article button input label form table row cell").split()


def text_bytes(rng, size):
    """Source-like text: identifiers, punctuation and indentation, compressing 3-6x
    like minified and pretty assets do."""
    out, n = [], 0
    while n < size:
        line = "  " * rng.randint(0, 4) + " ".join(rng.choice(WORDS) + rng.choice(("", "(", ")", ";", ":", ",",
                                                                                  "{", "}", "=", ".", "-1", "_2"))
                                                   for _ in range(rng.randint(3, 12))) + "\n"
        out.append(line)
        n += len(line)
    return "".join(out).encode()[:size]


def make(site):
    """Writes site/mix/ and returns the request paths in round-robin order."""
    rng = random.Random(20261130)
    d = os.path.join(site, "mix")
    os.makedirs(d, exist_ok=True)
    for name, kib in FILES:
        path = os.path.join(d, name)
        size = kib * 1024
        data = text_bytes(rng, size) if name.endswith(TEXT) else rng.randbytes(size)
        with open(path, "wb") as f:
            f.write(data)
        if name.endswith(TEXT):
            subprocess.run(["brotli", "-q", "11", "-k", "-f", path], check=True)
            subprocess.run(["gzip", "-9", "-k", "-f", path], check=True)
    return ["/mix/" + name for name, _ in FILES]


def wrk_script(work, paths, report_lua):
    """A wrk script that cycles through `paths` on every connection and keeps the
    report hook of wrk_report.lua."""
    path = os.path.join(work, "mix.lua")
    with open(report_lua) as f:
        hook = f.read()
    with open(path, "w") as f:
        f.write("local paths = {" + ", ".join(f'"{p}"' for p in paths) + "}\n"
                "local i = 0\n"
                'wrk.headers["Accept-Encoding"] = "br;q=1, gzip;q=0.8"\n'
                "request = function()\n  i = i % #paths + 1\n  return wrk.format(nil, paths[i])\nend\n" + hook)
    return path


def encodings(url_base, paths):
    """The Content-Encoding each text file of the mix came back with from one server
    (Debian's nginx has no brotli module, so it sends .gz): {encoding: count}."""
    seen = {}
    for p in paths:
        if not p.endswith(TEXT):
            continue
        out = subprocess.run(["curl", "-sk", "-o", "/dev/null", "-D", "-", "-H", "Accept-Encoding: br;q=1, gzip;q=0.8",
                              url_base + p], capture_output=True, text=True).stdout.lower()
        enc = next((line.split(":", 1)[1].strip() for line in out.splitlines()
                    if line.startswith("content-encoding:")), "identity")
        seen[enc] = seen.get(enc, 0) + 1
    return seen
