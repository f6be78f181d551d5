"""Self-signed certificates for tests and benchmarks: the one place they are made
(tests/support/certs.sh is the same for shell scripts)."""
import subprocess

KEY_ALGS = {
    "ecdsa": ["ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
    "rsa": ["rsa:2048"],
}


def self_signed(cert, key, name="localhost", alg="ecdsa", days=2, ips=("127.0.0.1",)):
    """Writes a certificate for `name` (and `ips`) to `cert`, its key to `key`."""
    san = ",".join([f"DNS:{name}"] + [f"IP:{ip}" for ip in ips])
    subprocess.run(["openssl", "req", "-x509", "-newkey", *KEY_ALGS[alg], "-nodes", "-days", str(days),
                    "-subj", f"/CN={name}", "-addext", f"subjectAltName={san}", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key
