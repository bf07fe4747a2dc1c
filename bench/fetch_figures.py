"""What the sources benchmark measured, read from nashr's tables and the feed server's log.

nashr's side: `source_fetches` (due, started and finished times of every scheduled fetch, its
answer), `source_items` (what became of every item) and `step_events` (when each article went
live). The server's side: every answer it gave nashr, with the feed's version at that moment,
so the new items nashr was shown, and the 304s it could have had, are counted without taking
nashr's word for them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select

from bench.feeds import FeedPlan, Served
from bench.report import percentile
from pipeline.store.schema import step_events
from pipeline.store.source_tables import source_fetches, source_items

FINISHED = ("ok", "not_modified", "failed", "superseded")


def epoch(moment: datetime) -> float:
    """nashr's columns hold naive UTC."""
    return moment.replace(tzinfo=UTC).timestamp()


def spread(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0, "p50": 0.0, "p99": 0.0, "max": 0.0}
    return {
        "n": len(values),
        "p50": round(percentile(values, 50), 3),
        "p99": round(percentile(values, 99), 3),
        "max": round(max(values), 3),
    }


@dataclass
class Minute:
    minute: int
    fetches: int
    sources: int
    ok: int
    not_modified: int
    failed: int
    lag: dict[str, float]
    duration: dict[str, float]
    published: int
    fetch_cpu_s: float = 0.0
    load: float = 0.0


@dataclass
class Items:
    """New items the server showed nashr after each source's first fetch, and their fate."""

    expected: int = 0
    published: int = 0
    missing: dict[str, int] = field(default_factory=dict)
    """Expected items nashr did not publish, by the state it gave them."""
    missing_after_first_s: list[float] = field(default_factory=list)
    """For each: seconds from the first answer nashr got to the item's arrival."""
    unexpected: int = 0
    dropped_unseen: int = 0
    """Items that came and went between two of nashr's fetches (never shown to it)."""
    sources_off: int = 0


@dataclass
class Figures:
    scheduled: int
    outcomes: dict[str, int]
    lag_s: dict[str, float]
    lag_steady_s: dict[str, float]
    duration_s: dict[str, float]
    late_past_next_slot: int
    left_unfinished: int
    missed_slots: int
    sources_short: list[str]
    minutes: list[Minute]
    requests: int
    answered_200: int
    answered_304: int
    answered_other: int
    unchanged_answered_200: int
    items: Items
    arrival_to_fetched_s: dict[str, float]
    fetched_to_live_s: dict[str, float]
    arrival_to_live_s: dict[str, float]
    not_live: int

    @property
    def share_304(self) -> float:
        return self.answered_304 / self.requests if self.requests else 0.0


def read_fetches(engine: Engine) -> list[Any]:
    with engine.connect() as db:
        return list(
            db.execute(select(source_fetches).where(source_fetches.c.trigger == "schedule")).all()
        )


def compute(
    engine: Engine,
    plan: FeedPlan,
    answers: list[Served],
    start: float,
    end: float,
    every: int,
    added: dict[str, float],
) -> Figures:
    """`start`/`end`: the run's window (epoch seconds); `added`: each source's creation time."""
    rows = [r for r in read_fetches(engine) if epoch(r.due_at) < end]
    started = [r for r in rows if r.started_at is not None]
    lags = {r.id: epoch(r.started_at) - epoch(r.due_at) for r in started}
    durations = [
        epoch(r.finished_at) - epoch(r.started_at) for r in started if r.finished_at is not None
    ]
    done = [r for r in rows if r.outcome in ("ok", "not_modified")]
    per_source = Counter(r.source for r in done)
    short = []
    missed = 0
    for name, created in added.items():
        slots = int((end - created - 1e-6) // every) + 1
        if per_source[name] < slots:
            missed += slots - per_source[name]
            short.append(f"{name} {per_source[name]}/{slots}")
    steady = [lags[r.id] for r in started if epoch(r.due_at) >= start + every]
    served = _served(answers)
    return Figures(
        scheduled=len(rows),
        outcomes=dict(Counter(r.outcome for r in rows)),
        lag_s=spread(list(lags.values())),
        lag_steady_s=spread(steady),
        duration_s=spread(durations),
        late_past_next_slot=sum(1 for lag in lags.values() if lag >= every),
        left_unfinished=sum(1 for r in rows if r.outcome in ("claimed", "running")),
        missed_slots=missed,
        sources_short=short,
        minutes=_minutes(rows, lags, start),
        requests=len(answers),
        answered_200=sum(1 for a in answers if a.status == 200),
        answered_304=sum(1 for a in answers if a.status == 304),
        answered_other=sum(1 for a in answers if a.status not in (200, 304)),
        unchanged_answered_200=served.unchanged_200,
        **_item_figures(engine, plan, served),
    )


@dataclass
class _ServedFeeds:
    first: dict[int, Served] = field(default_factory=dict)
    shown: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    last_version: dict[int, int] = field(default_factory=dict)
    unchanged_200: int = 0


def _served(answers: list[Served]) -> _ServedFeeds:
    found = _ServedFeeds()
    for answer in sorted(answers, key=lambda a: a.at):
        if answer.status != 200:
            continue
        if found.last_version.get(answer.feed) == answer.version:
            found.unchanged_200 += 1
        found.first.setdefault(answer.feed, answer)
        found.last_version[answer.feed] = answer.version
        found.shown[answer.feed].add(answer.version)
    return found


def _minutes(rows: list[Any], lags: dict[int, float], start: float) -> list[Minute]:
    by_minute: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        by_minute[int((epoch(row.due_at) - start) // 60)].append(row)
    found = []
    for minute in sorted(by_minute):
        group = by_minute[minute]
        outcomes = Counter(r.outcome for r in group)
        found.append(
            Minute(
                minute=minute,
                fetches=len(group),
                sources=len({r.source for r in group}),
                ok=outcomes["ok"],
                not_modified=outcomes["not_modified"],
                failed=outcomes["failed"],
                lag=spread([lags[r.id] for r in group if r.id in lags]),
                duration=spread(
                    [
                        epoch(r.finished_at) - epoch(r.started_at)
                        for r in group
                        if r.finished_at is not None and r.started_at is not None
                    ]
                ),
                published=sum(int(r.published) for r in group),
            )
        )
    return found


def _item_figures(engine: Engine, plan: FeedPlan, served: _ServedFeeds) -> dict[str, Any]:
    """Expected (shown to nashr after its first fetch) against published, per feed; and the
    time from each published item's arrival on the server to its article being live."""
    with engine.connect() as db:
        rows = db.execute(
            select(
                source_items.c.source,
                source_items.c.external_id,
                source_items.c.article_id,
                source_items.c.state,
                source_items.c.first_seen_at,
            )
        ).all()
        live_rows = db.execute(
            select(step_events.c.article_id, func.min(step_events.c.at))
            .where(step_events.c.step == "ticker", step_events.c.state == "done")
            .group_by(step_events.c.article_id)
        ).all()
    live = {int(article): epoch(at) for article, at in live_rows}
    states: dict[int, dict[int, Any]] = defaultdict(dict)
    for row in rows:
        feed = int(row.source.rsplit("-", 1)[1])
        states[feed][int(row.external_id.rsplit("?p=", 1)[1])] = row
    items = Items()
    to_fetched: list[float] = []
    to_live: list[float] = []
    arrival_to_live: list[float] = []
    not_live = 0
    for feed, first in served.first.items():
        shown = set().union(*(plan.shown(v) for v in served.shown[feed]))
        expected = shown - set(plan.shown(first.version))
        newest = max(served.shown[feed]) + plan.items
        items.dropped_unseen += len(set(range(first.version + plan.items, newest)) - shown)
        published = {k for k, row in states[feed].items() if row.article_id}
        items.expected += len(expected)
        items.published += len(published & expected)
        items.unexpected += len(published - expected)
        if published != expected:
            items.sources_off += 1
        for k in expected - published:
            kept = states[feed].get(k)
            state = kept.state if kept is not None else "never recorded"
            items.missing[state] = items.missing.get(state, 0) + 1
            items.missing_after_first_s.append(round(plan.arrived_at(feed, k) - first.at, 3))
        for k in published:
            row = states[feed][k]
            arrived = plan.arrived_at(feed, k)
            to_fetched.append(epoch(row.first_seen_at) - arrived)
            if row.article_id in live:
                to_live.append(live[row.article_id] - epoch(row.first_seen_at))
                arrival_to_live.append(live[row.article_id] - arrived)
            else:
                not_live += 1
    return {
        "items": items,
        "arrival_to_fetched_s": spread(to_fetched),
        "fetched_to_live_s": spread(to_live),
        "arrival_to_live_s": spread(arrival_to_live),
        "not_live": not_live,
    }
