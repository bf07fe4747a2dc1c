"""Engines: SQLite made safe for many processes, PostgreSQL as is; DB errors made transient."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, OperationalError

from pipeline.errors import TransientError

_READ_ONLY = "nashr_read_only"


def connect(url: str) -> Engine:
    """One engine per process; SQLite gets WAL, a busy timeout and write-locking transactions."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Connection) -> None:
            if connection.get_execution_options().get(_READ_ONLY):
                # a read takes a snapshot and no lock: readers never wait for a writer (WAL)
                connection.exec_driver_sql("BEGIN DEFERRED")
                return
            # IMMEDIATE takes the write lock up front: no lock-upgrade deadlock between processes.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # No pre-ping: it would cost a round trip per transaction; a connection found dead fails
    # its transaction as TransientError, which the caller retries on a fresh one.
    return create_engine(url, pool_size=5, max_overflow=5)


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction; a lost or locked database surfaces as TransientError, to be retried."""
    try:
        with engine.begin() as connection:
            yield connection
    except OperationalError as exc:
        raise TransientError(f"database unavailable: {type(exc.orig).__name__}") from None
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise TransientError("database connection lost") from None
        raise


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A read that needs no transaction of its own: one statement's snapshot is consistent.

    On PostgreSQL it runs in autocommit (no BEGIN or COMMIT round trips); on SQLite it takes
    a deferred snapshot instead of the write lock every other transaction takes.
    """
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            else:
                connection = connection.execution_options(**{_READ_ONLY: True})
            yield connection
    except OperationalError as exc:
        raise TransientError(f"database unavailable: {type(exc.orig).__name__}") from None
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise TransientError("database connection lost") from None
        raise


def utcnow() -> datetime:
    """Naive UTC: what every timestamp column holds, on SQLite and PostgreSQL alike."""
    return datetime.now(UTC).replace(tzinfo=None)
