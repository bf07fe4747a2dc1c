"""What every PostgreSQL connection nashr opens is set up with, on a real server."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import text

from pipeline.store.database import _compress_with_lz4, connect
from tests.services import postgres_database


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    with postgres_database() as url:
        yield url


def _show(url: str, durable: bool, setting: str) -> str:
    engine = connect(url, durable)
    try:
        with engine.connect() as db:
            return str(db.execute(text(f"SHOW {setting}")).scalar_one())
    finally:
        engine.dispose()


def test_large_values_are_compressed_with_lz4(database: str) -> None:
    assert _show(database, True, "default_toast_compression") == "lz4"
    assert _show(database, False, "default_toast_compression") == "lz4"


def test_only_the_workers_commit_without_waiting_for_the_disk(database: str) -> None:
    assert _show(database, True, "synchronous_commit") == "on"
    assert _show(database, False, "synchronous_commit") == "off"


def test_a_server_that_refuses_lz4_leaves_a_usable_connection_with_its_default(
    database: str,
) -> None:
    with psycopg.connect(database) as connection:
        with pytest.raises(psycopg.errors.UndefinedTable):
            connection.execute("SELECT * FROM no_such_table")  # the SET below now fails too
        _compress_with_lz4(connection, None)
        shown = connection.execute("SHOW default_toast_compression").fetchone()
        assert shown is not None and shown[0] == "pglz"
