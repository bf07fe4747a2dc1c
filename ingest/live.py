"""Server-sent events: open pages get the new ticker as soon as the ticker step writes it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

router = APIRouter()


def ticker_event(fragment: str) -> str:
    """One SSE `ticker` event; each line of the HTML fragment becomes a `data:` line."""
    lines = fragment.splitlines() or [""]
    return "event: ticker\n" + "".join(f"data: {line}\n" for line in lines) + "\n"


async def ticker_events(
    path: Path,
    poll_seconds: float = 1.0,
    max_seconds: float = 300.0,
    heartbeat_seconds: float = 15.0,
) -> AsyncIterator[str]:
    """Watch the published fragment; ends after `max_seconds`; the browser then reconnects."""
    yield "retry: 2000\n\n"
    started = last_beat = time.monotonic()
    seen: int | None = None
    while time.monotonic() - started < max_seconds:
        try:
            stamp: int | None = path.stat().st_mtime_ns
        except FileNotFoundError:
            stamp = None
        if stamp is not None and stamp != seen:
            seen = stamp
            yield ticker_event(path.read_text(encoding="utf-8"))
        elif time.monotonic() - last_beat > heartbeat_seconds:
            last_beat = time.monotonic()
            yield ": keep-alive\n\n"
        await asyncio.sleep(poll_seconds)


@router.get("/ticker/stream", response_class=StreamingResponse)
async def ticker_stream(request: Request) -> StreamingResponse:
    path = request.app.state.settings.site_dir / "ticker.html"
    return StreamingResponse(
        ticker_events(path),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
