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

    def test_journal_lines_carry_priorities_and_no_timestamp(self):
        # systemd names the stream it connected to stderr in JOURNAL_STREAM (dev:ino);
        # the harness's log file stands in for it.
        import re
        server = Server('[server]\nuser = "nobody-who-is-not-there"\n')  # one error line at start
        open(server.log_path, "w").close()
        st = os.stat(server.log_path)
        server.env = {"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"}
        try:
            with self.assertRaises(RuntimeError):  # refused: the user does not exist
                server.start()
            lines = [line for line in server.read_log().splitlines() if line]
            self.assertTrue(lines)
            for line in lines:
                if line.startswith("<3>uringd: "):  # the reason it did not start
                    self.assertIn('no such user', line)
                    continue
                self.assertRegex(line, r"^<[2-7]>(info|warning|error|critical|debug) \[\d+\] ")
                self.assertIsNone(re.search(r"\d{4}-\d\d-\d\dT", line), line)
        finally:
            server.cleanup()
        # A stream that is not the journal's keeps the timestamps.
        server = Server()
        server.env = {"JOURNAL_STREAM": "1:1"}
        try:
            server.start()
            self.assertRegex(server.read_log(), r"\d{4}-\d\d-\d\dT[\d:.]+ info ")
            self.assertEqual(server.stop(), 0)
        finally:
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
