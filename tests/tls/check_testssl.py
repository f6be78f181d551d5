#!/usr/bin/env python3
"""Judges a testssl.sh JSON report (--jsonfile): no SSLv2/SSLv3/TLS 1.0/TLS 1.1, only
AEAD ciphers (AES-GCM, ChaCha20-Poly1305), and no finding of severity LOW or worse
except those that only describe the throwaway test certificate. Prints a summary."""
import json
import sys

# A self-signed certificate made for the scan has no chain, CRL, OCSP or CAA record.
ABOUT_TEST_CERT = {"cert_chain_of_trust", "cert_revocation", "DNS_CAArecord", "cert_trust",
                   "cert_crlDistributionPoints", "cert_ocspURL", "OCSP_stapling"}
BAD = ("LOW", "MEDIUM", "HIGH", "CRITICAL")
AEAD = ("AESGCM", "ChaCha20", "AESCCM")


def main(path):
    findings = json.load(open(path))
    problems, ciphers = [], []
    for f in findings:
        fid, sev, text = f["id"], f["severity"], f["finding"]
        if fid in ("SSLv2", "SSLv3", "TLS1", "TLS1_1") and text != "not offered":
            problems.append(f"{fid} offered: {text}")
        if fid.startswith("cipher_x"):
            ciphers.append(text.split()[1])
            if not any(a in text for a in AEAD):
                problems.append(f"non-AEAD cipher offered: {text}")
        if sev in BAD and fid not in ABOUT_TEST_CERT:
            problems.append(f"{fid} [{sev}]: {text}")
    protocols = [f["id"] for f in findings if f["id"].startswith("TLS1_") and f["finding"].startswith("offered")]
    vulns = [f["id"] for f in findings if f.get("cve") or f["id"] in ("heartbleed", "CCS", "ticketbleed", "ROBOT",
                                                                         "secure_renego", "secure_client_renego")]
    print(f"{path}: protocols {protocols}; {len(ciphers)} ciphers, all AEAD: {' '.join(ciphers)}; "
          f"{len(vulns)} vulnerability checks")
    for p in problems:
        print("  PROBLEM", p)
    return 1 if problems or not ciphers else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
