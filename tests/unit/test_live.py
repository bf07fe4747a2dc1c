"""The live ticker stream: one event per change of the published fragment, then it ends."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from ingest.live import ticker_event, ticker_events


def test_a_multi_line_fragment_becomes_one_event() -> None:
    event = ticker_event('<ul class="ticker">\n<li>خبر</li>\n</ul>')
    assert event == (
        'event: ticker\ndata: <ul class="ticker">\ndata: <li>خبر</li>\ndata: </ul>\n\n'
    )


def test_each_new_ticker_is_pushed_once(tmp_path: Path) -> None:
    fragment = tmp_path / "ticker.html"
    fragment.write_text("<ul><li>الأول</li></ul>", encoding="utf-8")

    async def collect() -> list[str]:
        events: list[str] = []
        stream = ticker_events(fragment, poll_seconds=0.01, max_seconds=5)
        async for chunk in stream:
            events.append(chunk)
            if len(events) == 2:
                # When the ticker step replaces the file (a new mtime), the next event carries it
                fragment.write_text("<ul><li>الثاني</li></ul>", encoding="utf-8")
                stamp = fragment.stat().st_mtime_ns + 1_000_000
                os.utime(fragment, ns=(stamp, stamp))
            if len(events) == 3:
                await stream.aclose()
        return events

    events = asyncio.run(collect())
    assert events[0].startswith("retry:")
    assert "الأول" in events[1] and "الثاني" in events[2]


def test_the_stream_ends_by_itself_and_waits_for_a_missing_file(tmp_path: Path) -> None:
    async def collect() -> list[str]:
        return [c async for c in ticker_events(tmp_path / "none.html", 0.01, 0.2, 0.05)]

    events = asyncio.run(collect())
    assert events[0].startswith("retry:")
    assert all(e == ": keep-alive\n\n" for e in events[1:]) and len(events) >= 2
