"""The limits of one fetch and how it fails: a deadline for the whole of it, and a body
that stops growing at its byte limit even when gzip would inflate it further."""

from __future__ import annotations

import socket
import threading
import zlib
from contextlib import suppress
from time import monotonic
from typing import Any, Literal

from pipeline.sources.items import FeedError

FetchKind = Literal[
    "dns", "timeout", "connect", "tls", "http", "too_large", "redirects", "refused", "invalid"
]


class FetchFailed(FeedError):
    """The feed could not be fetched; `kind` says which way, the message what to do about it."""

    def __init__(self, kind: FetchKind, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.kind: FetchKind = kind
        self.status = status
        """The HTTP status, for kind "http"."""


class Deadline:
    """The whole fetch's time budget. Each request's timeouts are cut to what is left; when it
    runs out, the sockets in use are shut down, which ends a read stuck on a server that drips
    or stalls (per-read timeouts alone let a byte a second go on for ever)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._ends = monotonic() + seconds
        self._expired = threading.Event()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    @property
    def expired(self) -> bool:
        return self._expired.is_set() or monotonic() >= self._ends

    def failure(self) -> FetchFailed:
        return FetchFailed("timeout", f"timed out after {self.seconds:g} s")

    def left(self) -> float:
        """Seconds left; raises the timeout failure when none are."""
        left = self._ends - monotonic()
        if left <= 0 or self._expired.is_set():
            raise self.failure()
        return left

    def check(self) -> None:
        self.left()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's `trace` extension: watch each new connection's socket."""
        if event == "connection.connect_tcp.complete":
            self.watch(info.get("return_value"))

    def watch(self, stream: object) -> None:
        """Keep a duplicate of the stream's socket, to shut it down at the deadline."""
        get_extra_info = getattr(stream, "get_extra_info", None)
        sock = get_extra_info("socket") if get_extra_info is not None else None
        if not isinstance(sock, socket.socket):
            return
        try:
            copy = socket.fromfd(sock.fileno(), sock.family, sock.type)
        except OSError:
            return
        with self._lock:
            self._sockets.append(copy)
            if self._expired.is_set():
                _shut(copy)

    def _expire(self) -> None:
        with self._lock:
            self._expired.set()
            for sock in self._sockets:
                _shut(sock)

    def close(self) -> None:
        self._timer.cancel()
        with self._lock:
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()


def _shut(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def too_large(limit: int, detail: str = "") -> FetchFailed:
    message = f"body over {limit / 1_000_000:g} MB ({limit:,} bytes)"
    return FetchFailed("too_large", f"{message}: {detail}" if detail else message)


class BoundedBody:
    """A response body decoded (identity, gzip or deflate) into at most `limit` bytes."""

    def __init__(self, content_encoding: str | None, limit: int) -> None:
        codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
        codings = [c for c in codings if c and c != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise FetchFailed("invalid", f"unsupported Content-Encoding: {content_encoding}")
        self._limit = limit
        self._data = bytearray()
        self._inflate = zlib.decompressobj(wbits=47) if codings else None

    def feed(self, data: bytes) -> None:
        if self._inflate is None:
            self._append(data)
            return
        try:
            while data:
                room = self._limit - len(self._data) + 1
                self._append(self._inflate.decompress(data, room))
                data = self._inflate.unconsumed_tail
                if self._inflate.eof:
                    data = self._next_member(self._inflate.unused_data + data)
        except zlib.error as exc:
            raise FetchFailed("invalid", f"compressed body is corrupt ({exc})") from None

    def _next_member(self, rest: bytes) -> bytes:
        """Concatenated gzip members make one body; anything else after the end is ignored."""
        if not rest.startswith(b"\x1f\x8b"):
            return b""
        self._inflate = zlib.decompressobj(wbits=47)
        return rest

    def _append(self, data: bytes) -> None:
        self._data.extend(data)
        if len(self._data) > self._limit:
            raise too_large(self._limit)

    def finish(self) -> bytes:
        if self._inflate is not None and not self._inflate.eof:
            raise FetchFailed("invalid", "compressed body cut short")
        return bytes(self._data)
