"""Migrations run from several threads of one process at once (the fault suite does this)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from pipeline.store.migrate import upgrade

pytestmark = pytest.mark.integration


def test_upgrades_in_parallel_threads_each_reach_the_newest_schema(tmp_path: Path) -> None:
    # Given eight empty SQLite databases
    urls = [f"sqlite:///{tmp_path / f'nashr-{n}.db'}" for n in range(8)]

    # When each is upgraded from its own thread, all at once
    with ThreadPoolExecutor(len(urls)) as pool:
        for future in [pool.submit(upgrade, url) for url in urls]:
            future.result(timeout=120)

    # Then every one has the whole schema, and upgrading again changes nothing
    for url in urls:
        engine = create_engine(url)
        try:
            tables = set(inspect(engine).get_table_names())
        finally:
            engine.dispose()
        assert {"articles", "alembic_version"} <= tables, url
    upgrade(urls[0])
