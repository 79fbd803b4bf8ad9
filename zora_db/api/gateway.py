"""The path Supabase's API gateway gives PostgREST: ``/rest/v1``.

supabase-js calls ``<project url>/rest/v1/<table>``; on Supabase, Kong strips
the prefix and forwards to PostgREST. PostgREST cannot serve under a prefix,
so this forwards ``/rest/v1/*`` to it, unchanged otherwise (headers, bodies,
status codes; CORS is PostgREST's own). Anything else is a 404. Run as
``python -m zora_db.api.gateway PORT UPSTREAM_URL``.
"""

from __future__ import annotations

import http.client
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

PREFIX = "/rest/v1"
# Headers about one connection, not the request (RFC 9110 section 7.6.1).
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}


class _Forward(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream: tuple[str, int] = ("127.0.0.1", 3000)
    _local = threading.local()

    def _upstream(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = http.client.HTTPConnection(*self.upstream, timeout=120)
        return conn

    def _forward(self) -> None:
        if not (self.path == PREFIX or self.path.startswith(PREFIX + "/")
                or self.path.startswith(PREFIX + "?")):  # fmt: skip
            self._answer(404, b'{"message": "not found: the API is under /rest/v1"}')
            return
        path = self.path[len(PREFIX) :] or "/"
        if not path.startswith("/"):
            path = "/" + path
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        for attempt in (1, 2):  # a kept-alive upstream connection may have been closed
            try:
                conn = self._upstream()
                conn.request(self.command, path, body, headers)
                answer = conn.getresponse()
                break
            except (ConnectionError, http.client.HTTPException, OSError):
                self._local.conn = None
                if attempt == 2:
                    self._answer(502, b'{"message": "PostgREST is not answering"}')
                    return
        data = answer.read()
        self.send_response(answer.status, answer.reason)
        for name, value in answer.getheaders():
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = _forward

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: PostgREST logs what matters."""


def serve(port: int, upstream_url: str, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """A gateway on ``host:port`` forwarding ``/rest/v1`` to ``upstream_url`` (not started)."""
    target = urlsplit(upstream_url)
    handler = type("Forward", (_Forward,), {"upstream": (target.hostname, target.port or 80)})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def main(argv: list[str]) -> None:
    port, upstream = int(argv[0]), argv[1]
    serve(port, upstream).serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
