"""What operators read from the database: versions by status (paged), the oldest version
waiting before each step, the submit-to-live latencies, a stuck version's age."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select

from pipeline.domain.states import STEP_INPUT, Status
from pipeline.store.database import reading, utcnow
from pipeline.store.schema import IS_CURRENT_VERSION, article_versions, articles, step_events


@dataclass(frozen=True)
class VersionRow:
    article_id: int
    version: int
    status: str
    updated_at: datetime
    failed_step: str | None
    title: str


@dataclass(frozen=True)
class Waiting:
    step: str
    article_id: int
    version: int
    since: datetime

    @property
    def seconds(self) -> float:
        return max(0.0, (utcnow() - self.since).total_seconds())


class OperationsQueries:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def versions(self, status: Status, limit: int, after: int | None = None) -> list[VersionRow]:
        """Current versions in `status`, by article id, `limit` from after article `after`."""
        query = (
            select(
                article_versions.c.article_id,
                article_versions.c.version,
                article_versions.c.status,
                article_versions.c.updated_at,
                article_versions.c.failed_step,
                article_versions.c.submission["title"].as_string().label("title"),
            )
            .join(articles, IS_CURRENT_VERSION)
            .where(article_versions.c.status == status.value)
            .order_by(article_versions.c.article_id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(article_versions.c.article_id > after)
        with reading(self.engine) as db:
            rows = db.execute(query).all()
        return [
            VersionRow(
                int(r.article_id), int(r.version), r.status, r.updated_at, r.failed_step,
                r.title or "",
            )
            for r in rows
        ]  # fmt: skip

    def oldest_waiting(self) -> dict[str, Waiting]:
        """For each step, the current version that has waited longest before it."""
        found: dict[str, Waiting] = {}
        with reading(self.engine) as db:
            for step, status in STEP_INPUT.items():
                row = db.execute(
                    select(
                        article_versions.c.article_id,
                        article_versions.c.version,
                        article_versions.c.updated_at,
                    )
                    .join(articles, IS_CURRENT_VERSION)
                    .where(article_versions.c.status == status.value)
                    .order_by(article_versions.c.updated_at)
                    .limit(1)
                ).first()
                if row is not None:
                    found[step.value] = Waiting(
                        step.value, int(row.article_id), int(row.version), row.updated_at
                    )
        return found

    def went_live_since(self, after_event: int, limit: int = 5000) -> tuple[list[float], int]:
        """Seconds from submission to live of the versions that went live after step event
        `after_event`, and the last event read (for the next call)."""
        with reading(self.engine) as db:
            rows = db.execute(
                select(step_events.c.id, step_events.c.at, article_versions.c.created_at)
                .join(
                    article_versions,
                    (article_versions.c.article_id == step_events.c.article_id)
                    & (article_versions.c.version == step_events.c.version),
                )
                .where(
                    step_events.c.id > after_event,
                    step_events.c.step == "ticker",
                    step_events.c.state == "done",
                )
                .order_by(step_events.c.id)
                .limit(limit)
            ).all()
        if not rows:
            return [], after_event
        seconds = [max(0.0, (r.at - r.created_at).total_seconds()) for r in rows]
        return seconds, int(rows[-1].id)

    def last_event_id(self) -> int:
        with reading(self.engine) as db:
            return int(
                db.execute(select(func.coalesce(func.max(step_events.c.id), 0))).scalar_one()
            )

    def stuck(self, older_than: datetime) -> int:
        """Current versions before a step whose last step event is older than `older_than`:
        the sweeper re-sends such versions (and restarts their `updated_at`), so only their
        history tells how long they have really not moved."""
        last = (
            select(
                step_events.c.article_id,
                step_events.c.version,
                func.max(step_events.c.at).label("moved_at"),
            )
            .group_by(step_events.c.article_id, step_events.c.version)
            .subquery()
        )
        with reading(self.engine) as db:
            return int(
                db.execute(
                    select(func.count())
                    .select_from(article_versions)
                    .join(articles, IS_CURRENT_VERSION)
                    .join(
                        last,
                        (last.c.article_id == article_versions.c.article_id)
                        & (last.c.version == article_versions.c.version),
                    )
                    .where(
                        article_versions.c.status.in_([s.value for s in STEP_INPUT.values()]),
                        last.c.moved_at < older_than,
                    )
                ).scalar_one()
            )
