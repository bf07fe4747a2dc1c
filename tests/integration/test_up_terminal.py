"""`nashr up` in a terminal reads like a tool: the URLs, one live status line, warnings as
they happen; the full logs go to NASHR_DATA_DIR/logs/ (embedded default, in a pseudo-terminal)."""

from __future__ import annotations

import os
import pty
import select
import signal
import time
from pathlib import Path

import pytest

from tests.cli import NASHR, env_for, free_port
from tests.services import ROOT

pytestmark = pytest.mark.integration


def _read_until(fd: int, wanted: bytes, seconds: float, output: bytearray) -> bool:
    deadline = time.monotonic() + seconds
    while wanted not in output and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                output += os.read(fd, 65536)
            except OSError:
                return wanted in output
    return wanted in output


def test_up_in_a_terminal_prints_urls_and_a_status_line_not_the_logs(tmp_path: Path) -> None:
    assert NASHR is not None
    port = free_port()
    env = env_for(tmp_path) | {"COLUMNS": "150"}
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(ROOT)
        os.execve(
            NASHR,
            [NASHR, "up", "--port", str(port), "--submit", "examples/seed-article.json"],
            env,
        )
    output = bytearray()
    try:
        assert _read_until(fd, b"ticker  http://", 180, output), bytes(output[-3000:])
        assert _read_until(fd, b"articles: live 1", 30, output), bytes(output[-3000:])
        text = bytes(output).decode("utf-8", "replace")
        # Then the terminal holds the URLs and the status line, and no banner or INFO line
        assert f"nashr is running at http://127.0.0.1:{port}/" in text
        assert "page    http://" in text and "messages waiting:" in text
        assert "celery@" not in text and " INFO " not in text and "-------------- " not in text
        assert len(text.splitlines()) < 40, text
        # And the full logs are in the data dir
        logs = tmp_path / "logs"
        assert "succeeded in" in (logs / "worker.log").read_text(errors="replace")
        assert (logs / "beat.log").stat().st_size > 0
        assert "Running upgrade" in (logs / "nashr-up.log").read_text(errors="replace")
    finally:
        os.kill(pid, signal.SIGINT)
        output += b""
        _read_until(fd, b"nashr stopped", 60, output)
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert b"nashr stopped" in output
    assert os.waitstatus_to_exitcode(status) == 0, bytes(output[-2000:])
