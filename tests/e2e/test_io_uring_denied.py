"""A host that forbids io_uring (a seccomp profile, kernel.io_uring_disabled): uringd
stops at start-up with one clear error that names the fix, and serves nothing."""
import os
import subprocess
import unittest

from harness import BIN, Server, main

DENY = os.environ.get("DENY_IO_URING_BIN", os.path.join(os.path.dirname(BIN), "tests/e2e/deny-io-uring"))


class IoUringDenied(unittest.TestCase):
    def run_denied(self, errno_name):
        s = Server()
        self.addCleanup(s.cleanup)
        s.log = open(s.log_path, "w")  # cleanup closes it
        r = subprocess.run([DENY, errno_name, BIN, "-c", s.conf], capture_output=True, text=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        return r.stdout + r.stderr

    def test_eperm_names_the_sysctl_and_seccomp(self):
        out = self.run_denied("EPERM")
        self.assertIn("io_uring is disabled on this host", out)
        self.assertIn("kernel.io_uring_disabled=0", out)
        self.assertIn("seccomp", out)
        self.assertEqual(out.count("io_uring_setup"), 2, out)  # one error line, not one per worker

    def test_enosys_names_seccomp_too(self):
        out = self.run_denied("ENOSYS")
        self.assertIn("needs Linux 6.1 or later", out)
        self.assertIn("seccomp", out)

    def test_config_check_needs_no_ring(self):
        s = Server()
        self.addCleanup(s.cleanup)
        s.log = open(s.log_path, "w")
        r = subprocess.run([DENY, "EPERM", BIN, "-t", "-c", s.conf], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


if __name__ == "__main__":
    main()
