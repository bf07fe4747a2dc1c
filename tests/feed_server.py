"""Outlets' feeds served on loopback from a thread of the test process: well-behaved feeds
(validators, 304s, gzip) and hostile ones (redirect chains, huge or bomb bodies, slow drips,
cut connections), with per-path counters the tests read.

    with FeedServer() as feeds:
        feeds.feed("/rss", b"<rss>…</rss>")
        fetch_feed(feeds.url("/rss"), ...)
        assert feeds.counts("/rss").not_modified == 0
"""

from __future__ import annotations

import gzip
import hashlib
import ssl
import sys
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

RSS = "application/rss+xml; charset=utf-8"
BLOCK = 64 * 1024
STALL_LIMIT = 120.0
"""The longest a stalling route holds its connection, should a test never hang up."""


@dataclass(frozen=True)
class Counts:
    """What one path has answered: every request, and the 200s and 304s among them."""

    requests: int = 0
    ok: int = 0
    not_modified: int = 0


Route = Callable[["_Handler"], object]
"""Writes the whole response."""


class FeedServer:
    """A real HTTP/1.1 server on 127.0.0.1 and a free port; routes may change at any time.
    With `tls` (a server-side context holding a certificate) it speaks https."""

    def __init__(self, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> None:
        self._routes: dict[str, Route] = {}
        self._counts: dict[str, Counts] = {}
        self._headers: dict[str, list[dict[str, str]]] = {}
        self._connections = 0
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        self._httpd = _Server((host, 0), self)
        self.scheme = "http" if tls is None else "https"
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"{self.scheme}://{host!s}:{port}"

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def url(self, path: str) -> str:
        return self.base_url + path

    # Lifecycle

    def start(self) -> FeedServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="feed server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    # What tests read

    def counts(self, path: str) -> Counts:
        with self._lock:
            return self._counts.get(path, Counts())

    def headers(self, path: str) -> list[dict[str, str]]:
        """Each request's headers to `path`, oldest first, names in lower case."""
        with self._lock:
            return [dict(seen) for seen in self._headers.get(path, [])]

    @property
    def connections(self) -> int:
        """Connections accepted so far, whatever they asked for."""
        with self._lock:
            return self._connections

    # Routes

    def route(self, path: str, responder: Route) -> None:
        """Answer `path` with `responder` from now on (replacing any route it had)."""
        with self._lock:
            self._routes[path] = responder

    def feed(
        self,
        path: str,
        body: bytes | str,
        content_type: str = RSS,
        *,
        etag: str | None = None,
        last_modified: datetime | None = None,
    ) -> None:
        """A feed with ETag (from its bytes, unless given) and Last-Modified (now, unless
        given), answering 304 to a request that names them; gzip when the client asks."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        tag = etag or '"' + hashlib.sha256(data).hexdigest()[:20] + '"'
        moment = (last_modified or datetime.now(UTC)).replace(microsecond=0)
        self.route(path, _Feed(data, content_type, tag, moment))

    def redirect(self, path: str, to: str, status: int = 302) -> None:
        """`to` is a path on this server or any absolute URL (http://10.0.0.1/ …)."""
        self.route(path, lambda h: h.reply(status, b"", "text/plain", {"Location": to}))

    def redirect_chain(self, path: str, hops: int, to: str) -> None:
        """`path` reaches `to` after exactly `hops` redirects (via `path`/hop-1 …)."""
        stops = [path] + [f"{path}/hop-{n}" for n in range(1, hops)] + [to]
        for here, there in pairwise(stops):
            self.redirect(here, there)

    def status(
        self, path: str, code: int, body: bytes = b"", content_type: str = "text/plain"
    ) -> None:
        self.route(path, lambda h: h.reply(code, body or f"{code}\n".encode(), content_type))

    def huge(self, path: str, size: int = 100_000_000, *, declare_length: bool = False) -> None:
        """`size` bytes made as they are sent (never held), chunked unless `declare_length`."""
        self.route(path, lambda h: h.stream(_blocks(size), size if declare_length else None))

    def gzip_bomb(self, path: str, expanded: int = 50_000_000) -> None:
        """A small gzip body (about 50 KB for 50 MB) of `expanded` zeros, sent whatever the
        client accepts."""
        data = gzip_of_zeros(expanded)
        extra = {"Content-Encoding": "gzip"}
        self.route(path, lambda h: h.reply(200, data, RSS, extra))

    def slow_drip(self, path: str, interval: float = 1.0, length: int = 600) -> None:
        """A `length`-byte body, one byte every `interval` seconds."""
        self.route(path, lambda h: h.drip(length, interval, length))

    def stall(self, path: str, drips: int = 3, interval: float = 0.5) -> None:
        """A few bytes of a promised body, one per `interval`, then silence (socket open)."""
        self.route(path, lambda h: h.drip(drips, interval, 1000))

    def slow_headers(self, path: str, interval: float = 1.0) -> None:
        """A status line, then a header that never ends, one byte every `interval`."""
        self.route(path, lambda h: h.drip_headers(interval))

    def cut_off(self, path: str, declared: int = 100_000, sent: int = 1_000) -> None:
        """Promise `declared` bytes, send `sent`, then close the connection."""
        self.route(path, lambda h: h.cut(declared, sent))

    # Called from the handler threads

    def _serve(self, handler: _Handler) -> None:
        path = urlsplit(handler.path).path
        with self._lock:
            route = self._routes.get(path)
            seen = {name.lower(): value for name, value in handler.headers.items()}
            self._headers.setdefault(path, []).append(seen)
            counts = self._counts.get(path, Counts())
            self._counts[path] = replace(counts, requests=counts.requests + 1)
        if route is None:
            handler.reply(404, b"not found\n", "text/plain")
        else:
            route(handler)

    def _answered(self, path: str, status: int) -> None:
        """Counted as the status line goes out, so a client that has it sees the count."""
        with self._lock:
            counts = self._counts.get(path, Counts())
            if status == 200:
                self._counts[path] = replace(counts, ok=counts.ok + 1)
            elif status == 304:
                self._counts[path] = replace(counts, not_modified=counts.not_modified + 1)

    def _connected(self) -> None:
        with self._lock:
            self._connections += 1


@dataclass(frozen=True)
class _Feed:
    body: bytes
    content_type: str
    etag: str
    last_modified: datetime

    def __call__(self, handler: _Handler) -> None:
        validators = {
            "ETag": self.etag,
            "Last-Modified": format_datetime(self.last_modified, usegmt=True),
        }
        if self._unchanged(handler):
            handler.reply(304, b"", None, validators)
            return
        body = self.body
        accepted = handler.headers.get("Accept-Encoding", "")
        if "gzip" in [part.split(";")[0].strip().lower() for part in accepted.split(",")]:
            body = gzip.compress(body, mtime=0)
            validators |= {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
        handler.reply(200, body, self.content_type, validators)

    def _unchanged(self, handler: _Handler) -> bool:
        tags = handler.headers.get("If-None-Match")
        if tags is not None:
            given = {tag.strip().removeprefix("W/") for tag in tags.split(",")}
            return "*" in given or self.etag.removeprefix("W/") in given
        since = handler.headers.get("If-Modified-Since")
        if since is None:
            return False
        try:
            return self.last_modified <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], feeds: FeedServer) -> None:
        self.feeds = feeds
        super().__init__(address, _Handler)

    def verify_request(self, request: Any, client_address: Any) -> bool:
        self.feeds._connected()
        return True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up mid-answer is what half the routes are for: not worth a trace."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        try:
            self.server.feeds._serve(self)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def send_response(self, code: int, message: str | None = None) -> None:
        self.server.feeds._answered(urlsplit(self.path).path, code)
        super().send_response(code, message)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests' assertions say what matters."""

    def reply(
        self,
        status: int,
        body: bytes,
        content_type: str | None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def stream(self, blocks: Iterator[bytes], length: int | None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", RSS)
        if length is None:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(length))
        self.end_headers()
        for block in blocks:
            if self.server.feeds.stopping.is_set():
                self.close_connection = True
                return
            self.wfile.write(b"%x\r\n%s\r\n" % (len(block), block) if length is None else block)
        if length is None:
            self.wfile.write(b"0\r\n\r\n")

    def drip(self, count: int, interval: float, length: int) -> None:
        """Promise `length` bytes, send `count` of them one per `interval`, and hold on."""
        self.send_response(200)
        self.send_header("Content-Type", RSS)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        self.close_connection = True
        stopping = self.server.feeds.stopping
        for _ in range(count):
            if stopping.wait(interval):
                return
            self.wfile.write(b" ")
        if count < length:
            stopping.wait(STALL_LIMIT)

    def drip_headers(self, interval: float) -> None:
        self.close_connection = True
        self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Drip: ")
        stopping = self.server.feeds.stopping
        waited = 0.0
        while waited < STALL_LIMIT and not stopping.wait(interval):
            self.wfile.write(b"x")
            waited += interval

    def cut(self, declared: int, sent: int) -> None:
        self.send_response(200)
        self.send_header("Content-Type", RSS)
        self.send_header("Content-Length", str(declared))
        self.end_headers()
        self.wfile.write(b"<" * sent)
        self.close_connection = True


def _blocks(size: int) -> Iterator[bytes]:
    block = (b"<!-- padding -->" * (BLOCK // 16))[:BLOCK]
    sent = 0
    while sent < size:
        part = block[: min(BLOCK, size - sent)]
        sent += len(part)
        yield part


@cache
def gzip_of_zeros(size: int) -> bytes:
    """Built a megabyte at a time and kept for the session (about 50 KB for 50 MB)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1 << 20)
    parts = []
    for start in range(0, size, len(zeros)):
        parts.append(packer.compress(zeros[: min(len(zeros), size - start)]))
    parts.append(packer.flush())
    return b"".join(parts)
