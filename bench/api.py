"""The real API for benchmarks: uvicorn as `nashr up` runs it, and clients on loopback."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

import httpx

from bench.loadgen import submit_each
from bench.processes import BenchError, Child, wait_until
from ops.supervisor import api_command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ApiServer:
    """`uvicorn ingest.main:create_from_environment`, the command `nashr up` starts."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.child = Child(api_command("127.0.0.1", self.port), env, log_path)

    def wait_ready(self, timeout: float = 60) -> None:
        def healthy() -> bool:
            if self.child.process.poll() is not None:
                raise BenchError(f"the API exited:\n{self.child.tail()}")
            try:
                return httpx.get(f"{self.base}/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(healthy, timeout, "the API to answer /health")

    def stop(self) -> None:
        self.child.stop()


def submit_all(
    base: str, token: str, payloads: list[dict[str, Any]], clients: int = 8
) -> list[int]:
    """POST every payload from `clients` keep-alive connections at once (the lean client of
    `bench/loadgen.py`, so the benchmark takes little of the CPU it measures); the article
    ids, in the payloads' order."""
    return asyncio.run(submit_each(base, token, payloads, clients))
