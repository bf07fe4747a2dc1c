"""`nashr up`'s quiet terminal: a child's warnings and errors reach the screen, INFO does not."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from config.settings import Settings
from ops.terminal import QuietTerminal
from tests.services import wait_until


def test_warnings_and_errors_of_a_child_reach_the_terminal_and_info_stays_in_its_log(
    tmp_path: Path,
) -> None:
    screen = io.StringIO()
    terminal = QuietTerminal(Settings(data_dir=tmp_path), Console(file=screen, width=200))
    output = terminal.output_for("worker")
    try:
        output.write(b"2026-12-07 03:00:00 INFO    celery.worker: ready\n")
        output.write(b"2026-12-07 03:00:01 WARNING tasks.runner: transient failure, will retry\n")
        output.write(b"Traceback (most recent call last):\n")
        output.write(b"2026-12-07 03:00:02 ERROR   tasks.runner: step failed error=boom\n")
        output.flush()
        wait_until(lambda: "step failed" in screen.getvalue(), 10, "the error on the screen")
    finally:
        terminal.stop()
    shown = screen.getvalue()
    assert "worker: 2026-12-07 03:00:01 WARNING" in shown and "Traceback" in shown
    assert "ready" not in shown
    assert "ready" in (tmp_path / "logs" / "worker.log").read_text()
