"""Article versions in the database: accept a submission, load, advance by compare-and-set."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from pipeline.models import Submission
from pipeline.states import STEP_INPUT, Status, Step, can_move
from pipeline.store.database import reading, transaction, utcnow
from pipeline.store.events import record_event
from pipeline.store.records import Accepted, ArticleStatus, Pending, StepEvent, VersionRecord
from pipeline.store.schema import article_versions, articles, outbox
from pipeline.store.sweep import SweepQueries
from pipeline.store.takedown import TakedownQueries
from pipeline.store.versions import compare_and_set
from pipeline.store.views import ViewQueries

__all__ = ["Accepted", "ArticleStatus", "ArticleStore", "Pending", "StepEvent", "VersionRecord"]


class ArticleStore(SweepQueries, ViewQueries, TakedownQueries):
    """All reads and writes of articles; every write is one transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- ingest -------------------------------------------------------------------------------

    def accept(self, submission: Submission) -> Accepted:
        """Store a new version and its outbox row together: both or neither."""
        now = utcnow()
        payload = submission.model_dump(mode="json")
        with transaction(self.engine) as db:
            article_id = self._claim_article(db, submission.external_id, now)
            version = db.execute(
                update(articles)
                .where(articles.c.id == article_id)
                .values(current_version=articles.c.current_version + 1, updated_at=now)
                .returning(articles.c.current_version)
            ).scalar_one()
            db.execute(
                insert(article_versions).values(
                    article_id=article_id,
                    version=version,
                    status=Status.RECEIVED.value,
                    submission=payload,
                    breaking=submission.breaking,
                    created_at=now,
                    updated_at=now,
                )
            )
            record_event(db, article_id, version, "ingest", "done", now)
            outbox_id = db.execute(
                insert(outbox)
                .values(
                    article_id=article_id, version=version, step=Step.VALIDATE.value, created_at=now
                )
                .returning(outbox.c.id)
            ).scalar_one()
        return Accepted(article_id, version, Status.RECEIVED, outbox_id)

    def _claim_article(self, db: Any, external_id: str | None, now: datetime) -> int:
        values = {"external_id": external_id, "current_version": 0, "created_at": now}
        if external_id is None:
            return int(
                db.execute(
                    insert(articles).values(**values, updated_at=now).returning(articles.c.id)
                ).scalar_one()
            )
        dialect = postgresql if db.dialect.name == "postgresql" else sqlite
        db.execute(
            dialect.insert(articles)
            .values(**values, updated_at=now)
            .on_conflict_do_nothing(index_elements=["external_id"])
        )
        return int(
            db.execute(
                select(articles.c.id).where(articles.c.external_id == external_id).with_for_update()
            ).scalar_one()
        )

    def mark_dispatched(self, outbox_ids: list[int]) -> None:
        if not outbox_ids:
            return
        with transaction(self.engine) as db:
            db.execute(
                update(outbox)
                .where(outbox.c.id.in_(outbox_ids), outbox.c.dispatched_at.is_(None))
                .values(dispatched_at=utcnow())
            )

    # -- steps --------------------------------------------------------------------------------

    def load(self, article_id: int, version: int) -> VersionRecord | None:
        with reading(self.engine) as db:
            row = db.execute(
                select(
                    article_versions,
                    articles.c.current_version,
                    articles.c.live_version,
                    articles.c.first_published_at,
                )
                .join(articles, articles.c.id == article_versions.c.article_id)
                .where(
                    article_versions.c.article_id == article_id,
                    article_versions.c.version == version,
                )
            ).first()
        if row is None:
            return None
        m = row._mapping
        return VersionRecord(
            article_id=m["article_id"],
            version=m["version"],
            status=Status(m["status"]),
            current_version=m["current_version"],
            live_version=m["live_version"],
            first_published_at=m["first_published_at"],
            submission=m["submission"],
            content=m["content"],
            tags=m["tags"],
            section=m["section"],
            source=m["source"],
            reasons=m["reasons"],
            failed_step=m["failed_step"],
            updated_at=m["updated_at"],
            breaking=bool(m["breaking"]),
            published_at=m["published_at"],
        )

    def advance(
        self,
        article_id: int,
        version: int,
        step: Step,
        target: Status,
        **fields: Any,
    ) -> bool:
        """Move a version out of its step's input status, with its step event; False if raced."""
        source_status = STEP_INPUT[step]
        if not can_move(source_status, target):
            raise ValueError(f"{source_status} cannot move to {target}")
        if target in (Status.PUBLISHED, Status.LIVE):
            raise ValueError("publishing goes through PublishStore and the listing rebuild")
        now = utcnow()
        with transaction(self.engine) as db:
            values = {"status": target.value, "updated_at": now, **fields}
            if not compare_and_set(db, article_id, version, source_status, values):
                return False
            state = "rejected" if target == Status.REJECTED else "done"
            error = "; ".join(fields.get("reasons") or []) or None
            record_event(db, article_id, version, step.value, state, now, error)
        return True

    def record_retry(self, article_id: int, version: int, step: Step, error: str) -> None:
        with transaction(self.engine) as db:
            record_event(db, article_id, version, step.value, "retrying", utcnow(), error)

    def fail(self, article_id: int, version: int, step: Step, error: str) -> bool:
        """Retries are exhausted: park the version in `failed`, replayable by an operator."""
        now = utcnow()
        values = {"status": Status.FAILED.value, "failed_step": step.value, "updated_at": now}
        with transaction(self.engine) as db:
            moved = compare_and_set(db, article_id, version, STEP_INPUT[step], values)
            if moved:
                record_event(db, article_id, version, step.value, "failed", now, error[:2000])
        return moved
