"""A raw HTTP/2 client for the conformance and attack tests: frames are built with
hyperframe and header blocks with hpack (Debian's python3-h2 brings both), so a
test can send exactly the bytes a broken or hostile client would, and read back
every frame the server answers with."""
import os
import socket
import ssl
import sys

try:
    import hpack
    from hyperframe.frame import (ContinuationFrame, DataFrame, Frame, GoAwayFrame, HeadersFrame, PingFrame,
                                  RstStreamFrame, SettingsFrame, WindowUpdateFrame)
except ImportError:  # pyenv or a venv first on PATH: Debian's interpreter has the modules
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3", *sys.argv])
    raise

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

# RFC 9113 §7
NO_ERROR, PROTOCOL_ERROR, INTERNAL_ERROR, FLOW_CONTROL_ERROR = 0x0, 0x1, 0x2, 0x3
SETTINGS_TIMEOUT, STREAM_CLOSED, FRAME_SIZE_ERROR, REFUSED_STREAM = 0x4, 0x5, 0x6, 0x7
CANCEL, COMPRESSION_ERROR, ENHANCE_YOUR_CALM = 0x8, 0x9, 0xb

__all__ = ["PREFACE", "Client", "ContinuationFrame", "DataFrame", "GoAwayFrame", "HeadersFrame", "PingFrame",
           "RstStreamFrame", "SettingsFrame", "WindowUpdateFrame", "raw_frame", "NO_ERROR", "PROTOCOL_ERROR",
           "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL",
           "COMPRESSION_ERROR", "ENHANCE_YOUR_CALM"]


def raw_frame(ftype, flags, stream_id, payload):
    """Any frame, valid or not: the 9-byte header and the payload as given."""
    return len(payload).to_bytes(3, "big") + bytes([ftype, flags]) + stream_id.to_bytes(4, "big") + payload


class Closed(Exception):
    pass


class Client:
    def __init__(self, port, tls_cert=None, timeout=5, alpn=("h2",)):
        """alpn: the protocols offered over TLS; empty, prior knowledge over TLS."""
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls_cert:
            ctx = ssl.create_default_context(cafile=tls_cert)
            if alpn:
                ctx.set_alpn_protocols(list(alpn))
            s = ctx.wrap_socket(s, server_hostname="localhost")
            assert s.selected_alpn_protocol() == (alpn[0] if alpn else None), s.selected_alpn_protocol()
        self.sock = s
        self.enc = hpack.Encoder()
        self.dec = hpack.Decoder()
        self.buf = b""
        self.next_id = 1

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- sending ------------------------------------------------------------------
    def send(self, *frames):
        self.sock.sendall(b"".join(f if isinstance(f, bytes) else f.serialize() for f in frames))

    def start(self, settings=None):
        """Preface and SETTINGS; then the server's SETTINGS is read and acknowledged."""
        f = SettingsFrame(0)
        f.settings = settings or {}
        self.send(PREFACE, f)
        while True:
            frame = self.read_frame()
            if isinstance(frame, SettingsFrame) and "ACK" not in frame.flags:
                self.server_settings = frame.settings
                ack = SettingsFrame(0)
                ack.flags.add("ACK")
                self.send(ack)
                return frame

    def request_fields(self, path="/", method="GET", authority="localhost", extra=()):
        return [(":method", method), (":scheme", "https"), (":authority", authority), (":path", path), *extra]

    def block(self, fields):
        return self.enc.encode(fields)

    def headers(self, fields, stream_id=None, end_stream=True, end_headers=True):
        if stream_id is None:
            stream_id = self.next_id
            self.next_id += 2
        f = HeadersFrame(stream_id)
        f.data = self.block(fields)
        if end_stream:
            f.flags.add("END_STREAM")
        if end_headers:
            f.flags.add("END_HEADERS")
        self.send(f)
        return stream_id

    def get(self, path="/", **kw):
        return self.headers(self.request_fields(path, **kw))

    # -- receiving ----------------------------------------------------------------
    def _fill(self, n):
        while len(self.buf) < n:
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                raise Closed()
            self.buf += chunk

    def read_frame(self):
        self._fill(9)
        frame, length = Frame.parse_frame_header(memoryview(self.buf[:9]))
        self._fill(9 + length)
        frame.parse_body(memoryview(self.buf[9:9 + length]))
        self.buf = self.buf[9 + length:]
        return frame

    def frames_until(self, pred, limit=100000):
        """Frames read until `pred(frame)` holds; returns that frame (None on EOF)."""
        for _ in range(limit):
            try:
                f = self.read_frame()
            except (Closed, socket.timeout, ssl.SSLError):
                return None
            if pred(f):
                return f
        return None

    def goaway(self):
        return self.frames_until(lambda f: isinstance(f, GoAwayFrame))

    def rst(self, stream_id):
        return self.frames_until(lambda f: isinstance(f, (RstStreamFrame, GoAwayFrame)) and
                                 (isinstance(f, GoAwayFrame) or f.stream_id == stream_id))

    def response(self, stream_id, window_updates=True):
        """(headers dict, body bytes) of one stream, read to its END_STREAM."""
        headers, body = {}, b""
        while True:
            f = self.read_frame()
            if isinstance(f, GoAwayFrame):
                raise AssertionError(f"GOAWAY {f.error_code} while reading stream {stream_id}")
            if f.stream_id != stream_id:
                continue
            if isinstance(f, RstStreamFrame):
                raise AssertionError(f"RST_STREAM {f.error_code} on stream {stream_id}")
            if isinstance(f, HeadersFrame):
                headers.update({k.decode() if isinstance(k, bytes) else k: v.decode() if isinstance(v, bytes) else v
                                for k, v in self.dec.decode(f.data)})
            elif isinstance(f, DataFrame):
                body += f.data
                if window_updates and f.flow_controlled_length:
                    self.send(WindowUpdateFrame(0, f.flow_controlled_length),
                              WindowUpdateFrame(stream_id, f.flow_controlled_length))
            if "END_STREAM" in f.flags:
                return headers, body

    def alive(self):
        """The connection still answers a PING."""
        p = PingFrame(0)
        p.opaque_data = b"alive?!!"
        try:
            self.send(p)
        except OSError:
            return False
        f = self.frames_until(lambda f: isinstance(f, (PingFrame, GoAwayFrame)) and "ACK" in getattr(f, "flags", ())
                              or isinstance(f, GoAwayFrame))
        return isinstance(f, PingFrame) and f.opaque_data == b"alive?!!"


def responses(client, stream_ids):
    """{stream id: (headers, body)} of streams answered in any interleaving."""
    want = set(stream_ids)
    out = {sid: ({}, bytearray()) for sid in want}
    while want:
        f = client.read_frame()
        if isinstance(f, GoAwayFrame):
            raise AssertionError(f"GOAWAY {f.error_code} with streams {sorted(want)} unfinished")
        if f.stream_id not in out:
            continue
        if isinstance(f, RstStreamFrame):
            raise AssertionError(f"RST_STREAM {f.error_code} on stream {f.stream_id}")
        h, body = out[f.stream_id]
        if isinstance(f, HeadersFrame):
            h.update({k.decode() if isinstance(k, bytes) else k: v.decode() if isinstance(v, bytes) else v
                      for k, v in client.dec.decode(f.data)})
        elif isinstance(f, DataFrame):
            body += f.data
            if f.flow_controlled_length:
                client.send(WindowUpdateFrame(0, f.flow_controlled_length),
                            WindowUpdateFrame(f.stream_id, f.flow_controlled_length))
        if "END_STREAM" in f.flags:
            want.discard(f.stream_id)
    return {sid: (h, bytes(b)) for sid, (h, b) in out.items()}


def request_bytes(path, authority="localhost"):
    """A whole client conversation as bytes: preface, SETTINGS (a 1 GiB window),
    GET `path`, GOAWAY. For tools that only pipe bytes (openssl s_client in tests/vm)."""
    settings = SettingsFrame(0)
    settings.settings = {SettingsFrame.INITIAL_WINDOW_SIZE: 1 << 30}
    get = HeadersFrame(1)
    get.data = hpack.Encoder().encode([(":method", "GET"), (":scheme", "https"), (":authority", authority),
                                       (":path", path)])
    get.flags.add("END_STREAM")
    get.flags.add("END_HEADERS")
    return (PREFACE + settings.serialize() + WindowUpdateFrame(0, (1 << 30) - 65535).serialize() + get.serialize() +
            GoAwayFrame(0).serialize())


if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == "--request":
    sys.stdout.buffer.write(request_bytes(sys.argv[2]))
