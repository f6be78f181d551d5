"""The request-framing cases of tests/e2e/test_framing.py, shared with
tests/peers/compare_framing.py (which sends them to nginx too)."""

NEXT = b"GET /index.html HTTP/1.1\r\nHost: t\r\n\r\n"  # what a smuggler hides behind
CHUNKED = b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"

MALFORMED = {
    # A bare CR anywhere in the framing.
    "CR in chunk ext": CHUNKED + b"1;a\rb\r\nx\r\n0\r\n\r\n",
    "CR in chunk ext value": CHUNKED + b"1;name=val\rX\r\nx\r\n0\r\n\r\n",
    "CR in last-chunk ext": CHUNKED + b"0;ext\r",
    "CR in quoted ext": CHUNKED + b'1;a="b\rc"\r\nx\r\n0\r\n\r\n',
    "CR after chunk size": CHUNKED + b"1\rX\r\nx\r\n0\r\n\r\n",
    "CR and junk after data": CHUNKED + b"1\r\nx\rX0\r\n\r\n",
    "CR in trailer": CHUNKED + b"0\r\nT: a\rb\r\n\r\n",
    "CR ends trailers": CHUNKED + b"0\r\n\r",
    "CR in request line": b"GET /a\rb HTTP/1.1\r\nHost: t\r\n\r\n",
    "CR after version": b"GET / HTTP/1.1\rHost: t\r\n\r\n",
    "CR in value": b"GET / HTTP/1.1\r\nHost: t\r\nX: a\rb\r\n\r\n",
    "CR ends head": b"GET / HTTP/1.1\r\nHost: t\r\n\r",
    # Bare LF as a line end.
    "LF ends head": b"GET / HTTP/1.1\r\nHost: t\r\n\n",
    "LF in chunk line": CHUNKED + b"1\nx\r\n0\r\n\r\n",
    "LF after data": CHUNKED + b"1\r\nx\n0\r\n\r\n",
    # Field syntax.
    "space before colon": b"GET / HTTP/1.1\r\nHost: t\r\nFoo : bar\r\n\r\n",
    "tab before colon": b"GET / HTTP/1.1\r\nHost: t\r\nFoo\t: bar\r\n\r\n",
    "space before colon, Host": b"GET / HTTP/1.1\r\nHost : t\r\n\r\n",
    "space before colon, Transfer-Encoding":
        b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding : chunked\r\nContent-Length: 3\r\n\r\nabc",
    "space before colon, Content-Length": b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length : 3\r\n\r\nabc",
    "obs-fold": b"GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n b\r\n\r\n",
    "obs-fold of Transfer-Encoding": b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n",
    "empty field name": b"GET / HTTP/1.1\r\nHost: t\r\n: x\r\n\r\n",
    "bad field name": b"GET / HTTP/1.1\r\nHost: t\r\nF@o: x\r\n\r\n",
    "NUL in value": b"GET / HTTP/1.1\r\nHost: t\r\nX: a\x00b\r\n\r\n",
    "CTL in value": b"GET / HTTP/1.1\r\nHost: t\r\nX: a\x0bb\r\n\r\n",
    "tab in target": b"GET /a\tb HTTP/1.1\r\nHost: t\r\n\r\n",
    # Message length.
    "HTTP/1.0 with chunked": b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "HTTP/1.0 with chunked and Host": b"GET / HTTP/1.0\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "HTTP/1.0 with TE and CL": b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
    "CL and TE": b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "two CLs": b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
    "CL list": b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1, 1\r\n\r\nx",
    "TE twice": b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "chunked not final": b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
    "chunk size overflow": CHUNKED + b"FFFFFFFFFFFFFFFFF1\r\nx\r\n0\r\n\r\n",
    "chunk data overrun": CHUNKED + b"1\r\nxy\r\n0\r\n\r\n",
    "chunk ext too long": CHUNKED + b"1;" + b"e" * 5000 + b"\r\nx\r\n0\r\n\r\n",
}

WELL_FORMED = {
    "chunked with extensions": CHUNKED + b'5;a=b;q="x;\\"y" \r\nhello\r\n0 ; last\r\nTrailer: 1\r\n\r\n',
    "content-length body": b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello",
    "utf-8 target": "GET /caf\u00e9 HTTP/1.1\r\nHost: t\r\n\r\n".encode(),
    "leading empty line": b"\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n",
    "absolute form": b"GET http://t/index.html HTTP/1.1\r\nHost: elsewhere\r\n\r\n",
    "absolute form, upper-case scheme": b"GET HTTP://t/index.html HTTP/1.1\r\nHost: t\r\n\r\n",
    "upgrade to h2c asked (never granted)": b"GET /index.html HTTP/1.1\r\nHost: t\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                                            b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n",
}
