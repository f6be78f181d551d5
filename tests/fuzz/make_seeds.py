#!/usr/bin/env python3
"""Writes the seed corpora in corpus/{request,config,tls,proxy,h2}: a first byte of
options (see each target) followed by requests, sample confs, real ClientHellos,
PROXY headers, and HTTP/2 frames (run with Debian's python3: it needs hpack)."""
import os
import ssl
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

REQUESTS = [
    b"GET / HTTP/1.1\r\nHost: a.example\r\n\r\n",
    b"GET /a/../b/./c%2e%2E/%41?x=1 HTTP/1.1\r\nHost: x.b.example:8443\r\n\r\n",
    b"HEAD /f HTTP/1.1\r\nHost: a.example\r\nRange: bytes=0-0,5-9,-3,100-\r\nIf-Range: \"5f00-2710\"\r\n\r\n",
    b"GET /f HTTP/1.1\r\nHost: a\r\nIf-None-Match: W/\"x\", \"5f00-2710\"\r\n"
    b"If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\nAccept-Encoding: br;q=0.5, gzip, *;q=0\r\n\r\n",
    b"GET /f HTTP/1.1\r\nHost: a\r\nIf-Match: *\r\nIf-Unmodified-Since: Sunday, 06-Nov-94 08:49:37 GMT\r\n\r\n",
    b"GET http://127.0.0.1:8080/x HTTP/1.1\r\nHost: other\r\n\r\nGET /.git/config HTTP/1.1\r\nHost: [::1]\r\n\r\n",
    b"OPTIONS * HTTP/1.1\r\nHost: a.example\r\n\r\nPOST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
    b"GET / HTTP/1.0\r\n\r\n",
    b"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    b"GET /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n",
]

# Request-smuggling shapes (issue 12; tests/e2e/test_framing.py has them all), each
# followed by the request a smuggler would hide behind it.
NEXT = b"GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"
CHUNKED = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
SMUGGLING = [
    CHUNKED + b"1;a\rb\r\nx\r\n0\r\n\r\n",
    CHUNKED + b"0;ext\r" + NEXT,
    CHUNKED + b'1;a="b\rc"\r\nx\r\n0\r\n\r\n',
    CHUNKED + b"1\r\nx\rX0\r\n\r\n",
    CHUNKED + b"1\nx\r\n0\r\n\r\n",
    CHUNKED + b"0\r\nT: a\rb\r\n\r\n",
    CHUNKED + b"FFFFFFFFFFFFFFFFF1\r\nx\r\n0\r\n\r\n",
    CHUNKED + b"5;a=b;c=\"d\" \r\nhello\r\n0\r\nTrailer: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nFoo : bar\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\nContent-Length: 3\r\n\r\nabc",
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
    b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 1\r\n\r\nx",
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\n\r",
    b"GET / HTTP/1.1\r\nHost: a\r\n\n",
    b"GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n",
    CHUNKED + b"5\r\nhello\r\n0 ample\r\n\r\n",  # found by fuzz_request: BWS after a size must lead to ';'
    b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n",
]
REQUESTS += [s + NEXT for s in SMUGGLING]


def write(kind, name, data):
    d = os.path.join(HERE, "corpus", kind)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def client_hello(**kw):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    for k, v in kw.items():
        setattr(ctx, k, v)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    conn = ctx.wrap_bio(inc, out, server_hostname="fuzz.example")
    try:
        conn.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def frame(ftype, flags, stream_id, payload):
    return len(payload).to_bytes(3, "big") + bytes([ftype, flags]) + stream_id.to_bytes(4, "big") + payload


def h2_seeds():
    """HTTP/2 conversations after the preface and an empty SETTINGS (h2_fuzz adds
    those): requests, ranges, CONTINUATION, resets, window updates, priorities."""
    import hpack  # Debian's python3-hpack (install-deps.sh test)
    enc = hpack.Encoder()

    def headers(sid, path, flags=0x5, method="GET", extra=()):
        block = enc.encode([(":method", method), (":scheme", "http"), (":authority", "a"), (":path", path), *extra])
        return frame(1, flags, sid, block)
    ack = frame(4, 1, 0, b"")
    seeds = {
        "get": ack + headers(1, "/"),
        "many": ack + b"".join(headers(2 * i + 1, p) for i, p in enumerate(
            ["/index.html", "/big.bin", "/missing", "/dir/", "/a.css", "/dir", "/../x", "/errors/404.html"])),
        "range": ack + headers(1, "/big.bin", extra=[("range", "bytes=0-9,100-199,-5")]) +
        headers(3, "/big.bin", extra=[("if-none-match", '"x"'), ("accept-encoding", "gzip")]),
        "head-post": ack + headers(1, "/big.bin", method="HEAD") + headers(3, "/", flags=0x4, method="POST") +
        frame(0, 1, 3, b"body"),
        "continuation": ack + frame(1, 0x1, 1, enc.encode([(":method", "GET"), (":scheme", "http")])) +
        frame(9, 0x4, 1, enc.encode([(":authority", "a"), (":path", "/a.css")])),
        "reset": ack + headers(1, "/big.bin") + frame(3, 0, 1, struct.pack(">I", 8)) + headers(3, "/"),
        "window": frame(4, 0, 0, struct.pack(">HI", 4, 0)) + headers(1, "/big.bin") +
        frame(8, 0, 1, struct.pack(">I", 100)) + frame(8, 0, 0, struct.pack(">I", 1000)),
        "priority": ack + headers(1, "/big.bin", extra=[("priority", "u=7")]) +
        headers(3, "/index.html", extra=[("priority", "u=0, i")]) + frame(6, 0, 0, b"12345678") +
        frame(7, 0, 0, struct.pack(">II", 0, 0)),
    }
    for name, data in seeds.items():
        write("h2", name, data)


def main():
    h2_seeds()
    for i, req in enumerate(REQUESTS):
        for opts in (0x00, 0x03, 0x8d, 0x66):
            write("request", f"req{i}-{opts:02x}", bytes([opts]) + req)
    with open(os.path.join(ROOT, "conf", "uringd.conf"), "rb") as f:
        write("config", "sample.conf", f.read())
    write("config", "minimal.conf", b'[[listen]]\naddress = "127.0.0.1:8080"\n[[site]]\nroot = "/tmp"\n')
    write("config", "tls.conf", b'[tls]\ncertificate = "/c.pem"\nkey = "/k.pem"\n[[listen]]\naddress = "[::1]:8443"\n'
          b'tls = true\n[[site]]\nroot = "/"\nserver_names = ["*.a.example"]\n[[site.error_pages]]\nstatus = 404\npath = "/404.html"\n')
    write("tls", "hello13", b"\x00" + client_hello())
    write("tls", "hello12", b"\x00" + client_hello(maximum_version=ssl.TLSVersion.TLSv1_2))
    write("tls", "hello13-sliced", b"\x85" + client_hello())
    write("tls", "hello12-smallout", b"\x40" + client_hello(maximum_version=ssl.TLSVersion.TLSv1_2))
    # PROXY protocol headers as haproxy sends them (the first byte picks the slice size).
    sig = b"\r\n\r\n\x00\r\nQUIT\n"
    inet4 = bytes([192, 0, 2, 7, 10, 0, 0, 1, 0x30, 0x39, 0x01, 0xbb])
    tlvs = b"\x01\x00\x02h2" + b"\x02\x00\x06a.test" + b"\x05\x00\x04id-1" + b"\x20\x00\x05\x01\x00\x00\x00\x00"
    write("proxy", "v1-tcp4", b"\x03PROXY TCP4 192.0.2.7 10.0.0.1 12345 443\r\nGET / HTTP/1.1\r\n")
    write("proxy", "v1-tcp6", b"\x00PROXY TCP6 2001:db8::7 2001:db8::1 1 443\r\n")
    write("proxy", "v1-unknown", b"\x01PROXY UNKNOWN\r\n")
    write("proxy", "v2-inet4-tlvs", b"\x05" + sig + b"\x21\x11" + struct.pack("!H", 12 + len(tlvs)) + inet4 + tlvs)
    write("proxy", "v2-inet6", b"\x02" + sig + b"\x21\x21\x00\x24" + bytes(36) + b"\x16\x03\x01")
    write("proxy", "v2-local", b"\x00" + sig + b"\x20\x00\x00\x00")
    return 0


if __name__ == "__main__":
    sys.exit(main())
