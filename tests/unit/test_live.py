"""The live ticker stream: one event per change of the stored fragment, then it ends."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.live import TickerWatch, ticker_event, ticker_events
from pipeline.domain.outputs import HTML, Output
from pipeline.services.listings import TICKER_FRAGMENT
from pipeline.store import connect
from pipeline.store.database import transaction
from pipeline.store.migrate import upgrade
from pipeline.store.outputs import OutputStore, put


@pytest.fixture
def outputs(tmp_path: Path) -> Iterator[OutputStore]:
    url = f"sqlite:///{tmp_path / 'nashr.sqlite'}"
    upgrade(url)
    engine = connect(url)
    yield OutputStore(engine)
    engine.dispose()


def _write_ticker(outputs: OutputStore, html: str) -> None:
    with transaction(outputs.engine) as db:
        put(db, [Output.text(TICKER_FRAGMENT, html, HTML)])


def test_a_multi_line_fragment_becomes_one_event() -> None:
    event = ticker_event('<ul class="ticker">\n<li>خبر</li>\n</ul>')
    assert event == (
        'event: ticker\ndata: <ul class="ticker">\ndata: <li>خبر</li>\ndata: </ul>\n\n'
    )


def test_each_new_ticker_is_pushed_once(outputs: OutputStore) -> None:
    _write_ticker(outputs, "<ul><li>الأول</li></ul>")

    async def collect() -> list[str]:
        watch = TickerWatch(outputs, poll_seconds=0.01)
        events: list[str] = []
        stream = ticker_events(watch, max_seconds=5)
        async for chunk in stream:
            events.append(chunk)
            if len(events) == 2:
                # When a rebuild replaces the fragment, the next event carries it, once
                _write_ticker(outputs, "<ul><li>الثاني</li></ul>")
            if len(events) == 3:
                await stream.aclose()
        await watch.stop()
        return events

    events = asyncio.run(collect())
    assert events[0].startswith("retry:")
    assert "الأول" in events[1] and "الثاني" in events[2]


def test_the_stream_ends_by_itself_and_beats_while_there_is_no_ticker(
    outputs: OutputStore,
) -> None:
    async def collect() -> list[str]:
        watch = TickerWatch(outputs, poll_seconds=0.01)
        events = [c async for c in ticker_events(watch, max_seconds=0.2, heartbeat_seconds=0.05)]
        await watch.stop()
        return events

    events = asyncio.run(collect())
    assert events[0].startswith("retry:")
    assert all(e == ": keep-alive\n\n" for e in events[1:]) and len(events) >= 2


def test_many_streams_share_one_watch(outputs: OutputStore) -> None:
    _write_ticker(outputs, "<ul><li>خبر</li></ul>")

    async def first_events(watch: TickerWatch) -> str:
        stream = ticker_events(watch, max_seconds=5)
        await anext(stream)
        event = await anext(stream)
        await stream.aclose()
        return event

    async def run() -> list[str]:
        watch = TickerWatch(outputs, poll_seconds=0.01)
        events = await asyncio.gather(*(first_events(watch) for _ in range(50)))
        await watch.stop()
        return list(events)

    assert all("خبر" in event for event in asyncio.run(run()))
