"""The admin listener: /metrics parses under the Prometheus text-format rules and
its counters match the requests made; /healthz answers; admin requests are not
counted; the admin port serves nothing else."""
import socket
import ssl
import time

from harness import ResponseReader, ServerTest, curl, free_port, main, parse_metrics as parse, metrics_total as total

ADMIN = free_port()


class Metrics(ServerTest):
    conf_extra = f'[admin]\nenabled = true\naddress = "127.0.0.1:{ADMIN}"\n'

    def admin(self, path):
        r = curl("-D", "-", f"http://127.0.0.1:{ADMIN}{path}")
        head, _, body = r.stdout.partition(b"\r\n\r\n")
        return int(head.split()[1]), head.decode(), body.decode()

    def scrape(self):
        time.sleep(0.6)  # other workers publish every 250 ms
        status, head, body = self.admin("/metrics")
        self.assertEqual(status, 200)
        self.assertIn("text/plain; version=0.0.4", head)
        return parse(body)

    def test_counters_match_requests(self):
        before = self.scrape()
        for _ in range(7):
            self.assertEqual(self.status_of(self.request("/index.html")), 200)
        for _ in range(3):
            self.assertEqual(self.status_of(self.request("/missing")), 404)
        r = curl("-o", "/dev/null", *self.server.curl_tls_args(), self.server.tls_url("/1m.bin"))
        self.assertEqual(r.returncode, 0)
        after = self.scrape()
        delta = lambda name, **l: total(after, name, **l) - total(before, name, **l)
        self.assertEqual(delta("uringd_requests_total", code="200", site="default"), 8)
        self.assertEqual(delta("uringd_requests_total", code="404"), 3)
        # 11 made here + the second scrape's own (connections count on every listener)
        self.assertEqual(delta("uringd_connections_accepted_total"), 12)
        self.assertEqual(delta("uringd_tls_handshakes_total"), 1)
        self.assertEqual(delta("uringd_tls_resumed_total"), 0)
        self.assertEqual(delta("uringd_tls_connections_total", tx="user") +
                         delta("uringd_tls_connections_total", tx="kernel"), 1)
        self.assertGreaterEqual(delta("uringd_sent_bytes_total"), 1 << 20)
        self.assertGreaterEqual(delta("uringd_file_cache_hits_total") + delta("uringd_file_cache_misses_total"), 10)
        workers = {dict(ls)["worker"] for (n, ls) in after if n == "uringd_connections_open"}
        self.assertEqual(len(workers), len(__import__("os").sched_getaffinity(0)))

    def test_resumed_handshakes_are_counted(self):
        ctx = ssl.create_default_context(cafile=self.server.cert)
        before = self.scrape()
        session = None
        for _ in range(3):  # one full handshake, then two that resume its ticket
            raw = socket.create_connection(("127.0.0.1", self.server.tls_port), timeout=10)
            with ctx.wrap_socket(raw, server_hostname="localhost", session=session) as s:
                s.sendall(b"GET /index.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                while s.recv(65536):
                    pass
                session = s.session
        after = self.scrape()
        delta = lambda name: total(after, name) - total(before, name)
        self.assertEqual(delta("uringd_tls_handshakes_total"), 3)
        self.assertEqual(delta("uringd_tls_resumed_total"), 2)

    def test_healthz_and_nothing_else(self):
        self.assertEqual(self.admin("/healthz")[::2], (200, "ok\n"))
        self.assertEqual(self.admin("/index.html")[0], 404)
        with socket.create_connection(("127.0.0.1", ADMIN), timeout=5) as s:
            s.sendall(b"DELETE /metrics HTTP/1.1\r\nHost: a\r\n\r\n")
            self.assertEqual(ResponseReader(s).read()[0], 405)


if __name__ == "__main__":
    main()
