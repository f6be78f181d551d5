#!/bin/sh
# Installs a certificate that lego (or certbot) just issued or renewed where uringd
# reads it; uringd notices the change and uses it for new handshakes within about
# two seconds, no reload needed (docs/certificates.md).
#
#   lego:    lego … run   --run-hook   /usr/share/uringd/acme-deploy-hook.sh
#            lego … renew --renew-hook /usr/share/uringd/acme-deploy-hook.sh
#   certbot: certbot … --deploy-hook /usr/share/uringd/acme-deploy-hook.sh
#
# Where from: lego sets LEGO_CERT_PATH and LEGO_CERT_KEY_PATH, certbot sets
# RENEWED_LINEAGE (…/live/NAME, with fullchain.pem and privkey.pem).
# Where to: URINGD_CERT and URINGD_KEY (default /etc/uringd/cert.pem and key.pem,
# the paths the packaged conf's [tls] section names), group URINGD_GROUP (default
# uringd) so the service can read the key and nobody else can.
set -eu
cert=${URINGD_CERT:-/etc/uringd/cert.pem}
key=${URINGD_KEY:-/etc/uringd/key.pem}
group=${URINGD_GROUP:-uringd}
if [ -n "${LEGO_CERT_PATH:-}" ]; then
  src_cert=$LEGO_CERT_PATH
  src_key=$LEGO_CERT_KEY_PATH
elif [ -n "${RENEWED_LINEAGE:-}" ]; then
  src_cert=$RENEWED_LINEAGE/fullchain.pem
  src_key=$RENEWED_LINEAGE/privkey.pem
else
  echo "acme-deploy-hook: neither LEGO_CERT_PATH nor RENEWED_LINEAGE is set" >&2
  exit 2
fi
getent group "$group" >/dev/null || group=$(id -gn)
mkdir -p "$(dirname "$cert")" "$(dirname "$key")"
# Key first, then certificate, each renamed into place whole: uringd loads the pair
# once both files have stopped changing.
install -m 0640 -g "$group" "$src_key" "$key.new" && mv -f "$key.new" "$key"
install -m 0644 -g "$group" "$src_cert" "$cert.new" && mv -f "$cert.new" "$cert"
echo "acme-deploy-hook: installed $cert and $key"
