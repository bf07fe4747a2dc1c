"""Rendered outputs in the database: what every API process serves, on any machine.

An output is replaced whole inside a transaction, so a reader gets the old one or the new one,
never half; pages keep a slot where the API puts the current ticker as it serves them.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Engine,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    delete,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DatabaseError, OperationalError

from pipeline.domain.moments import as_utc
from pipeline.domain.outputs import Output
from pipeline.store.database import reading, utcnow
from pipeline.store.schema import metadata

MAX_PATH = 400

outputs = Table(
    "outputs",
    metadata,
    Column("path", String(MAX_PATH), primary_key=True),
    Column("body", LargeBinary, nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("status", Integer, nullable=False, server_default="200"),
    Column("etag", String(40), nullable=False),
    Column("ticker_slot", Boolean, nullable=False, server_default="0"),
    Column("article_id", Integer, nullable=True),
    Column("updated_at", DateTime, nullable=False),
)
Index("ix_outputs_article_id", outputs.c.article_id)


@dataclass(frozen=True)
class StoredOutput:
    path: str
    body: bytes
    media_type: str
    status: int
    etag: str
    ticker_slot: bool
    updated_at: datetime


def put(db: Connection, items: Iterable[Output], article_id: int | None = None) -> None:
    """Write outputs in the caller's transaction, each replacing the one at its path."""
    now = utcnow()
    rows = [
        {
            "path": item.path,
            "body": item.body,
            "media_type": item.media_type,
            "status": item.status,
            "etag": item.etag,
            "ticker_slot": item.ticker_slot,
            "article_id": article_id,
            "updated_at": now,
        }
        for item in items
    ]
    if not rows:
        return
    db.execute(_upsert(db.dialect.name), rows)


@functools.cache
def _upsert(dialect_name: str) -> Any:
    """Insert or replace by path, built once per dialect."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    statement = dialect.insert(outputs)
    replaced = ("body", "media_type", "status", "etag", "ticker_slot", "article_id", "updated_at")
    return statement.on_conflict_do_update(
        index_elements=["path"], set_={name: statement.excluded[name] for name in replaced}
    )


def put_each(
    db: Connection, items: Iterable[Output], article_id: int | None = None
) -> dict[str, str]:
    """`put`, all in one savepoint; if the database refuses it, each output in a savepoint of
    its own: one the database refuses is rolled back alone and returned with the reason, and
    the others are written. (The common case costs three round trips, not three per output.)"""
    wanted = list(items)
    try:
        with db.begin_nested():
            put(db, wanted, article_id)
        return {}
    except OperationalError:
        raise  # the database itself is away: the whole rebuild is retried
    except DatabaseError:
        pass  # which one? each on its own finds out
    refused: dict[str, str] = {}
    for item in wanted:
        try:
            with db.begin_nested():
                put(db, [item], article_id)
        except OperationalError:
            raise  # the database itself is away: the whole rebuild is retried
        except DatabaseError as exc:
            refused[item.path] = f"{type(exc.orig).__name__}: {exc.orig}"[:2000]
    return refused


def remove(db: Connection, paths: Iterable[str]) -> None:
    wanted = list(paths)
    if wanted:
        db.execute(delete(outputs).where(outputs.c.path.in_(wanted)))


class OutputStore:
    """Reads for the API: one indexed lookup per request, the ticker in the same query."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, *paths: str) -> dict[str, StoredOutput]:
        with reading(self.engine) as db:
            rows = db.execute(select(outputs).where(outputs.c.path.in_(paths))).all()
        return {
            row.path: StoredOutput(
                path=row.path,
                body=bytes(row.body),
                media_type=row.media_type,
                status=row.status,
                etag=row.etag,
                ticker_slot=bool(row.ticker_slot),
                updated_at=as_utc(row.updated_at),
            )
            for row in rows
        }

    def etag(self, path: str) -> str | None:
        """Whether an output changed, without reading it (the live ticker stream asks often)."""
        with reading(self.engine) as db:
            found = db.execute(select(outputs.c.etag).where(outputs.c.path == path)).scalar()
        return str(found) if found is not None else None

    def paths(self, limit: int = 100_000) -> list[str]:
        """Every stored path, for operators and tests that walk the whole site."""
        with reading(self.engine) as db:
            rows = db.execute(select(outputs.c.path).order_by(outputs.c.path).limit(limit)).all()
        return [row.path for row in rows]
