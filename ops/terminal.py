"""`nashr up` in a terminal: the URLs, one live status line, and warnings and errors as they
happen; every process's full log goes to NASHR_DATA_DIR/logs/ instead of the screen.

Used only when stdout is a terminal, text logs are asked for and `-v` is not given; otherwise
`nashr up` logs as before.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO

from rich.console import Console
from rich.live import Live
from rich.text import Text

from config.logging import KeyValueFormatter
from config.settings import Settings

NOTEWORTHY = re.compile(rb"\b(WARNING|ERROR|CRITICAL)\b|^Traceback|^\S*Error\b")
"""Lines of a child's log that reach the terminal."""
REFRESH_SECONDS = 2.0


class QuietTerminal:
    def __init__(self, settings: Settings, console: Console | None = None) -> None:
        self.folder = (settings.data_dir / "logs").resolve()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.console = console or Console()
        self._logs: dict[str, Path] = {}
        self._files: list[IO[bytes]] = []
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._live: Live | None = None

    def route_logging(self, settings: Settings) -> None:
        """This process's own log: all of it to logs/nashr-up.log, warnings to the terminal."""
        to_file = logging.FileHandler(self.folder / "nashr-up.log", encoding="utf-8")
        to_file.setFormatter(KeyValueFormatter())
        to_terminal = logging.StreamHandler()
        to_terminal.setFormatter(KeyValueFormatter())
        to_terminal.setLevel(logging.WARNING)
        root = logging.getLogger()
        root.handlers[:] = [to_file, to_terminal]
        root.setLevel(settings.log_level)

    def output_for(self, name: str) -> IO[bytes]:
        """The file a child writes to; its warnings and errors are echoed as they come."""
        path = self.folder / f"{name}.log"
        self._logs[name] = path
        handle = path.open("ab")
        self._files.append(handle)
        start = path.stat().st_size
        thread = threading.Thread(target=self._follow, args=(name, path, start), daemon=True)
        self._threads.append(thread)
        thread.start()
        return handle

    def _follow(self, name: str, path: Path, offset: int) -> None:
        with path.open("rb") as source:
            source.seek(offset)
            pending = b""
            while not self._stopping.is_set():
                chunk = source.readline()
                if not chunk:
                    self._stopping.wait(0.3)
                    continue
                pending += chunk
                if not pending.endswith(b"\n"):
                    continue
                if NOTEWORTHY.search(pending):
                    line = pending.decode("utf-8", "replace").rstrip()
                    self.console.print(Text(f"{name}: {line}", style="yellow"))
                pending = b""

    def show_status(self, status: Callable[[], str]) -> None:
        """One line, redrawn in place, under everything printed since."""
        self._live = Live(Text(status()), console=self.console, auto_refresh=False)
        self._live.start()
        thread = threading.Thread(target=self._refresh, args=(status,), daemon=True)
        self._threads.append(thread)
        thread.start()

    def _refresh(self, status: Callable[[], str]) -> None:
        while not self._stopping.wait(REFRESH_SECONDS):
            if self._live is not None:
                try:
                    line = status()
                except Exception as exc:  # a status read must never stop nashr up
                    line = f"status unavailable ({type(exc).__name__})"
                self._live.update(Text(line), refresh=True)

    def stop(self) -> None:
        self._stopping.set()
        if self._live is not None:
            self._live.stop()
        for handle in self._files:
            handle.close()

    def where(self) -> str:
        return str(self.folder)
