"""Timeouts and backpressure: slowloris heads, idle keep-alive connections and
stalled readers are cut; a full worker stops accepting until a slot frees, and a
stop while full answers the connection waiting for a slot."""
import signal
import socket
import time

from harness import ResponseReader, ServerTest, main


def closed_within(sock, seconds):
    """True when the peer closes (EOF or reset) within `seconds`."""
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass
        return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


class Timeouts(ServerTest):
    conf_extra = ("[limits]\nheader_timeout_ms = 600\nkeepalive_timeout_ms = 800\nsend_timeout_ms = 1000\n")

    def test_slowloris_head_is_cut(self):
        with self.connect() as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n")
            start = time.time()
            for _ in range(10):  # keep trickling: the deadline is for the whole head
                time.sleep(0.1)
                try:
                    s.sendall(b"X-a: b\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    break
            self.assertTrue(closed_within(s, 3))
            self.assertLess(time.time() - start, 3)

    def test_silent_connection_is_cut(self):
        with self.connect() as s:
            self.assertTrue(closed_within(s, 3))

    def test_idle_keepalive_is_cut(self):
        with self.connect() as s:
            s.sendall(b"GET /index.html HTTP/1.1\r\nHost: t\r\n\r\n")
            ResponseReader(s).read()
            start = time.time()
            self.assertTrue(closed_within(s, 5))
            self.assertGreater(time.time() - start, 0.5)

    def test_stalled_reader_is_cut(self):
        with self.connect() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.sendall(b"GET /64m.bin HTTP/1.1\r\nHost: t\r\n\r\n")
            time.sleep(3)  # never read: the send makes no progress for send_timeout_ms
            start = time.time()
            self.assertTrue(closed_within(s, 10), "a stalled reader was never cut")
            self.assertLess(time.time() - start, 10)
        self.assert_still_serving()


class Backpressure(ServerTest):
    workers = 1
    conf_extra = "[limits]\nmax_connections = 3\n"

    def test_full_worker_pauses_accepting(self):
        held = [self.connect() for _ in range(3)]
        for s in held:  # each is a live, served connection
            s.sendall(b"GET /index.html HTTP/1.1\r\nHost: t\r\n\r\n")
            self.assertEqual(ResponseReader(s).read()[0], 200)
        extra = self.connect()  # the kernel completes the handshake (backlog)...
        extra.sendall(b"GET /index.html HTTP/1.1\r\nHost: t\r\n\r\n")
        extra.settimeout(1.0)
        with self.assertRaises(socket.timeout):  # ...but nobody answers yet
            extra.recv(100)
        held.pop().close()
        extra.settimeout(5)
        self.assertEqual(ResponseReader(extra).read()[0], 200)
        extra.close()
        for s in held:
            s.close()


class DrainWhileFull(ServerTest):
    workers = 1
    conf_extra = "[limits]\nmax_connections = 2\n"

    def test_a_waiting_connection_is_answered_not_reset(self):
        # A stop with the worker full: the connection waiting for a slot already sent
        # its request, so the drain answers it (with a close) once a slot frees.
        held = [self.connect() for _ in range(2)]
        for s in held:
            s.sendall(b"GET /index.html HTTP/1.1\r\nHost: t\r\n\r\n")
            self.assertEqual(ResponseReader(s).read()[0], 200)
        extra = self.connect()
        extra.sendall(b"GET /index.html HTTP/1.1\r\nHost: t\r\n\r\n")
        time.sleep(0.3)  # in the kernel's queue: the worker is full
        self.server.proc.send_signal(signal.SIGTERM)  # the idle two get a short grace, then close
        extra.settimeout(10)
        status, headers, _ = ResponseReader(extra).read()
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("connection"), "close")
        for s in held:
            self.assertTrue(closed_within(s, 10))
            s.close()
        extra.close()
        self.assertEqual(self.server.proc.wait(30), 0)


if __name__ == "__main__":
    main()
