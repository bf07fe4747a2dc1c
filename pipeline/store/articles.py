"""Article versions in the database: accept a submission, load, advance by compare-and-set."""

from __future__ import annotations

import functools
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Engine, bindparam, select

from pipeline.domain.models import CleanArticle, Section, SourceLink, Submission, Tag
from pipeline.domain.states import STEP_INPUT, Status, Step, can_move
from pipeline.store.accept import accept_for_editor_in, accept_in
from pipeline.store.database import one_statement, reading, transaction, utcnow
from pipeline.store.events import record_event
from pipeline.store.records import Accepted, ArticleStatus, Pending, StepEvent, VersionRecord
from pipeline.store.schema import article_versions, articles
from pipeline.store.sweep import SweepQueries
from pipeline.store.takedown import TakedownQueries
from pipeline.store.versions import compare_and_set, move_with_event
from pipeline.store.views import ViewQueries

__all__ = [
    "Accepted",
    "ArticleStatus",
    "ArticleStore",
    "Pending",
    "StepEvent",
    "VersionRecord",
    "accept_in",
]


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


Model = TypeVar("Model", bound=BaseModel)


def _parsed(model: type[Model], stored: Any) -> Model | None:
    return None if stored is None else model.model_validate(stored)


class ArticleStore(SweepQueries, ViewQueries, TakedownQueries):
    """The steps' reads and writes of article versions (accept, load, advance, fail); every
    write is one transaction. It carries the sweep, view and takedown query families too, for
    the CLI and the tests; each service is given, and typed against, only the family it uses."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- ingest -------------------------------------------------------------------------------

    def accept(self, submission: Submission) -> Accepted:
        """Store a new version and its outbox row together: both or neither."""
        with one_statement(self.engine) as db:
            return accept_in(db, submission, utcnow())

    def accept_for_editor(self, submission: Submission, token_digest: str) -> Accepted | None:
        """As `accept`, on behalf of the editor token with this digest; None (nothing written)
        when it is no longer a live editor token."""
        with one_statement(self.engine) as db:
            return accept_for_editor_in(db, submission, utcnow(), token_digest)

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
