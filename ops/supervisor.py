"""`nashr up`: the API, a worker and beat as child processes, stopped together on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field

from config.celery import STEP_QUEUES
from config.settings import Settings


def worker_command(settings: Settings, queues: Sequence[str] = STEP_QUEUES) -> list[str]:
    return [
        sys.executable, "-m", "celery", "-A", "tasks.worker", "worker",
        "-Q", ",".join(settings.queue(q) for q in queues),
        "-c", str(settings.worker_concurrency),
        "-n", f"nashr-{os.getpid()}@%h",
        "--without-gossip", "--without-mingle", "-l", settings.log_level,
    ]  # fmt: skip


def beat_command(settings: Settings) -> list[str]:
    schedule = settings.data_dir.resolve() / "beat-schedule"
    return [
        sys.executable, "-m", "celery", "-A", "tasks.worker", "beat",
        "-s", str(schedule), "-l", settings.log_level,
    ]  # fmt: skip


def api_command(host: str, port: int) -> list[str]:
    return [
        sys.executable, "-m", "uvicorn", "ingest.main:create_from_environment", "--factory",
        "--host", host, "--port", str(port), "--no-access-log", "--timeout-graceful-shutdown", "5",
    ]  # fmt: skip


@dataclass
class Supervisor:
    """Starts children, and stops all of them when one dies or when asked to."""

    children: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, command: list[str], env: dict[str, str]) -> None:
        self.children[name] = subprocess.Popen(command, env=env, start_new_session=True)

    def first_exit(self) -> str | None:
        for name, child in self.children.items():
            if child.poll() is not None:
                return name
        return None

    def stop(self, grace_seconds: float = 20.0) -> None:
        for child in self.children.values():
            if child.poll() is None:
                # The main process only: Celery stops its own pool; a signal to the whole
                # group would kill pool processes under it and log them as lost.
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace_seconds
        for child in self.children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
            with suppress(ProcessLookupError):  # anything its own shutdown left behind
                os.killpg(child.pid, signal.SIGKILL)
