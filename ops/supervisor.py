"""`nashr up`: the API, a worker and beat as child processes, stopped together on Ctrl-C."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import IO

from config.celery import FETCH_QUEUE, FETCH_THREADS, STEP_QUEUES
from config.settings import Settings


def worker_command(settings: Settings, queues: Sequence[str] = STEP_QUEUES) -> list[str]:
    """A worker for `queues`; one for the fetch queue alone waits on the network, not the
    CPU, so it runs its fetches in threads."""
    fetching = tuple(queues) == (FETCH_QUEUE,)
    pool = (
        ["-P", "threads", "-c", str(FETCH_THREADS)]
        if fetching
        else ["-c", str(settings.worker_concurrency)]
    )
    return [
        sys.executable, "-m", "celery", "-A", "tasks.worker", "worker",
        "-Q", ",".join(settings.queue(q) for q in queues),
        *pool,
        "-n", f"nashr-{'fetch-' if fetching else ''}{os.getpid()}@%h",
        "--without-gossip", "--without-mingle", "-l", settings.log_level,
    ]  # fmt: skip


def beat_command(settings: Settings) -> list[str]:
    schedule = settings.data_dir.resolve() / "beat-schedule"
    return [
        sys.executable, "-m", "celery", "-A", "tasks.worker", "beat",
        "-s", str(schedule), "-l", settings.log_level,
    ]  # fmt: skip


def api_command(host: str, port: int, forwarded_allow_ips: str = "127.0.0.1") -> list[str]:
    """The API server (`ingest/server.py`: uvicorn with header deadlines and connection caps)."""
    return [
        sys.executable, "-m", "ingest.server", "--host", host, "--port", str(port),
        "--forwarded-allow-ips", forwarded_allow_ips,
    ]  # fmt: skip


PR_SET_PDEATHSIG = 1


def die_with(parent: int) -> None:
    """In a child, before it runs: SIGTERM it when `nashr up` dies, even by SIGKILL.

    The children run in sessions of their own (so Ctrl-C reaches only `nashr up`, which stops
    them in order), so a kill of `nashr up`'s group alone would leave them running under PID 1.
    Linux's parent-death signal closes that gap; a parent already gone is caught after it."""
    with suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def port_taken(host: str, port: int) -> bool:
    """Whether something already listens on host:port (another `nashr up`, an orphan of one)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


@dataclass
class Supervisor:
    """Starts children, and stops all of them when one dies or when asked to."""

    children: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(
        self, name: str, command: list[str], env: dict[str, str], output: IO[bytes] | None = None
    ) -> None:
        """`output`: where the child's stdout and stderr go (the terminal when None)."""
        parent = os.getpid()
        self.children[name] = subprocess.Popen(
            command,
            env=env,
            start_new_session=True,
            preexec_fn=lambda: die_with(parent),
            stdout=output,
            stderr=subprocess.STDOUT if output is not None else None,
        )

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
