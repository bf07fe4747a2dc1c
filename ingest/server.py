"""The API's server: uvicorn with the guards a public port needs.

uvicorn alone waits for ever on a client that opens a connection and never finishes its
headers, and serves as many connections as the process has file descriptors, so one client
holding a thousand idle sockets starves everyone else. Here every connection must finish its
headers within `NASHR_HEADER_TIMEOUT_SECONDS`, one address may hold at most
`NASHR_MAX_CONNECTIONS_PER_ADDRESS` connections, the process at most `NASHR_MAX_CONNECTIONS`
(503 past it), and the open-file limit is raised to what the system allows.

Run as `python -m ingest.server --host H --port P` (`nashr api` and `nashr up` do).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
from collections import Counter
from typing import ClassVar

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from config.logging import configure_logging
from config.settings import get_settings

SPARE_DESCRIPTORS = 64
"""Kept free of connections: the database pool, the broker and log files need some too."""


class GuardedHttp(HttpToolsProtocol):
    """httptools with a header deadline and a per-address cap on open connections."""

    header_timeout: ClassVar[float] = 10.0
    per_address: ClassVar[int] = 0
    open_by_address: ClassVar[Counter[str]] = Counter()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._address = self.client[0] if self.client else None
        self._headers_due: asyncio.TimerHandle | None = None
        if self._address is not None:
            self.open_by_address[self._address] += 1
            if self.per_address and self.open_by_address[self._address] > self.per_address:
                transport.close()  # over this address's share: the rest are served
                return
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()  # the next request on this connection has its own deadline

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._address is not None:
            self.open_by_address[self._address] -= 1
            if self.open_by_address[self._address] <= 0:
                del self.open_by_address[self._address]
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._headers_due = self.loop.call_later(self.header_timeout, self._headers_late)

    def _disarm(self) -> None:
        if self._headers_due is not None:
            self._headers_due.cancel()
            self._headers_due = None

    def _headers_late(self) -> None:
        self._headers_due = None
        if not self.transport.is_closing():
            self.transport.close()


def raise_open_files_limit() -> int:
    """The soft limit on open files raised to the hard one; returns the limit in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):
            pass
    return soft


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="nashr's API server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--forwarded-allow-ips",
        default="127.0.0.1",
        help="proxies whose X-Forwarded-For is believed (nginx's address; '*' behind compose)",
    )
    args = parser.parse_args(argv)
    settings = get_settings()
    configure_logging(settings)
    files = raise_open_files_limit()
    GuardedHttp.header_timeout = settings.header_timeout_seconds
    GuardedHttp.per_address = settings.max_connections_per_address
    uvicorn.run(
        "ingest.main:create_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        http=GuardedHttp,
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips=args.forwarded_allow_ips,
        limit_concurrency=max(16, min(settings.max_connections, files - SPARE_DESCRIPTORS)),
        timeout_keep_alive=5,
        timeout_graceful_shutdown=5,
        log_config=None,
    )


if __name__ == "__main__":
    main()
