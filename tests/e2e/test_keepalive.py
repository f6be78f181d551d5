"""Keep-alive and pipelining: 100 requests on one connection, 10 pipelined in one
write answered in order, HTTP/1.0 and Connection: close semantics."""
import os

from harness import ResponseReader, ServerTest, main


class KeepAlive(ServerTest):
    def test_100_requests_on_one_connection(self):
        with self.connect() as s:
            reader = ResponseReader(s)
            for i in range(100):
                name = ["1k.bin", "index.html", "64k.bin", "100k.bin"][i % 4]
                s.sendall(f"GET /{name} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
                status, headers, body = reader.read()
                self.assertEqual(status, 200)
                self.assertEqual(len(body), os.path.getsize(os.path.join(self.server.root, name)))
                self.assertNotIn("connection", headers)

    def test_10_pipelined_in_one_write(self):
        names = ["1k.bin", "index.html", "nope", "64k.bin", "sub", "1m.bin", "empty.bin", "100k.bin",
                 "style.css", "index.html"]
        batch = b"".join(f"GET /{n} HTTP/1.1\r\nHost: t\r\n\r\n".encode() for n in names)
        with self.connect() as s:
            s.sendall(batch)
            reader = ResponseReader(s)
            for n in names:
                status, _, body = reader.read()
                path = os.path.join(self.server.root, n)
                if n == "nope":
                    self.assertEqual(status, 404)
                elif n == "sub":
                    self.assertEqual(status, 301)
                else:
                    self.assertEqual(status, 200, n)
                    with open(path, "rb") as f:
                        self.assertEqual(body, f.read(), n)

    def test_pipelined_head_and_get(self):
        with self.connect() as s:
            s.sendall(b"HEAD /1k.bin HTTP/1.1\r\nHost: t\r\n\r\nGET /index.html HTTP/1.1\r\nHost: t\r\n\r\n")
            reader = ResponseReader(s)
            status, headers, _ = reader.read(head_only=True)
            self.assertEqual((status, headers["content-length"]), (200, "1024"))
            self.assertEqual(reader.read()[2], b"<h1>home</h1>\n")

    def test_connection_close_is_honoured(self):
        resp = self.raw(b"GET /index.html HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        self.assertIn(b"\r\nConnection: close\r\n", resp)
        self.assertTrue(resp.endswith(b"<h1>home</h1>\n"))

    def test_http10_closes_unless_keep_alive(self):
        resp = self.raw(b"GET /index.html HTTP/1.0\r\n\r\n")
        self.assertIn(b"\r\nConnection: close\r\n", resp)
        with self.connect() as s:
            s.sendall(b"GET /index.html HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            reader = ResponseReader(s)
            status, headers, _ = reader.read()
            self.assertEqual(headers.get("connection"), "keep-alive")
            s.sendall(b"GET /1k.bin HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            self.assertEqual(len(reader.read()[2]), 1024)

    def test_requests_split_across_writes(self):
        with self.connect() as s:
            req = b"GET /index.html HTTP/1.1\r\nHost: t\r\nX-Pad: " + b"a" * 3000 + b"\r\n\r\n"
            for i in range(0, len(req), 7):
                s.sendall(req[i:i + 7])
            self.assertEqual(ResponseReader(s).read()[0], 200)

    def test_half_closed_client_still_gets_answers(self):
        with self.connect() as s:
            s.sendall(b"GET /1k.bin HTTP/1.1\r\nHost: t\r\n\r\nGET /index.html HTTP/1.1\r\nHost: t\r\n\r\n")
            s.shutdown(1)  # SHUT_WR: "nc -N" style
            reader = ResponseReader(s)
            self.assertEqual(len(reader.read()[2]), 1024)
            self.assertEqual(reader.read()[2], b"<h1>home</h1>\n")


if __name__ == "__main__":
    main()
