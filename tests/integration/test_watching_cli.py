"""`nashr queues [--watch] [--json]` and `nashr status ID` against a running deployment
(PostgreSQL, Redis, a real worker and beat); `--watch` driven in a pseudo-terminal."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import select
import signal
import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.cli import NASHR, stacks_of
from tests.services import ROOT, wait_until
from tests.system import SEED_ARTICLE, RunningSystem, running_system

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSystem]:
    with running_system(tmp_path_factory.mktemp("watching"), "postgres-redis") as running:
        yield running


def _nashr(system: RunningSystem, *args: str) -> subprocess.CompletedProcess[str]:
    assert NASHR is not None
    env = system.env | {"COLUMNS": "200"}
    return subprocess.run(
        [NASHR, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_queues_json_gives_every_figure_or_null(system: RunningSystem) -> None:
    article = system.submit(SEED_ARTICLE)
    system.wait_for(article["id"], "live")

    def answered() -> dict[str, object] | None:
        result = _nashr(system, "queues", "--json")
        assert result.returncode == 0, result.stderr
        report: dict[str, object] = json.loads(result.stdout)
        return report if report["workers"] else None

    report = wait_until(answered, 60, "a worker to answer")
    assert report["transport"] == "redis"
    queues = {q["step"]: q for q in report["queues"]}  # type: ignore[attr-defined]
    for step in ("validate", "enrich", "source", "publish", "ticker", "schedule", "fetch"):
        found = queues[step]
        assert found["queue"] == system.settings.queue(step)
        assert isinstance(found["waiting"], int) and isinstance(found["unacked"], int)
        assert found["consumers"] == 1  # the one worker said it consumes it
        assert found["rate_out"] is None  # no events watched in a one-shot report: unknown
    worker = report["workers"][0]  # type: ignore[index]
    assert set(worker["queues"]) == {system.settings.queue(s) for s in queues}
    assert report["versions"] == {"live": 1}


def test_status_prints_a_timeline_and_json_keeps_the_old_shape(system: RunningSystem) -> None:
    article = system.submit(SEED_ARTICLE | {"external_id": "timeline"})
    system.wait_for(article["id"], "live")
    result = _nashr(system, "status", str(article["id"]))
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert f"article {article['id']} version 1: live" in text
    for step in ("ingest", "validate", "enrich", "source", "publish", "ticker"):
        assert f"│ {step}" in text, text
    assert "duration" in text and "attempt" in text and "section:" in text and "tags:" in text
    # each step's worker, by the name it runs under
    assert text.count(f"{system.settings.queue_prefix}-0@") >= 5, text
    as_json = json.loads(_nashr(system, "status", str(article["id"]), "--json").stdout)
    assert as_json["status"] == "live" and next(s["step"] for s in as_json["steps"]) == "ingest"


def test_queues_watch_refreshes_in_place_in_a_terminal(system: RunningSystem) -> None:
    assert NASHR is not None
    pid, fd = pty.fork()
    if pid == 0:  # the child: nashr in a terminal of its own
        os.execve(
            NASHR,
            [NASHR, "queues", "--watch", "--interval", "0.5"],
            system.env | {"COLUMNS": "120"},
        )
    output = b""
    try:
        deadline = time.monotonic() + 60
        while output.count(b"step queues") < 4 and time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 1.0)
            if ready:
                try:
                    output += os.read(fd, 65536)
                except OSError:
                    break
        # Then several refreshes came, each moving the cursor back over the last (in place)
        assert output.count(b"step queues") >= 4, output[-2000:]
        assert b"\x1b[" in output  # cursor movement: rich's Live redraws the same lines
        assert b"workers online" in output
    finally:
        os.kill(pid, signal.SIGINT)
        status, output = _drain_until_exit(pid, fd, output, 60)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, output[-2000:]


def _drain_until_exit(pid: int, fd: int, output: bytes, seconds: float) -> tuple[int, bytes]:
    """Keep reading the terminal until the child exits: a child whose last writes (rich's
    final redraw) find the terminal's buffer full would otherwise block on them for ever.
    A child still there at the deadline is killed, and the test fails saying so."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status, output
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            with contextlib.suppress(OSError):  # EIO once the child has gone
                output += os.read(fd, 65536)
    stacks = stacks_of(pid)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pytest.fail(f"nashr queues --watch did not exit within {seconds:.0f} s of Ctrl-C:\n{stacks}")


def test_republish_all_shows_a_progress_bar_with_an_eta_in_a_terminal(
    system: RunningSystem,
) -> None:
    assert NASHR is not None
    live = [system.submit(SEED_ARTICLE | {"external_id": f"bar-{n}"})["id"] for n in range(3)]
    for article_id in live:
        system.wait_for(article_id, "live")
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(NASHR, [NASHR, "republish", "--all"], system.env | {"COLUMNS": "120"})
    output = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, output[-2000:]
    assert b"republishing every live article" in output and b"ETA" in output
    assert b"article(s) and the listings rendered again" in output
