"""HTTP/2's known attacks, each cut and counted in /metrics: rapid reset
(CVE-2023-44487), CONTINUATION flood (CVE-2024-27316 class), an HPACK bomb,
SETTINGS and PING floods, a client that never opens its window, one that never
reads. After each, the server still answers a new connection at once."""
import time

import h2raw  # noqa: F401  (first: re-executes under Debian's python3 when needed)
from h2raw import (ENHANCE_YOUR_CALM, NO_ERROR, Client, ContinuationFrame, GoAwayFrame, HeadersFrame, SettingsFrame,
                   raw_frame)
from harness import ServerTest, curl, free_port, main, metrics_total, scrape_metrics

ADMIN = free_port()
SEND_TIMEOUT_MS = 1500
HEADER_TIMEOUT_MS = 1500
HEADERS, RST_STREAM, SETTINGS, PING, CONTINUATION = 1, 3, 4, 6, 9
END_STREAM, END_HEADERS = 0x1, 0x4


class Http2Limits(ServerTest):
    conf_extra = (f'[admin]\nenabled = true\naddress = "127.0.0.1:{ADMIN}"\n'
                  f'[limits]\nsend_timeout_ms = {SEND_TIMEOUT_MS}\nheader_timeout_ms = {HEADER_TIMEOUT_MS}\n')

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with open(f"{cls.server.root}/32m.bin", "wb") as f:
            f.write(b"\0" * (32 << 20))

    def client(self, **kw):
        c = Client(self.server.port, **kw)
        self.addCleanup(c.close)
        return c

    def growth(self, before, name, **labels):
        return metrics_total(scrape_metrics(ADMIN), name, **labels) - metrics_total(before, name, **labels)

    def still_serving(self):
        r = curl("--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_code}", self.server.url("/index.html"),
                 timeout=5)
        self.assertEqual(r.stdout, b"200")

    def send_until_cut(self, c, data):
        try:
            c.send(data)
        except OSError:
            pass  # cut while still writing

    def assertCut(self, c, code, within=10):
        """A GOAWAY with `code`, then the end of the connection, within `within` s."""
        t0 = time.monotonic()
        f = c.goaway()
        self.assertIsInstance(f, GoAwayFrame, "the connection ended without a GOAWAY")
        self.assertEqual(f.error_code, code)
        self.assertIsNone(c.frames_until(lambda f: False))  # EOF follows
        self.assertLess(time.monotonic() - t0, within)

    def test_rapid_reset(self):
        before = scrape_metrics(ADMIN)
        c = self.client()
        c.start()
        burst = b""
        for i in range(1500):
            sid = 2 * i + 1
            burst += raw_frame(HEADERS, END_STREAM | END_HEADERS, sid, c.block(c.request_fields("/index.html")))
            burst += raw_frame(RST_STREAM, 0, sid, (8).to_bytes(4, "big"))  # CANCEL
        self.send_until_cut(c, burst)
        self.assertCut(c, ENHANCE_YOUR_CALM)
        self.assertEqual(self.growth(before, "uringd_http2_goaway_total", error="enhance_your_calm"), 1)
        self.assertEqual(self.growth(before, "uringd_http2_floods_total"), 1)
        self.still_serving()

    def test_resets_at_a_normal_pace_are_fine(self):
        c = self.client()
        c.start()
        for i in range(60):  # a browser cancelling what it no longer needs
            sid = c.get("/index.html")
            c.send(raw_frame(RST_STREAM, 0, sid, (8).to_bytes(4, "big")))
        self.assertTrue(c.alive())

    def test_continuation_flood(self):
        before = scrape_metrics(ADMIN)
        c = self.client()
        c.start()
        frames = [raw_frame(HEADERS, END_STREAM, 1, c.block(c.request_fields()))]
        frames += [raw_frame(CONTINUATION, 0, 1, c.block([("x-pad", "y" * 10)])) for _ in range(10000)]
        self.send_until_cut(c, b"".join(frames))
        self.assertCut(c, ENHANCE_YOUR_CALM)
        self.assertEqual(self.growth(before, "uringd_http2_floods_total"), 1)
        self.still_serving()

    def test_hpack_bomb(self):
        # One 4 KiB field in the dynamic table, then a block that names it 1000 times:
        # 4 MB of fields from a few kilobytes. The list's bound (header_buffer_size) cuts it.
        before = scrape_metrics(ADMIN)
        c = self.client()
        c.start()
        first = c.block(c.request_fields("/index.html", extra=[("x-bomb", "b" * 4000)]))
        c.send(raw_frame(HEADERS, END_STREAM | END_HEADERS, 1, first))
        c.response(1)
        index = bytes([0x80 | 62])  # the newest dynamic entry: x-bomb
        bomb = c.block(c.request_fields("/index.html")) + index * 1000
        c.send(raw_frame(HEADERS, END_STREAM | END_HEADERS, 3, bomb))
        self.assertCut(c, ENHANCE_YOUR_CALM)
        self.assertEqual(self.growth(before, "uringd_http2_floods_total"), 1)
        self.still_serving()

    def flood(self, frame):
        before = scrape_metrics(ADMIN)
        c = self.client(timeout=10)
        c.start()
        # The client never reads: every answer the server owes queues up.
        c.sock.setsockopt(__import__("socket").SOL_SOCKET, __import__("socket").SO_RCVBUF, 4096)
        try:
            for _ in range(200):
                c.send(frame * 1000)
        except OSError:
            pass
        self.assertCut(c, ENHANCE_YOUR_CALM)
        self.assertEqual(self.growth(before, "uringd_http2_floods_total"), 1)
        self.still_serving()

    def test_settings_flood(self):
        self.flood(raw_frame(SETTINGS, 0, 0, (3).to_bytes(2, "big") + (100).to_bytes(4, "big")))

    def test_settings_frame_with_too_many_entries(self):
        before = scrape_metrics(ADMIN)
        c = self.client()
        c.start()
        c.send(raw_frame(SETTINGS, 0, 0, b"".join((0x10 + i).to_bytes(2, "big") + (1).to_bytes(4, "big")
                                                  for i in range(100))))
        self.assertCut(c, ENHANCE_YOUR_CALM)  # nghttp2's own answer: counted as the GOAWAY it is
        self.assertEqual(self.growth(before, "uringd_http2_goaway_total", error="enhance_your_calm"), 1)

    def test_ping_flood(self):
        self.flood(raw_frame(PING, 0, 0, b"12345678"))

    def test_zero_window_stall(self):
        before = scrape_metrics(ADMIN)
        c = self.client(timeout=15)
        c.start({SettingsFrame.INITIAL_WINDOW_SIZE: 0})
        c.get("/32m.bin")
        t0 = time.monotonic()
        f = c.goaway()  # the server gives up: GOAWAY, then the end of the connection
        self.assertIsInstance(f, GoAwayFrame)
        self.assertEqual(f.error_code, ENHANCE_YOUR_CALM)
        self.assertIsNone(c.frames_until(lambda f: False))
        took = time.monotonic() - t0
        self.assertGreater(took, SEND_TIMEOUT_MS / 1000 * 0.8)
        self.assertLess(took, SEND_TIMEOUT_MS / 1000 + 3)
        self.assertEqual(self.growth(before, "uringd_connections_timed_out_total", timer="send"), 1)
        self.still_serving()

    def test_zero_window_stall_with_pings(self):
        # PINGs answered now and then are no progress: the stall is still cut.
        c = self.client(timeout=15)
        c.start({SettingsFrame.INITIAL_WINDOW_SIZE: 0})
        c.get("/32m.bin")
        t0 = time.monotonic()
        closed = False
        while time.monotonic() - t0 < SEND_TIMEOUT_MS / 1000 + 3 and not closed:
            try:
                c.send(raw_frame(PING, 0, 0, b"stillhere"[:8]))
            except OSError:
                closed = True
                break
            time.sleep(0.3)
            c.sock.settimeout(0.01)
            try:
                closed = c.sock.recv(65536) == b""
            except (TimeoutError, OSError) as e:
                closed = isinstance(e, ConnectionResetError)
            c.sock.settimeout(15)
        self.assertTrue(closed, "a stalled stream kept alive by PINGs")
        self.assertLess(time.monotonic() - t0, SEND_TIMEOUT_MS / 1000 + 3)

    def test_slow_request_head(self):
        # Slowloris over HTTP/2: a request head that never comes whole is cut at
        # header_timeout_ms, however it trickles (one HEADERS without its end; a
        # CONTINUATION now and then; a HEADERS frame whose payload stops midway).
        def no_end(c, block):
            c.send(raw_frame(HEADERS, END_STREAM, 1, block[:4]))

        def trickle(c, block):
            c.send(raw_frame(HEADERS, END_STREAM, 1, block[:2]))
            for i in range(2, 8):  # 6 CONTINUATIONs over 2.1 s: past the timeout, under the flood cap
                time.sleep(0.35)
                c.send(raw_frame(CONTINUATION, 0, 1, block[i:i + 1]))

        def cut_frame(c, block):
            c.send(raw_frame(HEADERS, END_STREAM | END_HEADERS, 1, block)[:9 + len(block) // 2])

        for name, send in (("no end", no_end), ("trickle", trickle), ("cut frame", cut_frame)):
            with self.subTest(name):
                before = scrape_metrics(ADMIN)
                c = self.client(timeout=10)
                c.start()
                block = c.block(c.request_fields("/index.html", extra=[("x-pad", "p" * 40)]))
                t0 = time.monotonic()
                try:
                    send(c, block)
                except OSError:
                    pass  # cut while trickling
                f = c.goaway()
                took = time.monotonic() - t0
                self.assertTrue(f is None or f.error_code == NO_ERROR, f)
                self.assertGreater(took, HEADER_TIMEOUT_MS / 1000 * 0.8)
                self.assertLess(took, HEADER_TIMEOUT_MS / 1000 + 3)
                self.assertEqual(self.growth(before, "uringd_connections_timed_out_total", timer="header"), 1)
        self.still_serving()

    def test_client_that_never_reads(self):
        before = scrape_metrics(ADMIN)
        c = self.client(timeout=15)
        c.start({SettingsFrame.INITIAL_WINDOW_SIZE: (1 << 31) - 1})
        c.send(h2raw.WindowUpdateFrame(0, (1 << 31) - 1 - 65535))
        for _ in range(4):
            c.get("/32m.bin")
        time.sleep(SEND_TIMEOUT_MS / 1000 + 2.5)
        self.assertEqual(self.growth(before, "uringd_connections_timed_out_total", timer="send"), 1)
        self.still_serving()


if __name__ == "__main__":
    main()
