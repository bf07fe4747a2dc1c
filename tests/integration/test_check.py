"""`nashr check`: 0 on a healthy deployment; 1 naming what failed (no consumer, no database)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from tests.cli import NASHR
from tests.services import ROOT, wait_until
from tests.system import RunningSystem, running_system

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSystem]:
    with running_system(tmp_path_factory.mktemp("check"), "postgres-rabbitmq") as running:
        yield running


def _check(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    assert NASHR is not None
    return subprocess.run(
        [NASHR, "check", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def _passing(
    result: subprocess.CompletedProcess[str], code: int
) -> subprocess.CompletedProcess[str] | None:
    return result if result.returncode == code else None


def test_check_passes_on_a_healthy_deployment_then_names_a_queue_without_consumer(
    system: RunningSystem,
) -> None:
    healthy = wait_until(lambda: _passing(_check(system.env), 0), 60, "a healthy check")
    lines = healthy.stdout.splitlines()
    assert [line.split()[:2] for line in lines] == [
        ["ok", "database"], ["ok", "broker"], ["ok", "consumers"], ["ok", "sweeper"],
        ["ok", "stuck"], ["ok", "sources"],
    ]  # fmt: skip
    # When the only worker stops
    worker = next(w for w in system.workers if w.args[0] == "worker")
    worker.stop()
    result = wait_until(
        lambda: _passing(_check(system.env, "--only", "consumers"), 1), 60, "the check to fail"
    )
    assert "FAIL  consumers  no consumer for" in result.stdout
    assert system.settings.queue("validate") in result.stdout


def test_check_says_the_database_does_not_answer(system: RunningSystem) -> None:
    env = system.env | {"NASHR_DATABASE_URL": "postgresql://nobody:secret@127.0.0.1:9/nashr"}
    result = _check(env, "--only", "database", "--only", "sweeper")
    assert result.returncode == 1
    assert "FAIL  database   does not answer" in result.stdout
    assert "not checked" in result.stdout and "secret" not in result.stdout + result.stderr


def test_check_refuses_an_unknown_check(system: RunningSystem) -> None:
    result = _check(system.env, "--only", "everything")
    assert result.returncode == 2 and "unknown check everything" in result.stderr
