# Self-signed certificates for shell tests and benchmarks (source this file); the
# Python twin is tests/support/certs.py.
# self_signed CERT KEY [NAME=localhost] [ALG=ecdsa|rsa] [DAYS=2]
self_signed() {
  local cert=$1 key=$2 name=${3:-localhost} alg=${4:-ecdsa} days=${5:-2} newkey
  case $alg in
    ecdsa) newkey=(ec -pkeyopt ec_paramgen_curve:prime256v1) ;;
    rsa) newkey=(rsa:2048) ;;
    *) echo "self_signed: ecdsa or rsa, not $alg" >&2; return 2 ;;
  esac
  openssl req -x509 -newkey "${newkey[@]}" -nodes -days "$days" -subj "/CN=$name" \
    -addext "subjectAltName=DNS:$name,IP:127.0.0.1" -keyout "$key" -out "$cert" 2>/dev/null
}
