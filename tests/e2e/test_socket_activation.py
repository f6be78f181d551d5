"""systemd socket activation: a listening socket handed over as LISTEN_FDS (fd 3,
LISTEN_PID = uringd's pid) is used for its address by every worker; addresses not
handed over are bound by uringd itself; the server still drains and exits 0."""
import os
import socket
import subprocess
import time
import unittest

from harness import BIN, Server, curl, main


class SocketActivation(unittest.TestCase):
    def test_uses_the_passed_socket(self):
        server = Server()
        lsock = socket.socket()
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.bind(("127.0.0.1", server.port))
        lsock.listen(128)
        fd = lsock.fileno()

        # As systemd does: the socket at fd 3, LISTEN_PID = the pid that execs uringd
        # (a shell that moves the descriptor and execs keeps its pid).
        move = "" if fd == 3 else f"exec 3<&{fd} {fd}<&-; "
        script = f'{move}LISTEN_FDS=1 LISTEN_PID=$$ exec "$0" -c "$1"'
        log = open(server.log_path, "w")
        server.log = log
        server.proc = subprocess.Popen(["sh", "-c", script, BIN, server.conf], stdout=log, stderr=subprocess.STDOUT,
                                       pass_fds=(fd,))
        try:
            deadline = time.time() + 10
            while "ready:" not in server.read_log() and time.time() < deadline:
                time.sleep(0.05)
            self.assertIn(f"socket activation: 127.0.0.1:{server.port} from systemd", server.read_log())
            lsock.close()  # only uringd holds it now
            for _ in range(8):  # every worker accepts on it
                r = curl("-o", "/dev/null", "-w", "%{http_code}", server.url("/index.html"))
                self.assertEqual(r.stdout, b"200")
            r = curl("-o", "/dev/null", "-w", "%{http_code}", *server.curl_tls_args(), server.tls_url("/"))
            self.assertEqual(r.stdout, b"200")  # bound by uringd itself
            self.assertEqual(server.stop(), 0)
        finally:
            server.cleanup()


if __name__ == "__main__":
    main()
