"""`nashr up`, the one command that runs everything: it serves, publishes and stops whole,
dies with its children, and refuses a port that is taken."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.cli import (
    SEED_FILE,
    create_token,
    descendants,
    lingering,
    nashr,
    nashr_up_running,
    ok,
    still_running,
)
from tests.services import wait_until
from tests.system import SEED_ARTICLE

pytestmark = pytest.mark.integration


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    ok(nashr(tmp_path, "migrate"))
    return tmp_path


@pytest.fixture
def nashr_up(data_dir: Path) -> Iterator[tuple[subprocess.Popen[str], str, Path]]:
    with nashr_up_running(data_dir) as running:
        yield running


def _read_event_containing(lines: Iterator[str], text: str, seconds: float = 60) -> str:
    """Read server-sent events until a `ticker` event carries `text` (or the deadline passes)."""
    deadline = time.monotonic() + seconds
    event: list[str] = []
    for line in lines:
        if line.startswith("data: "):
            event.append(line.removeprefix("data: "))
        elif not line and event:
            if text in "\n".join(event):
                return "\n".join(event)
            event = []
        if time.monotonic() > deadline:
            break
    raise AssertionError(f"no ticker event with {text!r} within {seconds}s")


def _healthy(base: str, process: subprocess.Popen[str], log: Path) -> bool:
    if process.poll() is not None:
        raise AssertionError(f"nashr up exited {process.returncode}:\n{log.read_text()}")
    try:
        return httpx.get(f"{base}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _serving_with_its_children(
    process: subprocess.Popen[str], base: str, log: Path
) -> dict[int, str]:
    """Wait until `nashr up` answers /health and runs its API, worker and beat; those processes."""
    wait_until(lambda: _healthy(base, process, log), 90, "nashr up to answer /health")

    def three_children() -> dict[int, str] | None:
        found = descendants(process.pid)
        return found if len(found) >= 3 else None

    found: dict[int, str] = wait_until(three_children, 30, "the API, worker and beat processes")
    return found


def test_up_serves_submit_publishes_and_ctrl_c_stops_everything(
    data_dir: Path, nashr_up: tuple[subprocess.Popen[str], str, Path]
) -> None:
    process, base, log = nashr_up
    token = create_token(data_dir, "desk")

    # Given `nashr up` answering on its port with an API, a worker and beat under it
    children = _serving_with_its_children(process, base, log)

    # When an editor submits the seed article with `nashr submit`
    result = nashr(data_dir, "submit", str(SEED_FILE), NASHR_TOKEN=token, NASHR_API_URL=base)

    # Then the id is its last line, and the article goes live
    article_id = int(ok(result)[-1])
    empty = data_dir / "empty.json"
    empty.write_text("{}")
    refused = nashr(data_dir, "submit", str(empty), NASHR_TOKEN=token, NASHR_API_URL=base)
    assert refused.returncode == 1 and "refused (422)" in refused.stderr
    headers = {"Authorization": f"Bearer {token}"}

    def live() -> dict[str, object] | None:
        status: dict[str, object] = httpx.get(
            f"{base}/articles/{article_id}", headers=headers, timeout=5
        ).json()
        assert status["status"] not in ("rejected", "failed"), status
        return status if status["status"] == "live" else None

    status = wait_until(live, 120, f"article {article_id} to be live")
    assert status["version"] == 1
    page = httpx.get(f"{base}/news/{article_id}.html", timeout=5)
    assert page.status_code == 200 and SEED_ARTICLE["title"] in page.text
    document = json.loads(httpx.get(f"{base}/news/{article_id}.json", timeout=5).text)
    assert document["id"] == article_id

    # And a 10 MB streamed body is refused by the real server, which keeps answering
    def ten_mb() -> Iterator[bytes]:
        for _ in range(160):
            yield b" " * 65536

    too_big = httpx.post(
        f"{base}/articles",
        content=ten_mb(),
        headers=headers | {"Content-Type": "application/json"},
        timeout=30,
    )
    assert too_big.status_code == 413, too_big.text
    assert too_big.json()["detail"][0]["field"] == "body"
    assert httpx.get(f"{base}/health", timeout=5).status_code == 200

    # And an open page's live ticker stream pushes the next headline as it goes live
    second_title = "خبر ثان يصل إلى الشريط مباشرة"
    with httpx.stream("GET", f"{base}/ticker/stream", timeout=30) as stream:
        lines = stream.iter_lines()
        _read_event_containing(lines, SEED_ARTICLE["title"])
        second = httpx.post(
            f"{base}/articles",
            json=SEED_ARTICLE | {"title": second_title},
            headers=headers,
            timeout=10,
        )
        assert second.status_code == 202
        _read_event_containing(lines, second_title)

    # When the operator presses Ctrl-C
    children |= descendants(process.pid)
    process.send_signal(signal.SIGINT)

    # Then `nashr up` exits within 30 s, cleanly, and leaves no process behind
    assert process.wait(timeout=30) == 0, log.read_text()
    wait_until(lambda: not still_running(children), 10, "every child of nashr up to exit")
    assert "nashr stopped" in log.read_text()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base}/health", timeout=2)


def test_a_killed_nashr_up_takes_its_children_with_it(
    data_dir: Path, nashr_up: tuple[subprocess.Popen[str], str, Path]
) -> None:
    # Given `nashr up` running with its API, worker and beat
    process, base, log = nashr_up
    children = _serving_with_its_children(process, base, log)

    # When its whole process group is killed with SIGKILL (no chance to stop anything)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)

    # Then every child goes too, and the port is free for the next `nashr up`
    try:
        wait_until(lambda: not still_running(children), 30, "the children of a killed nashr up")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{lingering(still_running(children))}") from None
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base}/health", timeout=2)


def test_up_refuses_a_port_that_is_taken(data_dir: Path) -> None:

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = nashr(data_dir, "up", "--port", str(port))
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is taken" in result.stderr
