"""The real API for benchmarks: uvicorn as `nashr up` runs it, and clients on loopback."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

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
    base: str,
    token: str,
    payloads: list[dict[str, Any]],
    clients: int = 8,
    on_answer: Callable[[float], None] | None = None,
) -> list[int]:
    """POST every payload from `clients` threads at once, each with its own keep-alive
    connection; returns the article ids in the payloads' order."""
    local = threading.local()
    headers = {"Authorization": f"Bearer {token}"}

    def post(payload: dict[str, Any]) -> int:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(base_url=base, headers=headers, timeout=30)
        answer = client.post("/articles", json=payload)
        if answer.status_code != 202:
            raise BenchError(f"POST /articles answered {answer.status_code}: {answer.text}")
        return int(answer.json()["id"])

    with ThreadPoolExecutor(max_workers=clients) as pool:
        return list(pool.map(post, payloads))
