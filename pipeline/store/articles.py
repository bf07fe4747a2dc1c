"""Article versions in the database: accept a submission, load, advance by compare-and-set."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Connection, Engine, bindparam, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from pipeline.domain.models import CleanArticle, Section, SourceLink, Submission, Tag
from pipeline.domain.states import STEP_INPUT, Status, Step, can_move
from pipeline.store.database import one_statement, reading, transaction, utcnow
from pipeline.store.events import record_event
from pipeline.store.records import Accepted, ArticleStatus, Pending, StepEvent, VersionRecord
from pipeline.store.schema import article_versions, articles, outbox
from pipeline.store.sweep import SweepQueries
from pipeline.store.takedown import TakedownQueries
from pipeline.store.versions import compare_and_set, move_with_event
from pipeline.store.views import ViewQueries

__all__ = ["Accepted", "ArticleStatus", "ArticleStore", "Pending", "StepEvent", "VersionRecord"]


_STEP_READS: dict[Step | None, tuple[str, ...]] = {
    Step.VALIDATE: ("submission",),
    Step.ENRICH: ("content",),
    Step.SOURCE: ("content",),
    Step.PUBLISH: ("content", "tags", "section", "source"),
    Step.TICKER: (),
}
"""The stored values each step reads: the others (kilobytes of JSON) stay in the database."""
_JSON_COLUMNS = ("submission", "content", "tags", "section", "source", "reasons")


@functools.cache
def _load_statement(step: Step | None) -> Any:
    """Built once per step: every step runs it, and a statement built per call costs more
    than PostgreSQL takes to answer it."""
    wanted = _STEP_READS.get(step, _JSON_COLUMNS)
    columns = [c for c in article_versions.columns if c.name not in _JSON_COLUMNS]
    columns += [article_versions.c[name] for name in wanted]
    return (
        select(
            *columns,
            articles.c.current_version,
            articles.c.live_version,
            articles.c.first_published_at,
        )
        .join(articles, articles.c.id == article_versions.c.article_id)
        .where(
            article_versions.c.article_id == bindparam("article_id"),
            article_versions.c.version == bindparam("version"),
        )
    )


@functools.cache
def _claim_statement(dialect_name: str) -> Any:
    """A new article at version 1, or the next version of the one with this external id.
    (Without an external id there is nothing to conflict with: always a new article.)"""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    statement = dialect.insert(articles).values(
        external_id=bindparam("given_id"),
        current_version=1,
        created_at=bindparam("now"),
        updated_at=bindparam("now"),
    )
    return statement.on_conflict_do_update(
        index_elements=["external_id"],
        set_={
            "current_version": articles.c.current_version + 1,
            "updated_at": statement.excluded.updated_at,
        },
    ).returning(articles.c.id, articles.c.current_version)


Model = TypeVar("Model", bound=BaseModel)


def _parsed(model: type[Model], stored: Any) -> Model | None:
    return None if stored is None else model.model_validate(stored)


_NEW_VERSION = insert(article_versions)
_NEW_OUTBOX = insert(outbox).returning(outbox.c.id)


def accept_in(db: Connection, submission: Submission, now: datetime) -> Accepted:
    """A new version of `submission` and its outbox row, in the caller's transaction: the
    sources service commits an item's record with them, so each is submitted once."""
    payload = submission.model_dump(mode="json")
    # one statement claims the article (new, or the one with this external id) and its next
    # version number; the row lock it takes orders concurrent submissions
    article_id, version = db.execute(
        _claim_statement(db.dialect.name),
        {"given_id": submission.external_id, "now": now},
    ).one()
    db.execute(
        _NEW_VERSION,
        {
            "article_id": article_id,
            "version": version,
            "status": Status.RECEIVED.value,
            "submission": payload,
            "breaking": submission.breaking,
            "created_at": now,
            "updated_at": now,
        },
    )
    record_event(db, article_id, version, "ingest", "done", now)
    outbox_id = db.execute(
        _NEW_OUTBOX,
        {
            "article_id": article_id,
            "version": version,
            "step": Step.VALIDATE.value,
            "created_at": now,
        },
    ).scalar_one()
    return Accepted(int(article_id), int(version), Status.RECEIVED, int(outbox_id))


class ArticleStore(SweepQueries, ViewQueries, TakedownQueries):
    """The steps' reads and writes of article versions (accept, load, advance, fail); every
    write is one transaction. It carries the sweep, view and takedown query families too, for
    the CLI and the tests; each service is given, and typed against, only the family it uses."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- ingest -------------------------------------------------------------------------------

    def accept(self, submission: Submission) -> Accepted:
        """Store a new version and its outbox row together: both or neither."""
        with transaction(self.engine) as db:
            return accept_in(db, submission, utcnow())

    # -- steps --------------------------------------------------------------------------------

    def load(self, article_id: int, version: int, step: Step | None = None) -> VersionRecord | None:
        """A version as `step` needs it (every stored value when no step is named)."""
        with reading(self.engine) as db:
            row = db.execute(
                _load_statement(step), {"article_id": article_id, "version": version}
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
            submission=_parsed(Submission, m.get("submission")),
            content=_parsed(CleanArticle, m.get("content")),
            tags=None if m.get("tags") is None else [Tag.model_validate(t) for t in m["tags"]],
            section=_parsed(Section, m.get("section")),
            source=_parsed(SourceLink, m.get("source")),
            reasons=m.get("reasons"),
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
        values = {"status": target.value, "updated_at": now, **fields}
        state = "rejected" if target == Status.REJECTED else "done"
        error = "; ".join(fields.get("reasons") or []) or None
        with one_statement(self.engine) as db:
            return move_with_event(
                db, (article_id, version), source_status, values, (step.value, state, now, error)
            )

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
