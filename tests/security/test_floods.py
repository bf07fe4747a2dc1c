"""Connection floods against the real server, as the API runs under a 1,024 open-file limit:
one client holding 1,100 idle sockets and a pile of live streams must not keep /health or
POST /articles from anyone else."""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, closing, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from config.settings import Settings
from ops.supervisor import api_command
from pipeline.store import connect
from pipeline.store.migrate import upgrade
from pipeline.store.tokens import Role, TokenStore
from tests.services import ROOT, unique_name, wait_until
from tests.system import SEED_ARTICLE

pytestmark = pytest.mark.integration

HEADER_TIMEOUT = 3.0
PER_ADDRESS = 100
STREAMS_PER_ADDRESS = 4
FLOOD = 1100
ATTACKER, STREAMER = "127.0.0.2", "127.0.0.3"
"""Loopback addresses of their own, so the server tells the flood from the readers."""


@dataclass
class Server:
    url: str
    port: int
    token: str
    log: Path


def _free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _limit_open_files() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("flood")
    values = {
        "NASHR_DATA_DIR": str(data_dir),
        "NASHR_QUEUE_PREFIX": unique_name("t"),
        "NASHR_HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT),
        "NASHR_MAX_CONNECTIONS_PER_ADDRESS": str(PER_ADDRESS),
        "NASHR_MAX_STREAMS_PER_ADDRESS": str(STREAMS_PER_ADDRESS),
    }
    settings = Settings(data_dir=data_dir)
    upgrade(settings.database)
    engine = connect(settings.database)
    token = TokenStore(engine).create("flood-editor", Role.EDITOR)
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NASHR_")} | values
    port = _free_port()
    log = data_dir / "api.log"
    with ExitStack() as stack:
        out = stack.enter_context(log.open("ab"))
        process = subprocess.Popen(
            api_command("127.0.0.1", port),
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_limit_open_files,
        )
        stack.callback(process.wait, 20)
        stack.callback(process.terminate)
        running = Server(f"http://127.0.0.1:{port}", port, token, log)

        def healthy() -> bool:
            try:
                return httpx.get(f"{running.url}/health", timeout=1).status_code == 200
            except httpx.HTTPError:
                return process.poll() is not None and pytest.fail(log.read_text())

        wait_until(healthy, 60, "the API to answer /health")
        yield running
        assert process.poll() is None, f"the server died: {log.read_text()[-2000:]}"


def _idle_sockets(server: Server, count: int) -> list[socket.socket]:
    """Connections from the attacker's address that never send a byte."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < count + 256:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 512), hard))
    sockets = []
    for _ in range(count):
        sock = socket.socket()
        sock.bind((ATTACKER, 0))
        sock.settimeout(5)
        with suppress(OSError):
            sock.connect(("127.0.0.1", server.port))
        sockets.append(sock)
    return sockets


def _closed_by_server(sock: socket.socket) -> bool:
    try:
        sock.settimeout(0.05)
        return sock.recv(1) == b""
    except TimeoutError:
        return False
    except OSError:
        return True


def test_idle_sockets_and_streams_do_not_starve_readers(server: Server) -> None:
    # Given one client holding 1,100 idle sockets, and another opening many live streams
    flood = _idle_sockets(server, FLOOD)
    streams: list[httpx.Response] = []
    refused = 0
    with ExitStack() as stack:
        for idle in flood:
            stack.callback(idle.close)
        transport = httpx.HTTPTransport(local_address=STREAMER)
        streamer = stack.enter_context(httpx.Client(transport=transport, timeout=5))
        for _ in range(STREAMS_PER_ADDRESS + 6):
            response = stack.enter_context(streamer.stream("GET", f"{server.url}/ticker/stream"))
            if response.status_code == 503:
                refused += 1
            else:
                assert response.status_code == 200
                streams.append(response)

        # Then readers are still served, quickly, while all of it is held open
        for _ in range(5):
            started = time.monotonic()
            assert httpx.get(f"{server.url}/health", timeout=5).status_code == 200
            answer = httpx.post(
                f"{server.url}/articles",
                json=SEED_ARTICLE,
                headers={"Authorization": f"Bearer {server.token}"},
                timeout=5,
            )
            assert answer.status_code == 202, answer.text
            assert time.monotonic() - started < 2.0

        # And the streamer got its share of streams and no more
        assert len(streams) == STREAMS_PER_ADDRESS and refused == 6

        # And connections past the attacker's share are closed at once, the rest once the
        # header deadline passes
        wait_until(
            lambda: sum(_closed_by_server(s) for s in flood) >= FLOOD - PER_ADDRESS or None,
            10,
            "connections over the per-address share to be closed",
        )
        wait_until(
            lambda: all(_closed_by_server(s) for s in flood) or None,
            HEADER_TIMEOUT + 10,
            "every idle connection to be closed at the header deadline",
        )


def test_headers_sent_slowly_are_cut_off_at_the_deadline(server: Server) -> None:
    with closing(socket.create_connection(("127.0.0.1", server.port))) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        for _ in range(20):
            with suppress(OSError):
                sock.sendall(b"X-Slow: 1\r\n")
            if _closed_by_server(sock):
                break
            time.sleep(0.5)
        assert _closed_by_server(sock)
        assert HEADER_TIMEOUT - 0.5 <= time.monotonic() - started <= HEADER_TIMEOUT + 3
