"""Sources under test: a real deployment (worker, two beats, API) beside a loopback server
that serves feeds shaped like real outlets', and the reads the tests make of both."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from pipeline.store.source_tables import source_fetches, source_items
from tests.cli import NASHR
from tests.feed_server import FeedServer
from tests.services import ROOT, wait_until
from tests.system import RunningSystem

FEEDS: Path = ROOT / "tests" / "fixtures" / "feeds"
FINISHED = ("ok", "not_modified", "failed", "superseded")


def fixture(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


# -- helpers ---------------------------------------------------------------------------------


def add(system: RunningSystem, server: FeedServer, name: str, path: str, **extra: Any) -> None:
    # an hour: only the first fetch and the ones a test asks for run while it looks
    body = {"name": name, "url": server.url(path), "every": 3600} | extra
    answer = system.client.post("/ops/sources", json=body, headers=operator(system))
    assert answer.status_code == 201, answer.text


def operator(system: RunningSystem) -> dict[str, str]:
    return {"Authorization": f"Bearer {system.operator_token}"}


def finished(engine: Engine, name: str) -> list[Any]:
    with engine.connect() as db:
        return list(
            db.execute(
                select(source_fetches)
                .where(source_fetches.c.source == name, source_fetches.c.outcome.in_(FINISHED))
                .order_by(source_fetches.c.id)
            ).all()
        )


def first_fetch(engine: Engine, name: str) -> Any:
    return wait_until(lambda: (finished(engine, name) or [None])[0], 60, f"{name}'s first fetch")


def fetch_now(system: RunningSystem, engine: Engine, name: str) -> Any:
    """POST /ops/sources/{name}/fetch, then the fetch's row once it has ended."""
    answer = system.client.post(f"/ops/sources/{name}/fetch", headers=operator(system))
    assert answer.status_code == 202, answer.text
    fetch_id = answer.json()["fetch_id"]

    def ended() -> Any:
        with engine.connect() as db:
            row = db.execute(select(source_fetches).where(source_fetches.c.id == fetch_id)).one()
        return row if row.outcome in FINISHED else None

    return wait_until(ended, 60, f"fetch {fetch_id} of {name}")


def items(engine: Engine, name: str) -> list[Any]:
    with engine.connect() as db:
        return list(
            db.execute(
                select(source_items)
                .where(source_items.c.source == name)
                .order_by(source_items.c.id)
            ).all()
        )


def article_ids(engine: Engine, name: str) -> list[int]:
    return [row.article_id for row in items(engine, name) if row.article_id is not None]


def all_live(system: RunningSystem, ids: list[int], version: int | None = None) -> None:
    for article_id in ids:
        system.wait_for(article_id, "live", version=version)


def listed(system: RunningSystem) -> dict[str, dict[str, Any]]:
    answer = system.client.get("/ops/sources", headers=operator(system))
    assert answer.status_code == 200, answer.text
    return {source["name"]: source for source in answer.json()}


def cli(system: RunningSystem, *args: str) -> subprocess.CompletedProcess[str]:
    assert NASHR is not None
    return subprocess.run(
        [NASHR, *args], env=system.env, capture_output=True, text=True, timeout=120, cwd=ROOT
    )
