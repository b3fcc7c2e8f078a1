"""A real HTTP server on 127.0.0.1 that plays an upstream from recorded bytes.

Tests mount each upstream's wire format (JSON trees, parquet files, zips) at
the paths the live code requests, then rewrite the source's base URL to this
server. Faults are queued per path and consumed one request at a time, so a
test can say "429 with Retry-After, then the real body".
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Route:
    body: bytes
    content_type: str = "application/json"
    etag: str | None = None
    last_modified: str | None = None
    headers: dict[str, str] | None = None


@dataclass
class Fault:
    """One injected failure.

    kind: ``status`` (send ``status`` with ``body``), ``truncate`` (declare the
    full length, send half, close), ``stall`` (sleep ``delay`` before the body),
    ``stall_body`` (send half the body, sleep ``delay``, then the rest: a
    timeout mid-body), ``html`` (a 200 HTML error page instead of the payload).
    """

    kind: str
    status: int = 500
    headers: dict[str, str] | None = None
    body: bytes = b""
    delay: float = 0.0


class Upstream:
    """The routes, the fault queues and the request log of one loopback server."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.faults: dict[str, deque[Fault]] = defaultdict(deque)
        self.log: list[tuple[str, str, int]] = []
        # (path, Authorization header or None) of every request: which requests carried a token.
        self.authorization: list[tuple[str, str | None]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def mount(
        self,
        path: str,
        body: bytes,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        """Serve ``body`` at ``path`` with a content-derived ETag and a fixed Last-Modified.

        ``path`` may include a query string to serve one page of a paginated
        listing; ``headers`` adds response headers such as ``Link``.
        """
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        self.routes[path] = Route(body, content_type, etag, formatdate(1_700_000_000, usegmt=True),
                                  headers)

    def inject(self, path: str, *faults: Fault) -> None:
        self.faults[path].extend(faults)

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def requests_to(self, path: str) -> list[int]:
        return [status for p, _, status in self.log if p == path]

    def start(self) -> "Upstream":
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                return

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                upstream._serve(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _record(self, path: str, query: str, status: int) -> None:
        with self._lock:
            self.log.append((path, query, status))

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        path, query = parts.path, parts.query
        with self._lock:
            self.authorization.append((path, handler.headers.get("Authorization")))
        key = path if not query or path + "?" + query not in self.routes else path + "?" + query
        with self._lock:
            fault = self.faults[key].popleft() if self.faults[key] else None
        if fault is not None and fault.kind == "status":
            self._record(path, query, fault.status)
            self._send(handler, fault.status, fault.body, "text/plain", fault.headers or {})
            return
        route = self.routes.get(key)
        if route is None:
            self._record(path, query, 404)
            self._send(handler, 404, b'{"error": "not found"}', "application/json", {})
            return
        if fault is not None and fault.kind == "html":
            self._record(path, query, 200)
            page = b"<html><body><h1>502 Bad Gateway</h1>upstream unavailable</body></html>"
            self._send(handler, 200, page, "text/html", {})
            return
        if route.etag and handler.headers.get("If-None-Match") == route.etag:
            self._record(path, query, 304)
            self._send(handler, 304, b"", route.content_type, {"ETag": route.etag})
            return
        headers = {"ETag": route.etag or "", "Last-Modified": route.last_modified or "",
                   **(route.headers or {})}
        if fault is not None and fault.kind in ("truncate", "stall_body"):
            self._record(path, query, 200)
            handler.send_response(200)
            handler.send_header("Content-Type", route.content_type)
            handler.send_header("Content-Length", str(len(route.body)))
            handler.end_headers()
            handler.wfile.write(route.body[: len(route.body) // 2])
            handler.wfile.flush()
            if fault.kind == "stall_body":
                time.sleep(fault.delay)
                try:
                    handler.wfile.write(route.body[len(route.body) // 2:])
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting: the point of the fault
            handler.close_connection = True
            return
        if fault is not None and fault.kind == "stall":
            time.sleep(fault.delay)
        self._record(path, query, 200)
        self._send(handler, 200, route.body, route.content_type, headers)

    @staticmethod
    def _send(
        handler: BaseHTTPRequestHandler,
        status: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str],
    ) -> None:
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                if value:
                    handler.send_header(name, value)
            handler.end_headers()
            if body and status != 304:
                handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
