"""Accepting a submission: the article claimed, its new version, the ingest event and the
outbox row, all or nothing; on PostgreSQL one statement, so one round trip and no transaction
of its own (the API's hottest write)."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    DateTime,
    Integer,
    String,
    Text,
    bindparam,
    exists,
    insert,
    literal,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from pipeline.domain.models import Submission
from pipeline.domain.states import Status, Step
from pipeline.store.events import acting_worker, record_event
from pipeline.store.records import Accepted
from pipeline.store.schema import article_versions, articles, outbox, step_events, tokens

EDITOR_ROLE = "editor"


def accept_in(db: Connection, submission: Submission, now: datetime) -> Accepted:
    """A new version of `submission` and its outbox row, in the caller's transaction: the
    sources service commits an item's record with them, so each is submitted once."""
    accepted = _accept(db, submission, now, None)
    if accepted is None:  # only a token check can leave nothing written
        raise RuntimeError("accept without a token check wrote nothing")
    return accepted


def accept_for_editor_in(
    db: Connection, submission: Submission, now: datetime, token_digest: str
) -> Accepted | None:
    """As `accept_in`, only if `token_digest` is still a live editor token's: checked by the
    write itself, so a token revoked a moment ago writes nothing (None)."""
    return _accept(db, submission, now, token_digest)


def _accept(
    db: Connection, submission: Submission, now: datetime, token_digest: str | None
) -> Accepted | None:
    values = {
        "given_id": submission.external_id,
        "now": now,
        "status": Status.RECEIVED.value,
        "submission": submission.model_dump(mode="json"),
        "breaking": submission.breaking,
        "step": Step.VALIDATE.value,
        "worker": acting_worker.get(),
        "digest": token_digest,
        "editor": EDITOR_ROLE,
    }
    checked = token_digest is not None
    if db.dialect.name == "postgresql":
        row = db.execute(_pg_accept_statement(checked), values).first()
        if row is None:
            return None
        return Accepted(int(row.article_id), int(row.version), Status.RECEIVED, int(row.id))
    return _accept_in_steps(db, values, checked)


def _accept_in_steps(db: Connection, values: dict[str, Any], checked: bool) -> Accepted | None:
    """SQLite: the same writes one statement at a time, in the caller's transaction."""
    if checked and db.execute(_live_editor(), values).first() is None:
        return None
    # the claim: a new article at version 1, or the next version of the one with this
    # external id; the row lock it takes orders concurrent submissions
    article_id, version = db.execute(_claim_statement("sqlite"), values).one()
    db.execute(
        insert(article_versions),
        {
            "article_id": article_id,
            "version": version,
            "status": values["status"],
            "submission": values["submission"],
            "breaking": values["breaking"],
            "created_at": values["now"],
            "updated_at": values["now"],
        },
    )
    record_event(db, article_id, version, "ingest", "done", values["now"])
    outbox_id = db.execute(
        insert(outbox).returning(outbox.c.id),
        {
            "article_id": article_id,
            "version": version,
            "step": values["step"],
            "created_at": values["now"],
        },
    ).scalar_one()
    return Accepted(int(article_id), int(version), Status.RECEIVED, int(outbox_id))


@functools.cache
def _live_editor() -> Any:
    return select(tokens.c.id).where(
        tokens.c.token_hash == bindparam("digest", type_=String),
        tokens.c.revoked_at.is_(None),
        tokens.c.role == bindparam("editor", type_=String),
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


@functools.cache
def _pg_accept_statement(checked: bool) -> Any:
    """Built once: claim, version, event and outbox row as data-modifying CTEs of one INSERT.
    With `checked`, the claim selects its row only while the token is a live editor's, and
    without that row nothing else is written."""
    now = bindparam("now", type_=DateTime)
    claim_row = select(bindparam("given_id", type_=String), literal(1, Integer), now, now)
    if checked:
        claim_row = claim_row.where(exists(_live_editor()))
    claim = postgresql.insert(articles).from_select(
        ["external_id", "current_version", "created_at", "updated_at"], claim_row
    )
    claimed = (
        claim.on_conflict_do_update(
            index_elements=["external_id"],
            set_={
                "current_version": articles.c.current_version + 1,
                "updated_at": claim.excluded.updated_at,
            },
        )
        .returning(articles.c.id, articles.c.current_version)
        .cte("claimed")
    )
    version = (
        insert(article_versions)
        .from_select(
            ["article_id", "version", "status", "submission", "breaking", "created_at",
             "updated_at"],
            select(
                claimed.c.id,
                claimed.c.current_version,
                bindparam("status", type_=String),
                bindparam("submission", type_=article_versions.c.submission.type),
                bindparam("breaking", type_=Boolean),
                now,
                now,
            ),
        )
        .returning(article_versions.c.article_id, article_versions.c.version)
        .cte("version")
    )  # fmt: skip
    event = insert(step_events).from_select(
        ["article_id", "version", "step", "state", "at", "error", "worker"],
        select(
            version.c.article_id,
            version.c.version,
            literal("ingest", String),
            literal("done", String),
            now,
            literal(None, Text),
            bindparam("worker", type_=String),
        ),
    )
    return (
        insert(outbox)
        .from_select(
            ["article_id", "version", "step", "created_at"],
            select(version.c.article_id, version.c.version, bindparam("step", type_=String), now),
        )
        .returning(outbox.c.id, outbox.c.article_id, outbox.c.version)
        .add_cte(event.cte("event"))
    )
