"""The sd_notify protocol, as systemd's Type=notify sees it: a unix datagram socket
named by NOTIFY_SOCKET receives READY=1 (with STATUS) once every worker accepts,
WATCHDOG=1 at half of WATCHDOG_USEC, and STOPPING=1 on SIGTERM, in that order."""
import os
import signal
import socket
import time
import unittest

from harness import Server, main


class Notify(unittest.TestCase):
    def test_ready_watchdog_stopping(self):
        server = Server()
        path = os.path.join(server.dir, "notify.sock")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        sock.settimeout(10)
        server.env = {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "200000"}
        try:
            server.start()
            messages = []
            deadline = time.time() + 2
            while time.time() < deadline:
                messages.append(sock.recv(4096).decode())
            ready = [m for m in messages if "READY=1" in m]
            self.assertEqual(len(ready), 1, messages)
            self.assertIn("STATUS=", ready[0])
            self.assertIn("workers", ready[0])
            self.assertEqual(messages[0], ready[0], "READY comes first")
            # 2 s at a 100 ms interval: about 20 pings; allow for a slow machine.
            self.assertGreaterEqual(sum(m == "WATCHDOG=1" for m in messages), 8, messages)
            server.proc.send_signal(signal.SIGTERM)
            rest = []
            while "STOPPING=1" not in "".join(rest):
                rest.append(sock.recv(4096).decode())
            self.assertEqual(server.proc.wait(30), 0)
            self.assertTrue(all("READY=1" not in m for m in rest))
        finally:
            sock.close()
            server.cleanup()

    def test_without_notify_socket_nothing_changes(self):
        server = Server()
        try:
            server.start()
            self.assertEqual(server.stop(), 0)
        finally:
            server.cleanup()


if __name__ == "__main__":
    main()
