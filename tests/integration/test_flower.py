"""Flower, unchanged, against the test broker: its HTTP API sees nashr's workers and tasks by
their `nashr.*` names (workers send task events, as /metrics needs too)."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.services import ROOT, wait_until
from tests.system import SEED_ARTICLE, RunningSystem, running_system

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSystem]:
    with running_system(tmp_path_factory.mktemp("flower"), "postgres-rabbitmq") as running:
        yield running


@pytest.fixture(scope="module")
def flower(system: RunningSystem, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    log = (tmp_path_factory.mktemp("flower-log") / "flower.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tasks.worker", "flower",
         f"--port={port}", "--address=127.0.0.1"],
        cwd=ROOT,
        # the API without a login, for this test only (Flower 2 refuses it otherwise)
        env=system.env | {"FLOWER_UNAUTHENTICATED_API": "true"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _get(f"{base}/healthcheck") is not None, 60, "Flower to answer")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def _get(url: str) -> Any:
    try:
        answer = httpx.get(url, timeout=10)
    except httpx.HTTPError:
        return None
    if answer.status_code != 200:
        return None
    return answer.json() if "json" in answer.headers.get("content-type", "") else answer.text


def test_flower_sees_nashr_workers_and_tasks(system: RunningSystem, flower: str) -> None:
    workers = wait_until(
        lambda: _get(f"{flower}/api/workers?refresh=1") or None, 60, "Flower to list the worker"
    )
    prefix = system.settings.queue_prefix
    assert any(name.startswith(prefix) for name in workers), workers
    consumed = {q["name"] for info in workers.values() for q in info.get("active_queues") or []}
    assert system.settings.queue("validate") in consumed
    # When an article goes live
    article = system.submit(SEED_ARTICLE)
    system.wait_for(article["id"], "live")

    def names() -> set[str] | None:
        tasks = _get(f"{flower}/api/tasks") or {}
        found = {task.get("name") for task in tasks.values()}
        wanted = {"nashr.validate", "nashr.enrich", "nashr.source", "nashr.publish", "nashr.ticker"}
        return found if wanted <= found else None

    found = wait_until(names, 60, "Flower to list the chain's tasks")
    tasks = _get(f"{flower}/api/tasks") or {}
    validate = [t for t in tasks.values() if t.get("name") == "nashr.validate"]
    assert validate and validate[0]["state"] == "SUCCESS"
    assert f"{article['id']}, 1" in validate[0]["args"]
    assert "nashr.job" in found or "nashr.rebuild" in found
