"""Server-sent events: open pages get the new ticker as soon as a rebuild writes it.

One watcher per API process reads the ticker's ETag from the database every half second and
wakes every open stream when it changes, so a thousand readers cost one query, not a thousand.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncGenerator, AsyncIterator

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response, StreamingResponse

from pipeline.domain.errors import TransientError
from pipeline.services.listings import TICKER_FRAGMENT
from pipeline.store.outputs import OutputStore

router = APIRouter()


def ticker_event(fragment: str) -> str:
    """One SSE `ticker` event; each line of the HTML fragment becomes a `data:` line."""
    lines = fragment.splitlines() or [""]
    return "event: ticker\n" + "".join(f"data: {line}\n" for line in lines) + "\n"


class TickerWatch:
    def __init__(self, outputs: OutputStore, poll_seconds: float = 0.5) -> None:
        self.outputs = outputs
        self.poll_seconds = poll_seconds
        self.etag: str | None = None
        self.fragment: str | None = None
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._poll())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _poll(self) -> None:
        while True:
            try:
                etag = await run_in_threadpool(self.outputs.etag, TICKER_FRAGMENT)
                if etag is not None and etag != self.etag:
                    rows = await run_in_threadpool(self.outputs.get, TICKER_FRAGMENT)
                    if TICKER_FRAGMENT in rows:
                        self.etag = etag
                        self.fragment = rows[TICKER_FRAGMENT].body.decode("utf-8")
                        changed, self._changed = self._changed, asyncio.Event()
                        changed.set()
            except TransientError:
                pass  # the database is away: streams keep their last ticker and their beat
            await asyncio.sleep(self.poll_seconds)

    def next_change(self) -> asyncio.Event:
        """Set at the next change: taken before a stream looks, so it never misses one."""
        return self._changed


async def ticker_events(
    watch: TickerWatch, max_seconds: float = 300.0, heartbeat_seconds: float = 15.0
) -> AsyncGenerator[str, None]:
    """The current ticker at once, then each new one; ends after `max_seconds` (the browser
    reconnects by itself)."""
    watch.start()
    yield "retry: 2000\n\n"
    started = time.monotonic()
    sent: str | None = None
    while time.monotonic() - started < max_seconds:
        change = watch.next_change()
        if watch.fragment is not None and watch.etag != sent:
            sent = watch.etag
            yield ticker_event(watch.fragment)
            continue
        try:
            await asyncio.wait_for(change.wait(), heartbeat_seconds)
        except TimeoutError:
            yield ": keep-alive\n\n"


class StreamSeats:
    """How many live streams are open, in all and per reader: an hour-long stream is cheap,
    a hundred thousand of them held by one client are not."""

    def __init__(self, total: int, per_address: int) -> None:
        self.total = total
        self.per_address = per_address
        self.open: Counter[str] = Counter()

    def take(self, address: str) -> bool:
        if sum(self.open.values()) >= self.total or self.open[address] >= self.per_address:
            return False
        self.open[address] += 1
        return True

    def give_back(self, address: str) -> None:
        self.open[address] -= 1
        if self.open[address] <= 0:
            del self.open[address]


async def _seated(
    events: AsyncIterator[str], seats: StreamSeats, address: str
) -> AsyncIterator[str]:
    try:
        async for event in events:
            yield event
    finally:
        seats.give_back(address)


@router.get("/ticker/stream", response_class=StreamingResponse)
async def ticker_stream(request: Request) -> Response:
    seats: StreamSeats = request.app.state.stream_seats
    address = request.client.host if request.client else "unknown"
    if not seats.take(address):
        return JSONResponse(
            {"detail": [{"field": "client", "reason": "too many live streams; try again later"}]},
            status_code=503,
            headers={"Retry-After": "30"},
        )
    return StreamingResponse(
        _seated(ticker_events(request.app.state.ticker_watch), seats, address),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
