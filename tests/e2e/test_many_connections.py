"""10 000 idle keep-alive connections held at once, with the server's memory per
connection measured; and abrupt resets mid-handshake, mid-headers and mid-body,
round after round, leave no descriptor, connection or memory behind."""
import os
import socket
import ssl
import struct
import time

from harness import SANITIZED, ResponseReader, ServerTest, curl, free_port, main, metrics_total, raise_nofile, scrape_metrics

IDLE = int(os.environ.get("IDLE_CONNECTIONS", "10000"))


def rss_kib(pid):
    """The process's own resident memory: VmRSS without RssFile. Large bodies are sent
    from a shared file mapping, so each mid-body reset may leave more page-cache pages
    mapped; those are the file's, not memory the server holds."""
    with open(f"/proc/{pid}/status") as f:
        fields = {line.split(":")[0]: int(line.split()[1]) for line in f if line.startswith(("VmRSS:", "RssFile:"))}
    return fields["VmRSS"] - fields.get("RssFile", 0)


def tcp_mem_kib():
    """Kernel memory in TCP socket buffers, both ends of loopback (/proc/net/sockstat)."""
    with open("/proc/net/sockstat") as f:
        for line in f:
            if line.startswith("TCP:"):
                fields = line.split()
                return int(fields[fields.index("mem") + 1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    return 0


def reset(sock):
    """Close with RST instead of FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


ADMIN = free_port()


class ManyConnections(ServerTest):
    admin = ADMIN
    conf_extra = f'[limits]\nmax_connections = {IDLE}\n[admin]\nenabled = true\naddress = "127.0.0.1:{ADMIN}"\n'

    @classmethod
    def setUpClass(cls):
        raise_nofile(IDLE + 1000)  # both ends of every connection live on this machine
        super().setUpClass()

    def open_connections(self):
        return metrics_total(scrape_metrics(self.admin), "uringd_connections_open") - 1  # this scrape's own

    def fds(self):
        """(descriptors other than pipes and cached files, pipes): the open-file cache
        (max_entries) and the pipe pool (one per concurrent splice) are bounded pools."""
        other, pipes = 0, 0
        for fd in os.listdir(f"/proc/{self.server.pid}/fd"):
            try:
                target = os.readlink(f"/proc/{self.server.pid}/fd/{fd}")
            except FileNotFoundError:
                continue
            if target.startswith("pipe:"):
                pipes += 1
            elif not target.startswith(self.server.root + "/"):
                other += 1
        return other, pipes

    def settle(self, baseline):
        """Waits until only the listeners, rings, logs and pools are left."""
        deadline = time.time() + 10
        while time.time() < deadline:
            other, pipes = self.fds()
            if other <= baseline[0] and self.open_connections() == 0:
                self.assertLessEqual(pipes, 2 * 8, "the pipe pool grew past the concurrency it saw")
                return
            time.sleep(0.2)
        self.fail(f"{self.fds()} descriptors (baseline {baseline}), "
                  f"{self.open_connections()} connections still open")

    def warm_up(self):
        for path in ("/index.html", "/1m.bin", "/64m.bin"):
            curl("-o", "/dev/null", self.server.url(path))
            curl("-o", "/dev/null", *self.server.curl_tls_args(), self.server.tls_url(path))

    def test_10k_idle_keepalive_connections(self):
        self.warm_up()
        fds0, rss0, tcp0 = self.fds(), rss_kib(self.server.pid), tcp_mem_kib()
        socks = []
        try:
            for _ in range(IDLE):
                s = socket.create_connection(("127.0.0.1", self.server.port), timeout=30)
                socks.append(s)
            rss_connected = rss_kib(self.server.pid)
            for s in socks:
                s.sendall(b"GET /index.html HTTP/1.1\r\nHost: t\r\n\r\n")
            for s in socks:
                self.assertEqual(ResponseReader(s).read()[0], 200)
            time.sleep(0.5)
            rss_idle, tcp_idle = rss_kib(self.server.pid), tcp_mem_kib()
            self.assertEqual(self.open_connections(), IDLE)
            # Everyone else is still served at once.
            t0 = time.monotonic()
            self.assertEqual(curl(self.server.url("/index.html")).stdout, b"<h1>home</h1>\n")
            elapsed_ms = (time.monotonic() - t0) * 1000
            print(f"{IDLE} idle keep-alive connections: server RSS {rss0} KiB → {rss_connected} KiB connected "
                  f"→ {rss_idle} KiB after one request each; "
                  f"{(rss_connected - rss0) * 1024 / IDLE:.0f} B per connected socket, "
                  f"{(rss_idle - rss0) * 1024 / IDLE:.0f} B per idle keep-alive connection; "
                  f"kernel TCP buffers {tcp0} → {tcp_idle} KiB (both ends); "
                  f"a new request meanwhile took {elapsed_ms:.1f} ms")
            if not SANITIZED:
                self.assertLess((rss_idle - rss0) * 1024 / IDLE, 16 * 1024)
        finally:
            for s in socks:
                s.close()
        self.settle(fds0)

    def test_resets_mid_handshake_headers_and_body_leave_nothing(self):
        self.warm_up()
        fds0 = self.fds()
        rss = []
        for _ in range(4):
            self.reset_round(150)
            self.settle(fds0)
            rss.append(rss_kib(self.server.pid))
        print(f"RSS after each round of {4 * 150} resets: {rss} KiB")
        # The first round may still grow slabs and pools; after it, nothing accumulates.
        if not SANITIZED:
            self.assertLessEqual(rss[-1] - rss[1], 1024, rss)
        self.assertIn(b"200", curl("-sI", self.server.url("/index.html")).stdout)

    def reset_round(self, n):
        port, tls_port = self.server.port, self.server.tls_port
        ctx = ssl.create_default_context(cafile=self.server.cert)
        hello = client_hello()
        for i in range(n):
            # Mid-handshake: half a ClientHello, then RST.
            s = socket.create_connection(("127.0.0.1", tls_port))
            s.sendall(hello[: len(hello) // 2])
            reset(s)
            # Mid-headers.
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"GET /index.html HTTP/1.1\r\nHost: t\r\nX-Half: ")
            reset(s)
            # Mid-body over HTTP (splice) and over TLS.
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"GET /64m.bin HTTP/1.1\r\nHost: t\r\n\r\n")
            s.recv(65536)
            reset(s)
            raw = socket.create_connection(("127.0.0.1", tls_port))
            t = ctx.wrap_socket(raw, server_hostname="localhost")
            t.sendall(b"GET /1m.bin HTTP/1.1\r\nHost: localhost\r\n\r\n")
            t.recv(16384)
            reset(t)


def client_hello():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    try:
        ctx.wrap_bio(inc, out, server_hostname="localhost").do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


if __name__ == "__main__":
    main()
