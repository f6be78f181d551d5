"""RFC 9113's MUSTs, the way h2spec checks them: each case sends the frames a broken
client would and asserts the exact error the server answers with (a GOAWAY for a
connection error, a RST_STREAM for a stream error). Over h2c with prior knowledge,
and the first cases over TLS with ALPN h2 too."""
import struct

import h2raw  # noqa: F401  (first: re-executes under Debian's python3 when needed)
from h2raw import (COMPRESSION_ERROR, FLOW_CONTROL_ERROR, FRAME_SIZE_ERROR, PROTOCOL_ERROR, REFUSED_STREAM,
                   STREAM_CLOSED, Client, ContinuationFrame, DataFrame, GoAwayFrame, HeadersFrame, PingFrame,
                   RstStreamFrame, SettingsFrame, WindowUpdateFrame, raw_frame)
from harness import ServerTest, main

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS, PADDED = 0x1, 0x1, 0x4, 0x8


class Conformance(ServerTest):
    tls = False

    def client(self):
        c = Client(self.server.tls_port if self.tls else self.server.port, self.server.cert if self.tls else None)
        c.start()
        self.addCleanup(c.close)
        return c

    def assertGoaway(self, c, code):
        f = c.goaway()
        self.assertIsNotNone(f, "no GOAWAY before the connection closed")
        self.assertEqual(f.error_code, code, f"GOAWAY error {f.error_code}, expected {code}")

    def assertStreamError(self, c, sid, code, connection_error_allowed=False):
        """RST_STREAM with `code`, the connection going on; or, where the library
        chooses to (RFC 9113 §5.4.1 allows it), a GOAWAY with the same code."""
        f = c.rst(sid)
        self.assertIsNotNone(f, "neither RST_STREAM nor GOAWAY")
        self.assertEqual(f.error_code, code)
        if connection_error_allowed and isinstance(f, GoAwayFrame):
            return
        self.assertIsInstance(f, RstStreamFrame, "a connection error where a stream error was expected")
        self.assertTrue(c.alive(), "the connection must survive a stream error")

    # -- §3.4 preface, §4 frames -----------------------------------------------------
    def test_get_works(self):
        c = self.client()
        h, body = c.response(c.get("/index.html"))
        self.assertEqual(h[":status"], "200")
        self.assertEqual(body, b"<h1>home</h1>\n")

    def test_invalid_preface_is_a_connection_error(self):
        c = Client(self.server.tls_port if self.tls else self.server.port, self.server.cert if self.tls else None)
        self.addCleanup(c.close)
        c.send(b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n" + raw_frame(SETTINGS, 0, 0, b""))
        f = c.goaway()
        if f is not None:  # §3.4: a GOAWAY MAY be sent before closing
            self.assertEqual(f.error_code, PROTOCOL_ERROR)

    def test_frame_larger_than_max_frame_size(self):
        c = self.client()
        sid = c.headers(c.request_fields(method="POST"), end_stream=False)
        c.send(raw_frame(DATA, 0, sid, b"x" * 16385))
        self.assertGoaway(c, FRAME_SIZE_ERROR)

    def test_unknown_frame_type_is_ignored(self):
        c = self.client()
        c.send(raw_frame(0x42, 0xff, 0, b"whatever"))
        self.assertTrue(c.alive())

    def test_data_on_stream_zero(self):
        c = self.client()
        c.send(raw_frame(DATA, 0, 0, b"x"))
        self.assertGoaway(c, PROTOCOL_ERROR)

    def test_headers_on_even_stream(self):
        c = self.client()
        c.headers(c.request_fields(), stream_id=2)
        self.assertGoaway(c, PROTOCOL_ERROR)

    def test_stream_ids_must_increase(self):
        c = self.client()
        c.response(c.headers(c.request_fields(), stream_id=5))
        c.headers(c.request_fields(), stream_id=3)
        self.assertGoaway(c, PROTOCOL_ERROR)

    def test_padding_longer_than_payload(self):
        c = self.client()
        block = c.block(c.request_fields())
        c.send(raw_frame(HEADERS, END_STREAM | END_HEADERS | PADDED, 1, bytes([len(block) + 10]) + block))
        self.assertGoaway(c, PROTOCOL_ERROR)

    # -- §5.1 stream states ----------------------------------------------------------
    def test_data_on_idle_stream(self):
        c = self.client()
        c.send(raw_frame(DATA, 0, 1, b"x"))
        self.assertGoaway(c, PROTOCOL_ERROR)

    def test_rst_stream_on_idle_stream(self):
        c = self.client()
        c.send(raw_frame(RST_STREAM, 0, 1, struct.pack(">I", 8)))
        self.assertGoaway(c, PROTOCOL_ERROR)

    def test_window_update_on_idle_stream(self):
        c = self.client()
        c.send(raw_frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 1)))
        self.assertGoaway(c, PROTOCOL_ERROR)

    def test_data_after_end_stream(self):
        c = self.client()
        sid = c.get("/1m.bin")  # half-closed (remote) while its body waits for the window
        c.send(raw_frame(DATA, 0, sid, b"late"))
        f = c.frames_until(lambda f: isinstance(f, (RstStreamFrame, GoAwayFrame)))
        self.assertIsNotNone(f)
        self.assertEqual(f.error_code, STREAM_CLOSED)

    def test_headers_on_closed_stream(self):
        c = self.client()
        sid = c.get("/index.html")
        c.response(sid)
        c.headers(c.request_fields(), stream_id=sid)
        f = c.frames_until(lambda f: isinstance(f, (RstStreamFrame, GoAwayFrame)))
        self.assertIsNotNone(f)
        self.assertIn(f.error_code, (STREAM_CLOSED, PROTOCOL_ERROR))

    def test_more_streams_than_allowed(self):
        c = self.client()
        limit = c.server_settings[SettingsFrame.MAX_CONCURRENT_STREAMS]
        self.assertGreaterEqual(limit, 100)
        self.assertLessEqual(limit, 128)
        # Streams left open (no END_STREAM) stay counted; one more is refused.
        for _ in range(limit):
            c.headers(c.request_fields(method="POST"), end_stream=False)
        sid = c.headers(c.request_fields(method="POST"), end_stream=False)
        f = c.frames_until(lambda f: isinstance(f, (RstStreamFrame, GoAwayFrame)) and
                           (isinstance(f, GoAwayFrame) or f.stream_id == sid))
        self.assertIsNotNone(f)
        self.assertIn(f.error_code, (PROTOCOL_ERROR, REFUSED_STREAM))

    # -- §5.5, §6.x frame definitions -------------------------------------------------
    def test_settings_length_not_multiple_of_six(self):
        c = self.client()
        c.send(raw_frame(SETTINGS, 0, 0, b"\x00\x03\x00\x00\x00"))
        self.assertGoaway(c, FRAME_SIZE_ERROR)

    def test_settings_ack_with_payload(self):
        c = self.client()
        c.send(raw_frame(SETTINGS, ACK, 0, b"\x00\x03\x00\x00\x00\x01"))
        self.assertGoaway(c, FRAME_SIZE_ERROR)

    def test_settings_on_a_stream(self):
        c = self.client()
        c.send(raw_frame(SETTINGS, 0, 1, b""))
        self.assertGoaway(c, PROTOCOL_ERROR)

    def test_settings_enable_push_invalid(self):
        c = self.client()
        c.send(raw_frame(SETTINGS, 0, 0, struct.pack(">HI", 0x2, 2)))
        self.assertGoaway(c, PROTOCOL_ERROR)

    def test_settings_initial_window_too_large(self):
        c = self.client()
        c.send(raw_frame(SETTINGS, 0, 0, struct.pack(">HI", 0x4, 2 ** 31)))
        self.assertGoaway(c, FLOW_CONTROL_ERROR)

    def test_settings_max_frame_size_too_small(self):
        c = self.client()
        c.send(raw_frame(SETTINGS, 0, 0, struct.pack(">HI", 0x5, 16383)))
        self.assertGoaway(c, PROTOCOL_ERROR)

    def test_unknown_setting_is_ignored(self):
        c = self.client()
        c.send(raw_frame(SETTINGS, 0, 0, struct.pack(">HI", 0xff, 7)))
        f = c.frames_until(lambda f: isinstance(f, (SettingsFrame, GoAwayFrame)) and
                           (isinstance(f, GoAwayFrame) or "ACK" in f.flags))
        self.assertIsInstance(f, SettingsFrame)

    def test_ping_is_answered(self):
        c = self.client()
        c.send(raw_frame(PING, 0, 0, b"12345678"))
        f = c.frames_until(lambda f: isinstance(f, PingFrame))
        self.assertIn("ACK", f.flags)
        self.assertEqual(f.opaque_data, b"12345678")

    def test_ping_wrong_length(self):
        c = self.client()
        c.send(raw_frame(PING, 0, 0, b"1234567"))
        self.assertGoaway(c, FRAME_SIZE_ERROR)

    def test_ping_on_a_stream(self):
        c = self.client()
        c.send(raw_frame(PING, 0, 1, b"12345678"))
        self.assertGoaway(c, PROTOCOL_ERROR)

    def test_rst_stream_wrong_length(self):
        c = self.client()
        sid = c.headers(c.request_fields(method="POST"), end_stream=False)
        c.send(raw_frame(RST_STREAM, 0, sid, b"\x00\x00\x00"))
        self.assertGoaway(c, FRAME_SIZE_ERROR)

    def test_goaway_on_a_stream(self):
        c = self.client()
        c.send(raw_frame(GOAWAY, 0, 1, struct.pack(">II", 0, 0)))
        self.assertGoaway(c, PROTOCOL_ERROR)

    def test_window_update_zero_on_connection(self):
        c = self.client()
        c.send(raw_frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 0)))
        self.assertGoaway(c, PROTOCOL_ERROR)

    def test_window_update_zero_on_stream(self):
        c = self.client()
        sid = c.headers(c.request_fields(method="POST"), end_stream=False)
        c.send(raw_frame(WINDOW_UPDATE, 0, sid, struct.pack(">I", 0)))
        self.assertStreamError(c, sid, PROTOCOL_ERROR, connection_error_allowed=True)

    def test_window_update_wrong_length(self):
        c = self.client()
        c.send(raw_frame(WINDOW_UPDATE, 0, 0, b"\x00\x00\x01"))
        self.assertGoaway(c, FRAME_SIZE_ERROR)

    def test_connection_window_overflow(self):
        c = self.client()
        c.send(WindowUpdateFrame(0, 2 ** 31 - 1))
        self.assertGoaway(c, FLOW_CONTROL_ERROR)

    def test_stream_window_overflow(self):
        c = self.client()
        sid = c.headers(c.request_fields(method="POST"), end_stream=False)
        c.send(WindowUpdateFrame(sid, 2 ** 31 - 1))
        self.assertStreamError(c, sid, FLOW_CONTROL_ERROR)

    def test_push_promise_from_a_client(self):
        c = self.client()
        c.send(raw_frame(PUSH_PROMISE, END_HEADERS, 1, struct.pack(">I", 2) + c.block(c.request_fields())))
        self.assertGoaway(c, PROTOCOL_ERROR)

    # -- §6.10 CONTINUATION ------------------------------------------------------------
    def test_headers_interrupted_by_another_frame(self):
        c = self.client()
        c.send(raw_frame(HEADERS, END_STREAM, 1, c.block(c.request_fields())), raw_frame(PING, 0, 0, b"12345678"))
        self.assertGoaway(c, PROTOCOL_ERROR)

    def test_continuation_without_headers(self):
        c = self.client()
        c.send(raw_frame(CONTINUATION, END_HEADERS, 1, c.block(c.request_fields())))
        self.assertGoaway(c, PROTOCOL_ERROR)

    def test_continuation_completes_a_header_block(self):
        c = self.client()
        block = c.block(c.request_fields("/index.html"))
        c.send(raw_frame(HEADERS, END_STREAM, 1, block[:5]), raw_frame(CONTINUATION, 0, 1, block[5:9]),
               raw_frame(CONTINUATION, END_HEADERS, 1, block[9:]))
        h, body = c.response(1)
        self.assertEqual((h[":status"], body), ("200", b"<h1>home</h1>\n"))

    # -- §4.3 HPACK --------------------------------------------------------------------
    def test_invalid_header_block(self):
        c = self.client()
        c.send(raw_frame(HEADERS, END_STREAM | END_HEADERS, 1, b"\xff\xff\xff\xff\xff\x7f"))  # index far out of range
        self.assertGoaway(c, COMPRESSION_ERROR)

    # -- §8.2, §8.3 fields ---------------------------------------------------------------
    def stream_error_for(self, fields):
        c = self.client()
        sid = c.headers(fields)
        self.assertStreamError(c, sid, PROTOCOL_ERROR)

    def test_uppercase_field_name(self):
        self.stream_error_for([(":method", "GET"), (":scheme", "http"), (":authority", "x"), (":path", "/"),
                               ("X-Upper", "1")])

    def test_pseudo_field_after_regular(self):
        self.stream_error_for([(":method", "GET"), (":scheme", "http"), ("accept", "*/*"), (":path", "/"),
                               (":authority", "x")])

    def test_unknown_pseudo_field(self):
        self.stream_error_for([(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "x"),
                               (":foo", "bar")])

    def test_duplicate_pseudo_field(self):
        self.stream_error_for([(":method", "GET"), (":method", "GET"), (":scheme", "http"), (":path", "/"),
                               (":authority", "x")])

    def test_missing_method(self):
        self.stream_error_for([(":scheme", "http"), (":path", "/"), (":authority", "x")])

    def test_missing_path(self):
        self.stream_error_for([(":method", "GET"), (":scheme", "http"), (":authority", "x")])

    def test_empty_path(self):
        self.stream_error_for([(":method", "GET"), (":scheme", "http"), (":path", ""), (":authority", "x")])

    def test_missing_scheme(self):
        self.stream_error_for([(":method", "GET"), (":path", "/"), (":authority", "x")])

    def test_host_and_authority(self):
        # §8.3.1: Host stands in for a missing :authority; naming another host than
        # :authority is malformed (400), the same host in other case is fine.
        c = self.client()
        cases = (([(":authority", "localhost"), ("host", "other.example")], "400"),
                 ([(":authority", "localhost"), ("host", "LocalHost")], "200"),
                 ([("host", "localhost")], "200"))
        for fields, status in cases:
            sid = c.headers([(":method", "GET"), (":scheme", "https"), (":path", "/index.html"), *fields])
            h, _ = c.response(sid)
            self.assertEqual(h[":status"], status, fields)

    def test_connection_specific_field(self):
        self.stream_error_for([(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "x"),
                               ("connection", "keep-alive")])

    def test_te_other_than_trailers(self):
        self.stream_error_for([(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "x"),
                               ("te", "gzip")])

    def test_te_trailers_is_allowed(self):
        c = self.client()
        h, _ = c.response(c.headers(c.request_fields("/index.html", extra=[("te", "trailers")])))
        self.assertEqual(h[":status"], "200")

    def test_pseudo_field_in_trailers(self):
        c = self.client()
        sid = c.headers(c.request_fields(method="POST"), end_stream=False)
        c.headers([(":path", "/")], stream_id=sid)
        f = c.rst(sid)
        self.assertIsNotNone(f)
        self.assertEqual(f.error_code, PROTOCOL_ERROR)

    def test_content_length_mismatch(self):
        c = self.client()
        sid = c.headers(c.request_fields(method="POST", extra=[("content-length", "10")]), end_stream=False)
        c.send(raw_frame(DATA, END_STREAM, sid, b"four"))
        f = c.rst(sid)
        self.assertIsNotNone(f)
        self.assertEqual(f.error_code, PROTOCOL_ERROR)

    # -- semantics carried over from HTTP/1.1 ---------------------------------------------
    def test_post_is_405_and_the_connection_goes_on(self):
        c = self.client()
        h, _ = c.response(c.get("/index.html", method="POST"))
        self.assertEqual(h[":status"], "405")
        self.assertIn("allow", h)
        h, _ = c.response(c.get("/index.html"))
        self.assertEqual(h[":status"], "200")

    def test_traversal_is_refused(self):
        c = self.client()
        h, _ = c.response(c.get("/../../etc/passwd"))
        self.assertIn(h[":status"], ("400", "404"))
        self.assertTrue(c.alive())

    def test_no_connection_fields_in_responses(self):
        c = self.client()
        for path in ("/index.html", "/missing", "/../x"):
            h, _ = c.response(c.get(path))
            for name in ("connection", "keep-alive", "transfer-encoding", "upgrade"):
                self.assertNotIn(name, h, path)
            self.assertTrue(all(k == k.lower() for k in h), h)


class ConformanceTls(Conformance):
    tls = True


if __name__ == "__main__":
    main()
