"""Nothing outside the root is ever served: every traversal spelling, encoded or
not, and symlinks leading out are refused; the kernel (RESOLVE_BENEATH) backs it."""
from harness import ServerTest, main

ATTACKS = [
    "/../secret.txt", "/../../../../etc/passwd", "/%2e%2e/secret.txt", "/%2E%2E/%2E%2E/etc/passwd",
    "/sub/../../secret.txt", "/sub/%2e%2e/%2e%2e/secret.txt", "/..%2fsecret.txt", "/%2e%2e%2fsecret.txt",
    "/sub%2f..%2f..%2fsecret.txt", "/%252e%252e/secret.txt", "/%252e%252e%252fsecret.txt",
    "/..\\secret.txt", "/..%5csecret.txt", "/sub\\..\\..\\secret.txt", "/escape", "/abs-escape",
    "/./../secret.txt", "//../secret.txt", "/.%2e/secret.txt", "/%00/../secret.txt", "/index.html%00.txt",
    "http://t/../secret.txt", "/etc/passwd", "//etc/passwd",
]


class Traversal(ServerTest):
    def test_no_attack_reaches_outside(self):
        for path in ATTACKS:
            with self.subTest(path=path):
                resp = self.raw(f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
                status = self.status_of(resp)
                self.assertIn(status, (400, 403, 404), resp[:300])
                self.assertNotIn(b"OUTSIDE-SECRET", resp)
                self.assertNotIn(b"root:x:0:0", resp)
        self.assert_still_serving()

    def test_expected_statuses(self):
        cases = {"/../secret.txt": 400, "/%2e%2e/secret.txt": 400, "/escape": 403, "/abs-escape": 403,
                 "/%00": 400, "/%252e%252e/secret.txt": 404, "/..\\secret.txt": 403, "/index.html%00.txt": 400,
                 "/%zz": 400}
        for path, status in cases.items():
            with self.subTest(path=path):
                self.assertEqual(self.status_of(self.request(path)), status)


if __name__ == "__main__":
    main()
