"""A stop behind a load balancer: on SIGTERM /healthz answers 503 at once, while the
node keeps serving for drain_delay_ms (new connections too), each response closing
its connection; then the listeners close and the process exits cleanly."""
import signal
import socket
import time
import unittest

from harness import Server, curl, free_port, main


class DrainDelay(unittest.TestCase):
    def test_health_goes_503_first_then_the_listeners_close(self):
        admin = free_port()
        s = Server(f'[limits]\ndrain_delay_ms = 1500\n[admin]\nenabled = true\naddress = "127.0.0.1:{admin}"\n')
        self.addCleanup(s.cleanup)
        s.start()
        health = f"http://127.0.0.1:{admin}/healthz"
        r = curl("-w", "%{http_code}", health)
        self.assertEqual(r.stdout, b"ok\n200")
        keep = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        self.addCleanup(keep.close)
        keep.sendall(b"GET /index.html HTTP/1.1\r\nHost: t\r\n\r\n")
        self.assertIn(b"200 OK", keep.recv(4096))
        start = time.time()
        s.proc.send_signal(signal.SIGTERM)
        time.sleep(0.2)
        r = curl("-w", "%{http_code}", health)
        self.assertEqual(r.stdout, b"draining\n503")
        # Still serving, new connections included; each response closes its connection.
        r = curl("-sD", "-", s.url("/index.html"))
        self.assertIn(b"200 OK", r.stdout)
        self.assertIn(b"Connection: close", r.stdout)
        keep.sendall(b"GET /index.html HTTP/1.1\r\nHost: t\r\n\r\n")
        got = b""
        while chunk := keep.recv(4096):
            got += chunk
        self.assertIn(b"200 OK", got)
        self.assertIn(b"Connection: close", got)
        self.assertEqual(s.proc.wait(15), 0)
        self.assertGreaterEqual(time.time() - start, 1.4)
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", s.port), timeout=1)
        self.assertIn("still serving for 1500 ms", s.read_log())


if __name__ == "__main__":
    main()
