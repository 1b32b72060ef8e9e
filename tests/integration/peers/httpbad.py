"""An HTTP peer that nginx cannot play: answers whose header is too large,
from one huge line or from many, for fetch.c's header-size message.

Fixture:
- http_bad (function): an HttpBadServer; .url(path) on 127.0.0.1. The path
  chooses the answer (see ANSWERS); /hop/<path> first redirects (302, a
  relative Location) to /<path>, so a test can check that the message names
  the URL that failed, not the first one.
"""

import pytest

import harness

KIB = 1024
# path -> (header bytes after the status line, without the final CRLF)
ANSWERS = {
    # one header line of 1 MiB, 200 KiB, just over 100 KiB (libcurl's limit
    # for one line is 100 KiB)
    "/line-1m": b"X-Big: " + b"a" * (1024 * KIB) + b"\r\n",
    "/line-200k": b"X-Big: " + b"b" * (200 * KIB) + b"\r\n",
    "/line-101k": b"Set-Cookie: c=" + b"c" * (101 * KIB) + b"\r\n",
    # many ordinary lines, 400 KiB in all (libcurl's limit for the whole
    # header is 300 KiB)
    "/many": b"".join(b"X-Fill-%05d: %s\r\n" % (i, b"d" * 80) for i in range(4500)),
}


class HttpBadServer(harness.ThreadedServer):
    def __init__(self):
        super().__init__()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    @staticmethod
    def _answer(path):
        if path.startswith("/hop/"):
            return (b"HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\n\r\n"
                    % path[4:].encode())
        extra = ANSWERS.get(path)
        if extra is None:
            return b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
        return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + extra +
                b"Content-Length: 2\r\n\r\n{}")

    def _serve(self, conn):
        with conn:
            try:
                conn.settimeout(5)
                buf = b""
                while True:  # requests on a kept-alive connection
                    while b"\r\n\r\n" not in buf:
                        chunk = conn.recv(65536)
                        if not chunk:
                            return
                        buf += chunk
                    head, buf = buf.split(b"\r\n\r\n", 1)
                    path = head.split(b"\r\n", 1)[0].split(b" ")[1].decode()
                    conn.sendall(self._answer(path))
            except (OSError, IndexError):
                return  # the client gave up, as it should



@pytest.fixture
def http_bad():
    server = HttpBadServer().start()
    try:
        yield server
    finally:
        server.stop()
