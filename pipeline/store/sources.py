"""Sources: added, listed, paused, resumed, removed; each due fetch claimed once, started once.

A due fetch is claimed as a job's run is (`job_runs.py`): one conditional update moves
`next_fetch_at` from the due time that was read to the next slot, `WHERE next_fetch_at = <the
due time read>`, and inserts the fetch's row under a unique (source, due time) key, in one
transaction. Of two beats reading the same due time one wins. The worker then starts the fetch
by a second conditional update (`claimed` -> `running`), so a message delivered twice fetches
once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from pipeline.domain.sources import (
    FetchOutcome,
    Source,
    SourceError,
    SourceSpec,
    next_fetch,
)
from pipeline.store.database import reading, transaction, utcnow
from pipeline.store.source_tables import source_fetches, source_from_row, source_items, sources

__all__ = ["ClaimedFetch", "FetchRecord", "SourceStore", "source_items"]

SUPERSEDE_AFTER = timedelta(seconds=30)


@dataclass(frozen=True)
class ClaimedFetch:
    fetch_id: int
    source: str


@dataclass(frozen=True)
class FetchRecord:
    """One fetch as `nashr sources show` lists it."""

    id: int
    due_at: datetime
    trigger: str
    outcome: str
    started_at: datetime | None
    finished_at: datetime | None
    http_status: int | None
    items: int
    published: int
    updated: int
    error: str | None


@dataclass(frozen=True)
class FetchCounts:
    """What one fetch found, for the source's row and the fetch's."""

    http_status: int
    items: int = 0
    new_items: int = 0
    published: int = 0
    updated: int = 0
    etag: str | None = None
    last_modified: str | None = None
    started_at: datetime | None = None
    """When the fetch began: the first one's is the line items older than it stay behind."""


class SourceStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- the sources ---------------------------------------------------------------------------

    def add(self, spec: SourceSpec) -> Source:
        now = utcnow()
        values = {
            "name": spec.name,
            "url": spec.url,
            "every": spec.every,
            "section": spec.section,
            "tags": list(spec.tags),
            "excerpt_only": spec.excerpt_only,
            "backfill": spec.backfill,
            "paused": False,
            "created_at": now,
            "next_fetch_at": now,
        }
        try:
            with transaction(self.engine) as db:
                db.execute(insert(sources).values(values))
        except IntegrityError:
            raise SourceError(f"name: a source named {spec.name!r} exists already") from None
        found = self.get(spec.name)
        assert found is not None
        return found

    def get(self, name: str) -> Source | None:
        with reading(self.engine) as db:
            row = db.execute(select(sources).where(sources.c.name == name)).first()
        return None if row is None else source_from_row(row)

    def all(self) -> list[Source]:
        with reading(self.engine) as db:
            rows = db.execute(select(sources).order_by(sources.c.name)).all()
        return [source_from_row(row) for row in rows]

    def set_paused(self, name: str, paused: bool) -> bool:
        """Resuming fetches at once: a paused spell is not made up for slot by slot."""
        values: dict[str, Any] = {"paused": paused}
        if not paused:
            values["next_fetch_at"] = utcnow()
        with transaction(self.engine) as db:
            moved = db.execute(
                update(sources)
                .where(sources.c.name == name, sources.c.paused.is_(not paused))
                .values(values)
            ).rowcount
            exists = (
                moved == 1
                or db.execute(select(sources.c.name).where(sources.c.name == name)).first()
            )
        return bool(exists)

    def remove(self, name: str) -> bool:
        """The source and its fetches. The items it brought stay known, so adding it again
        republishes nothing; a fetch in flight finds its row gone and stops."""
        with transaction(self.engine) as db:
            db.execute(delete(source_fetches).where(source_fetches.c.source == name))
            gone = db.execute(delete(sources).where(sources.c.name == name)).rowcount
        return gone == 1

    def history(self, name: str, limit: int = 20) -> list[FetchRecord]:
        with reading(self.engine) as db:
            rows = db.execute(
                select(source_fetches)
                .where(source_fetches.c.source == name)
                .order_by(source_fetches.c.id.desc())
                .limit(limit)
            ).all()
        return [
            FetchRecord(
                id=int(r.id),
                due_at=r.due_at,
                trigger=r.trigger,
                outcome=r.outcome,
                started_at=r.started_at,
                finished_at=r.finished_at,
                http_status=r.http_status,
                items=int(r.items),
                published=int(r.published),
                updated=int(r.updated),
                error=r.error,
            )
            for r in rows
        ]

    # -- claiming ------------------------------------------------------------------------------

    def claim_due(self, now: datetime | None = None) -> list[ClaimedFetch]:
        """Claim the due fetch of every active source; what another beat claimed first is not
        returned. One transaction per source, so one slow source holds up no other."""
        moment = now or utcnow()
        with reading(self.engine) as db:
            due = db.execute(
                select(sources.c.name, sources.c.every, sources.c.next_fetch_at).where(
                    sources.c.paused.is_(False), sources.c.next_fetch_at <= moment
                )
            ).all()
        claimed = []
        for row in due:
            following = next_fetch(row.next_fetch_at, moment, int(row.every), failures=0)
            found = self._claim(row.name, row.next_fetch_at, following, moment, "schedule")
            if found is not None:
                claimed.append(found)
        return claimed

    def claim_now(self, name: str) -> ClaimedFetch:
        """`nashr sources fetch NAME` and POST /ops/sources/{name}/fetch: a fetch now,
        outside the schedule, recorded like the others."""
        now = utcnow()
        with transaction(self.engine) as db:
            if db.execute(select(sources.c.name).where(sources.c.name == name)).first() is None:
                raise SourceError(f"no source named {name!r}")
            fetch_id = db.execute(
                insert(source_fetches)
                .values(
                    source=name,
                    due_at=now,
                    trigger="manual",
                    outcome=FetchOutcome.CLAIMED.value,
                    claimed_at=now,
                )
                .returning(source_fetches.c.id)
            ).scalar_one()
        return ClaimedFetch(int(fetch_id), name)

    def _claim(
        self, name: str, due: datetime, following: datetime, now: datetime, trigger: str
    ) -> ClaimedFetch | None:
        with transaction(self.engine) as db:
            won = db.execute(
                update(sources)
                .where(
                    sources.c.name == name,
                    sources.c.next_fetch_at == due,
                    sources.c.paused.is_(False),
                )
                .values(next_fetch_at=following)
            ).rowcount
            if won != 1:
                return None
            # a fetch claimed a slot ago and never started waits behind others in its queue,
            # or its message was lost: this one replaces it, so the source is fetched once
            # (a worker catching up finds the old one superseded and skips it)
            db.execute(
                update(source_fetches)
                .where(
                    source_fetches.c.source == name,
                    source_fetches.c.outcome == FetchOutcome.CLAIMED.value,
                    source_fetches.c.claimed_at < now - SUPERSEDE_AFTER,
                )
                .values(outcome=FetchOutcome.SUPERSEDED.value, finished_at=now)
            )
            fetch_id = db.execute(
                insert(source_fetches)
                .values(
                    source=name,
                    due_at=due,
                    trigger=trigger,
                    outcome=FetchOutcome.CLAIMED.value,
                    claimed_at=now,
                )
                .returning(source_fetches.c.id)
            ).scalar_one()
        return ClaimedFetch(int(fetch_id), name)

    def abandon_running(self, started_before: datetime) -> int:
        """A fetch `running` since before this lost its worker: it is failed, and the items it
        had already submitted stay submitted (each was its own transaction)."""
        with transaction(self.engine) as db:
            return int(
                db.execute(
                    update(source_fetches)
                    .where(
                        source_fetches.c.outcome == FetchOutcome.RUNNING.value,
                        source_fetches.c.started_at < started_before,
                    )
                    .values(
                        outcome=FetchOutcome.FAILED.value,
                        finished_at=utcnow(),
                        error="the worker running it was lost",
                    )
                ).rowcount
            )

    # -- running -------------------------------------------------------------------------------

    def start(self, fetch_id: int) -> Source | None:
        """`claimed` -> `running`, once: a second delivery of the same fetch finds it taken."""
        now = utcnow()
        with transaction(self.engine) as db:
            moved = db.execute(
                update(source_fetches)
                .where(
                    source_fetches.c.id == fetch_id,
                    source_fetches.c.outcome == FetchOutcome.CLAIMED.value,
                )
                .values(outcome=FetchOutcome.RUNNING.value, started_at=now)
            ).rowcount
            if moved != 1:
                return None
            row = db.execute(
                select(sources)
                .join(source_fetches, source_fetches.c.source == sources.c.name)
                .where(source_fetches.c.id == fetch_id)
            ).first()
        return None if row is None else source_from_row(row)

    def finish_ok(self, fetch_id: int, source: Source, counts: FetchCounts) -> None:
        now = utcnow()
        outcome = FetchOutcome.NOT_MODIFIED if counts.http_status == 304 else FetchOutcome.OK
        values: dict[str, Any] = {
            "last_fetch_at": now,
            "last_ok_at": now,
            "last_outcome": outcome.value,
            "last_error": None,
            "failures": 0,
            "items_seen": sources.c.items_seen + counts.new_items,
            "articles_published": sources.c.articles_published + counts.published,
            "first_fetch_at": func.coalesce(sources.c.first_fetch_at, counts.started_at or now),
        }
        if counts.new_items:
            values["last_new_at"] = now
        if counts.http_status != 304:
            values["etag"] = counts.etag
            values["last_modified"] = counts.last_modified
        if source.failures:
            # it answers again: back on its own rhythm from now
            values["next_fetch_at"] = now + timedelta(seconds=source.spec.every)
        with transaction(self.engine) as db:
            db.execute(update(sources).where(sources.c.name == source.name).values(values))
            db.execute(
                update(source_fetches)
                .where(source_fetches.c.id == fetch_id)
                .values(
                    outcome=outcome.value,
                    finished_at=now,
                    http_status=counts.http_status,
                    items=counts.items,
                    published=counts.published,
                    updated=counts.updated,
                )
            )

    def finish_failed(
        self, fetch_id: int, source: Source, error: str, http_status: int | None = None
    ) -> None:
        """One more failure in a row; the next try waits twice as long as the last."""
        now = utcnow()
        failures = source.failures + 1
        retry_at = next_fetch(now, now, source.spec.every, failures)
        with transaction(self.engine) as db:
            db.execute(
                update(sources)
                .where(sources.c.name == source.name)
                .values(
                    last_fetch_at=now,
                    last_outcome=FetchOutcome.FAILED.value,
                    last_error=error[:2000],
                    failures=sources.c.failures + 1,
                    next_fetch_at=retry_at,
                )
            )
            db.execute(
                update(source_fetches)
                .where(source_fetches.c.id == fetch_id)
                .values(
                    outcome=FetchOutcome.FAILED.value,
                    finished_at=now,
                    http_status=http_status,
                    error=error[:2000],
                )
            )
