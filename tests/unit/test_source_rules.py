"""Sources as values: what an operator may add, when a source is failing or idle, backoff."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from pipeline.domain.sources import (
    FAILING_AFTER,
    MAX_BACKOFF,
    FetchOutcome,
    Source,
    SourceError,
    SourceSpec,
    SourceState,
    next_fetch,
)

NOW = datetime(2026, 12, 7, 12, 0, 0)
IDLE = timedelta(hours=24)


def _source(**changes: object) -> Source:
    base = Source(
        spec=SourceSpec("hespress", "https://hespress.example/feed"),
        paused=False,
        created_at=NOW - timedelta(hours=1),
        next_fetch_at=NOW,
        first_fetch_at=NOW - timedelta(hours=1),
        last_fetch_at=NOW - timedelta(minutes=1),
        last_new_at=NOW - timedelta(minutes=30),
        last_outcome=FetchOutcome.OK,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_spec_takes_the_defaults_of_the_fixed_interface() -> None:
    spec = SourceSpec("hespress", "https://hespress.example/feed")
    assert spec.every == 300 and not spec.excerpt_only and not spec.backfill
    assert spec.section is None and spec.tags == ()


@pytest.mark.parametrize(
    ("changes", "part"),
    [
        ({"name": ""}, "name"),
        ({"name": "Hespress"}, "name"),
        ({"name": "a/b"}, "name"),
        ({"name": "x" * 81}, "name"),
        ({"name": "\u202ehespress"}, "name"),
        ({"url": "ftp://hespress.example/feed"}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "/feed"}, "url"),
        ({"url": "https://hespress.example/" + "a" * 3000}, "url"),
        ({"url": "https://hespress.example/<script>"}, "url"),
        ({"every": 59}, "every"),
        ({"every": 0}, "every"),
        ({"every": -300}, "every"),
        ({"section": "weather"}, "section"),
        ({"tags": ("",)}, "tag"),
        ({"tags": ("x" * 101,)}, "tag"),
        ({"tags": tuple(f"t{i}" for i in range(11))}, "tag"),
        ({"tags": ("a\x00b",)}, "tag"),
    ],
)
def test_every_part_of_a_source_is_checked_with_its_name(
    changes: dict[str, object], part: str
) -> None:
    fields: dict[str, object] = {"name": "hespress", "url": "https://hespress.example/feed"}
    with pytest.raises(SourceError, match=f"^{part}: "):
        SourceSpec(**(fields | changes))  # type: ignore[arg-type]


def test_the_floor_is_sixty_seconds() -> None:
    assert SourceSpec("a", "https://a.example/", every=60).every == 60


def test_a_source_that_answered_is_ok_and_a_304_is_not_modified() -> None:
    assert _source().state(NOW, IDLE) is SourceState.OK
    quiet = _source(last_outcome=FetchOutcome.NOT_MODIFIED)
    assert quiet.state(NOW, IDLE) is SourceState.NOT_MODIFIED


def test_three_failures_in_a_row_make_it_failing_not_two() -> None:
    assert _source(failures=FAILING_AFTER - 1).state(NOW, IDLE) is not SourceState.FAILING
    assert _source(failures=FAILING_AFTER).state(NOW, IDLE) is SourceState.FAILING


def test_nothing_new_for_the_idle_bound_makes_it_idle() -> None:
    old = NOW - IDLE - timedelta(seconds=1)
    assert _source(last_new_at=old).state(NOW, IDLE) is SourceState.IDLE
    # never a new item: idle counts from the first fetch
    assert _source(last_new_at=None, first_fetch_at=old).state(NOW, IDLE) is SourceState.IDLE
    assert _source(last_new_at=NOW - IDLE + timedelta(minutes=1)).state(NOW, IDLE) is (
        SourceState.OK
    )


def test_a_source_never_fetched_is_not_idle_yet() -> None:
    fresh = _source(created_at=NOW - 2 * IDLE, last_fetch_at=None, first_fetch_at=None)
    assert fresh.state(NOW, IDLE) is not SourceState.IDLE


def test_failing_wins_over_idle() -> None:
    both = _source(failures=5, last_new_at=NOW - 3 * IDLE)
    assert both.state(NOW, IDLE) is SourceState.FAILING


def test_backoff_doubles_and_stops_at_its_bound() -> None:
    waits = [(next_fetch(NOW, NOW, 60, n) - NOW).total_seconds() for n in range(0, 12)]
    assert waits[:5] == [60, 120, 240, 480, 960]
    assert max(waits) == MAX_BACKOFF.total_seconds()
    assert waits == sorted(waits)


def test_a_long_absence_is_one_fetch_not_one_per_missed_slot() -> None:
    due = NOW - timedelta(hours=5)
    following = next_fetch(due, NOW, 300, 0)
    assert NOW < following <= NOW + timedelta(seconds=300)


def test_the_listing_has_every_field_of_the_fixed_interface() -> None:
    shown = _source(last_error="HTTP 503 Service Unavailable").as_json(NOW, IDLE)
    assert {
        "name", "url", "every", "paused", "state", "last_fetch_at", "last_ok_at", "last_error",
        "items_seen", "articles_published", "next_fetch_at",
    } <= set(shown)  # fmt: skip
    assert shown["state"] == "ok" and shown["last_fetch_at"] == "2026-12-07T11:59:00Z"
    assert _source(paused=True).as_json(NOW, IDLE)["next_fetch_at"] is None


def test_a_url_with_a_direction_override_is_refused() -> None:
    with pytest.raises(SourceError, match=r"^url: must not contain invisible"):
        SourceSpec("a", "https://a.example/\u202egnp.exe")
    assert SourceSpec("a", "https://a.example/أخبار").url.endswith("أخبار")
