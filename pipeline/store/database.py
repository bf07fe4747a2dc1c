"""Engines: SQLite made safe for many processes, PostgreSQL as is; DB errors made transient."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, OperationalError

from pipeline.domain.errors import TransientError

log = logging.getLogger(__name__)

_READ_ONLY = "nashr_read_only"


def connect(url: str, durable: bool = True) -> Engine:
    """One engine per process; SQLite gets WAL, a busy timeout and write-locking transactions.

    `durable=False` (the workers) lets a commit return before its WAL record reaches the disk:
    a database crash may then forget the last fraction of a second of step progress, which the
    sweeper drives again (every step is idempotent), but never an accepted article or a
    takedown, which the API and the CLI commit durably."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
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
    options = {} if durable else {"options": "-c synchronous_commit=off"}
    # the API runs up to 40 requests at once in its thread pool: connections are kept, not
    # opened per request past the pool's size
    engine = create_engine(url, pool_size=10, max_overflow=20, connect_args=options)
    event.listen(engine, "connect", _compress_with_lz4)
    return engine


def _compress_with_lz4(dbapi_connection: Any, _record: Any) -> None:
    """Large values (pages, feeds, article JSON) are compressed with lz4 rather than pglz:
    about a third less of PostgreSQL's CPU per kilobyte written, for much the same size. A
    server built without lz4 keeps its default; nothing else changes."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SET default_toast_compression = 'lz4'")
    except Exception:  # the driver's own error (psycopg's): the server refused the value
        dbapi_connection.rollback()
        log.info("PostgreSQL has no lz4: large values keep its default compression")
    else:
        dbapi_connection.commit()
    finally:
        cursor.close()


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


@contextmanager
def one_statement(engine: Engine) -> Iterator[Connection]:
    """A write that is a single statement, atomic by itself: on PostgreSQL it runs without a
    transaction of its own (no BEGIN or COMMIT round trips); on SQLite it takes the usual
    write transaction, since there the statement may become two."""
    if engine.dialect.name != "postgresql":
        with transaction(engine) as connection:
            yield connection
        return
    try:
        with engine.connect() as connection:
            yield connection.execution_options(isolation_level="AUTOCOMMIT")
    except OperationalError as exc:
        raise TransientError(f"database unavailable: {type(exc.orig).__name__}") from None
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise TransientError("database connection lost") from None
        raise


def utcnow() -> datetime:
    """Naive UTC: what every timestamp column holds, on SQLite and PostgreSQL alike."""
    return datetime.now(UTC).replace(tzinfo=None)
