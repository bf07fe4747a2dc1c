"""The benchmark's child processes: celery workers in sessions of their own, read by their logs."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")
READY = re.compile(rb"\bready\.")
PROBLEM = re.compile(r"\b(WARNING|ERROR|CRITICAL)\b|Traceback")
FIELDS = re.compile(r" \w+=")
SUCCEEDED = re.compile(r"Task (?:nashr|bench)\.(\w+)\[[^\]]+\] succeeded in ([0-9.]+)s")


class BenchError(Exception):
    """A run that cannot give a number: a worker that never came up, work that never ended."""


def wait_until(condition: Callable[[], T | None], timeout: float, what: str) -> T:
    """Poll with a deadline; every wait in the benchmark goes through here."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise BenchError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.1)


class Child:
    """A subprocess in a session of its own, so stopping it takes its pool processes too."""

    def __init__(self, command: list[str], env: dict[str, str], log_path: Path) -> None:
        self.command = command
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.mark = 0
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                raise BenchError(f"worker exited with {self.process.returncode}:\n{self.tail()}")
            return bool(READY.search(self.log_path.read_bytes()))

        wait_until(ready, timeout, f"{self.log_path.name} to be ready")

    def peak_rss_mb(self) -> float:
        """VmHWM of the worker and every process under it, summed (shared pages count twice)."""
        total_kb = sum(
            _vm_hwm_kb(pid) for pid in [self.process.pid, *_descendants(self.process.pid)]
        )
        return total_kb / 1024

    def rss_mb(self) -> float:
        """VmRSS now, of the worker and every process under it, summed."""
        total_kb = sum(
            _status_kb(pid, "VmRSS") for pid in [self.process.pid, *_descendants(self.process.pid)]
        )
        return total_kb / 1024

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM to celery alone (a warm shutdown stops its pool); SIGKILL to all if it hangs."""
        if self.process.poll() is None:
            with suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=grace)
        with suppress(ProcessLookupError):  # whatever of its session outlived it
            os.killpg(self.process.pid, signal.SIGKILL)
        self._log.close()

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def problems(self) -> list[str]:
        """Warnings, errors and tracebacks in the log, counted by message."""
        found: Counter[str] = Counter()
        for line in self.log_path.read_text(errors="replace").splitlines():
            match = PROBLEM.search(line)
            if match:
                message = FIELDS.split(line[match.start() :], maxsplit=1)[0]
                found[re.sub(r"\d+", "N", message)[:140]] += 1
        return [f"{count}x {text}" for text, count in found.most_common(6)]

    def count(self, text: str) -> int:
        """Lines since `mark` that contain `text`."""
        return self.log_path.read_bytes()[self.mark :].count(text.encode())

    def run_times_ms(self) -> dict[str, list[float]]:
        """How long each task ran in the pool since `mark`, from Celery's `succeeded in` lines."""
        times: dict[str, list[float]] = {}
        text = self.log_path.read_bytes()[self.mark :].decode(errors="replace")
        for name, seconds in SUCCEEDED.findall(text):
            times.setdefault(name, []).append(float(seconds) * 1000)
        return times


def _descendants(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [root]
    while frontier:
        children = [pid for pid, ppid in parents.items() if ppid in frontier]
        found.extend(children)
        frontier = children
    return found


def _vm_hwm_kb(pid: int) -> int:
    return _status_kb(pid, "VmHWM")


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
