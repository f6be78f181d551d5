#!/usr/bin/env bash
# Installs dependencies, builds uringd (Release) and serves a generated sample site
# in the foreground: http://127.0.0.1:8080/ and https://127.0.0.1:8443/ (a generated
# self-signed certificate: curl -k, or --cacert build-release/sample/cert.pem).
# Ctrl-C drains and stops it.
# Override the addresses with HTTP_ADDR / HTTPS_ADDR, e.g. HTTP_ADDR=0.0.0.0:8080.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh build
BUILD_TYPE=Release BUILD_DIR=build-release bash scripts/build.sh -DURINGD_TESTS=OFF

sample=build-release/sample
mkdir -p "$sample/www/files"
cat > "$sample/www/index.html" <<'HTML'
<!doctype html>
<html><head><meta charset="utf-8"><title>uringd</title><link rel="stylesheet" href="style.css"></head>
<body><h1>uringd is serving this page</h1>
<p>Static files from per-core io_uring workers. Try <a href="files/">files/</a>.</p></body></html>
HTML
echo 'body { font-family: sans-serif; margin: 3em; }' > "$sample/www/style.css"
echo '<!doctype html><p><a href="1m.bin">1m.bin</a> <a href="64m.bin">64m.bin</a></p>' > "$sample/www/files/index.html"
[[ -f $sample/www/files/1m.bin ]] || head -c 1048576 /dev/urandom > "$sample/www/files/1m.bin"
[[ -f $sample/www/files/64m.bin ]] || head -c 67108864 /dev/urandom > "$sample/www/files/64m.bin"
# A self-signed certificate for the HTTPS listener.
[[ -f $sample/cert.pem ]] || openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$sample/key.pem" -out "$sample/cert.pem" -days 30 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null

www=$(cd "$sample/www" && pwd)
# Started as root, uringd switches to an unprivileged user once the ports are bound:
# "nobody" when it can read the site here, else it stays root and says so.
who='s#^user = .*#user = ""#'
if [[ $(id -u) -eq 0 ]]; then
  if runuser -u nobody -- test -r "$www/index.html"; then
    who='s#^user = .*#user = "nobody"#'
  else
    echo "note: user nobody cannot read $www; serving as root (allow_root = true)"
    who='s#^allow_root = .*#allow_root = true#;s#^user = .*#user = ""#'
  fi
fi
sed -e "$who" \
    -e "s#^root = .*#root = \"$www\"#" \
    -e "s#^address = \"127.0.0.1:8080\"#address = \"${HTTP_ADDR:-127.0.0.1:8080}\"#" \
    -e "s#^address = \"127.0.0.1:8443\"#address = \"${HTTPS_ADDR:-127.0.0.1:8443}\"#" \
    -e "s#^certificate = \"/etc/uringd/cert.pem\"#certificate = \"$(pwd)/$sample/cert.pem\"#" \
    -e "s#^key = \"/etc/uringd/key.pem\"#key = \"$(pwd)/$sample/key.pem\"#" \
    conf/uringd.conf > "$sample/uringd.conf"
build-release/uringd -t -c "$sample/uringd.conf"
echo "serving $www on http://${HTTP_ADDR:-127.0.0.1:8080}/ and https://${HTTPS_ADDR:-127.0.0.1:8443}/ — Ctrl-C to stop"
exec build-release/uringd -c "$sample/uringd.conf"
