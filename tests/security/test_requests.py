"""Odd and oversized requests that tests/integration/test_api_input.py does not already send,
against the real server (uvicorn in its own process, as `nashr up` starts it) where the HTTP
parser matters: slow and stalled clients, lying or huge headers, bodies the app never reads."""

from __future__ import annotations

import gzip
import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
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
from tests.api import Api, serving_api
from tests.services import ROOT, unique_name, wait_until
from tests.system import SEED_ARTICLE

pytestmark = pytest.mark.integration

BODY_TIMEOUT = 2.0
MAX_BYTES = 64 * 1024


@dataclass
class Server:
    host: str
    port: int
    token: str
    settings: Settings
    log: Path

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def connect(self) -> socket.socket:
        sock = socket.create_connection((self.host, self.port), timeout=10)
        return sock

    def request_head(self, path: str, length: int, extra: str = "") -> bytes:
        return (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\n"
            f"Authorization: Bearer {self.token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\n{extra}\r\n"
        ).encode()


def _free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("uvicorn")
    values = {
        "NASHR_DATA_DIR": str(data_dir),
        "NASHR_QUEUE_PREFIX": unique_name("t"),
        "NASHR_REQUEST_BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT),
        "NASHR_MAX_REQUEST_BYTES": str(MAX_BYTES),
    }
    settings = Settings(
        data_dir=data_dir,
        queue_prefix=values["NASHR_QUEUE_PREFIX"],
        request_body_timeout_seconds=BODY_TIMEOUT,
        max_request_bytes=MAX_BYTES,
    )
    upgrade(settings.database)
    engine = connect(settings.database)
    token = TokenStore(engine).create("slow-editor", Role.EDITOR)
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NASHR_")} | values
    port = _free_port()
    log = data_dir / "api.log"
    with ExitStack() as stack:
        out = stack.enter_context(log.open("ab"))
        process = subprocess.Popen(
            api_command("127.0.0.1", port), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        stack.callback(process.wait, 20)
        stack.callback(process.terminate)
        running = Server("127.0.0.1", port, token, settings, log)

        def healthy() -> bool:
            try:
                return httpx.get(f"{running.url}/health", timeout=1).status_code == 200
            except httpx.HTTPError:
                return process.poll() is not None and pytest.fail(log.read_text())

        wait_until(healthy, 60, "uvicorn to answer /health")
        yield running
        assert process.poll() is None, f"the server died: {log.read_text()[-2000:]}"


def _read_response(sock: socket.socket, timeout: float) -> tuple[int, bytes]:
    """Status and raw bytes of one response (or of whatever came before the socket closed)."""
    sock.settimeout(timeout)
    data = b""
    try:
        while b"\r\n\r\n" not in data or not _complete(data):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except TimeoutError:
        pass
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else 0
    return status, data


def _complete(data: bytes) -> bool:
    head, _, body = data.partition(b"\r\n\r\n")
    for line in head.lower().split(b"\r\n"):
        if line.startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return True


def _timed_get(server: Server, path: str = "/health") -> float:
    started = time.monotonic()
    response = httpx.get(f"{server.url}{path}", timeout=5)
    assert response.status_code == 200, response.text
    return time.monotonic() - started


def _timed_submit(server: Server) -> float:
    started = time.monotonic()
    response = httpx.post(
        f"{server.url}/articles",
        json=SEED_ARTICLE,
        headers={"Authorization": f"Bearer {server.token}"},
        timeout=5,
    )
    assert response.status_code == 202, response.text
    return time.monotonic() - started


# -- slow clients ------------------------------------------------------------------------------


def test_a_dribbled_body_is_cut_off_while_others_are_served(server: Server) -> None:
    # Given a client that sends its headers, then one byte of body every 0.2 s
    body = json.dumps(SEED_ARTICLE).encode()
    slow = server.connect()
    slow.sendall(server.request_head("/articles", len(body)))
    started = time.monotonic()
    latencies: list[float] = []
    sent = 0
    with ThreadPoolExecutor(max_workers=4) as pool:
        while time.monotonic() - started < BODY_TIMEOUT + 1 and sent < len(body):
            try:
                slow.sendall(body[sent : sent + 1])
            except OSError:
                break  # the server gave up on it: what we are waiting for
            sent += 1
            # When other readers and editors use the API meanwhile
            latencies += list(pool.map(lambda f: f(server), [_timed_get, _timed_submit]))
            time.sleep(0.2)

        # Then they were answered promptly all along
        assert latencies and max(latencies) < 1.5, latencies

    # And the slow client got 408 with a reason once the body deadline passed, not a hang
    status, raw = _read_response(slow, BODY_TIMEOUT + 3)
    slow.close()
    assert status == 408, raw[:300]
    assert time.monotonic() - started < BODY_TIMEOUT + 4
    assert b'"field": "body"' in raw and b"connection: close" in raw.lower()


def test_a_client_that_stops_after_its_headers_gets_408(server: Server) -> None:
    with closing(server.connect()) as stalled:
        stalled.sendall(server.request_head("/articles", 5000))
        started = time.monotonic()
        assert _timed_get(server) < 1.0
        status, raw = _read_response(stalled, BODY_TIMEOUT + 3)
    assert status == 408, raw[:300]
    assert BODY_TIMEOUT - 0.5 < time.monotonic() - started < BODY_TIMEOUT + 3


def test_many_stalled_connections_do_not_stop_the_server(server: Server) -> None:
    """Clients that never finish their headers: uvicorn has no header timeout (nginx's
    client_header_timeout is the guard in production), but one event loop serves on."""
    with ExitStack() as stack:
        for n in range(100):
            sock = stack.enter_context(closing(server.connect()))
            half = f"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow-{n}: "
            sock.sendall(half.encode())
        for _ in range(20):
            sock = stack.enter_context(closing(server.connect()))
            sock.sendall(server.request_head("/articles", 100_000))
        latencies = [_timed_get(server) for _ in range(5)] + [_timed_submit(server)]
        assert max(latencies) < 1.5, latencies
    assert _timed_get(server) < 1.0


def test_a_client_gone_mid_body_leaves_nothing_behind(server: Server) -> None:
    before = httpx.get(f"{server.url}/health", timeout=5).json()
    for _ in range(10):
        with closing(server.connect()) as sock:
            sock.sendall(server.request_head("/articles", 4000) + b'{"title": "half')
    assert httpx.get(f"{server.url}/health", timeout=5).json() == before
    log = server.log.read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]


# -- headers and bodies the HTTP parser sees first ---------------------------------------------


@pytest.mark.parametrize(
    ("name", "head"),
    [
        ("huge-header", "X-Big: " + "a" * 200_000 + "\r\n"),
        ("many-headers", "".join(f"X-H{n}: v\r\n" for n in range(5_000))),
        ("two-lengths", "Content-Length: 3\r\n"),
        ("length-and-chunked", "Transfer-Encoding: chunked\r\n"),
        ("negative-length", None),
        ("non-numeric-length", None),
    ],
)
def test_malformed_framing_is_refused_without_a_5xx(
    server: Server, name: str, head: str | None
) -> None:
    lengths = {"negative-length": "-1", "non-numeric-length": "12abc"}
    if head is None:
        raw = server.request_head("/articles", 0).replace(
            b"Content-Length: 0", f"Content-Length: {lengths[name]}".encode()
        )
    else:
        raw = server.request_head("/articles", 2, head) + b"{}"
    with closing(server.connect()) as sock:
        with suppress(OSError):  # refused before we finished sending: fine
            sock.sendall(raw)
        status, reply = _read_response(sock, 5)
    assert status == 0 or 400 <= status < 500, reply[:300]
    assert _timed_get(server) < 1.0


def test_a_huge_url_is_refused(server: Server) -> None:
    with closing(server.connect()) as sock:
        sock.sendall(f"GET /articles/{'9' * 100_000} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        status, reply = _read_response(sock, 5)
    assert status == 0 or 400 <= status < 500, reply[:300]
    assert _timed_get(server) < 1.0


def test_an_oversized_chunked_upload_is_413_on_the_real_server(server: Server) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"title": "'
        for _ in range(64):
            yield b"x" * 16_384
        yield b'"}'

    response = httpx.post(
        f"{server.url}/articles",
        content=chunks(),
        headers={"Authorization": f"Bearer {server.token}", "Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 413, response.text
    assert response.json()["detail"][0]["field"] == "body"


def test_an_oversized_declared_body_to_the_public_endpoint_is_413(server: Server) -> None:
    with closing(server.connect()) as sock:
        sock.sendall(
            b"POST /articles/1/images/0/reports HTTP/1.1\r\nHost: x\r\n"
            b"Content-Length: 10000000000\r\n\r\n"
        )
        status, reply = _read_response(sock, 5)
    assert status == 413, reply[:300]


# -- bodies the app reads: what is not already covered -----------------------------------------


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with serving_api(tmp_path_factory.mktemp("odd")) as running:
        yield running


def test_a_compressed_body_is_not_inflated(api: Api) -> None:
    """No Content-Encoding is honoured, so a gzip bomb is only its compressed bytes."""
    bomb = gzip.compress(b"[" * 5_000_000)
    before = api.counts()
    response = api.client.post(
        "/articles",
        content=bomb,
        headers=api.editor | {"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    assert response.status_code == 400 and response.json()["detail"][0]["field"] == "body"
    assert api.counts() == before


@pytest.mark.parametrize(
    "content_type",
    ["application/json; charset=utf-16", "application/json-patch+json", "text/json", "*/*"],
)
def test_lookalike_json_content_types(api: Api, content_type: str) -> None:
    response = api.client.post(
        "/articles",
        content=json.dumps(SEED_ARTICLE).encode(),
        headers=api.editor | {"Content-Type": content_type},
    )
    assert response.status_code in (202, 400, 415), response.text
    assert response.headers["content-type"].startswith("application/json")


def test_a_body_of_many_unknown_fields_gets_a_short_answer(api: Api) -> None:
    """50,000 unknown keys: refused by shape, and the reply lists 50 of them and a count, so
    a request never buys a reply bigger than itself."""
    many = "{" + ",".join(f'"k{n}": 0' for n in range(50_000)) + "}"
    before = api.counts()
    response = api.client.post(
        "/articles",
        content=many.encode(),
        headers=api.editor | {"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert len(detail) == 51 and detail[-1]["reason"].endswith("more problems not listed")
    assert len(response.content) < len(many) / 10
    assert api.counts() == before


def test_behind_a_proxy_on_this_host_each_reader_has_their_own_report_budget(
    server: Server,
) -> None:
    """uvicorn trusts X-Forwarded-For from 127.0.0.1 (as nginx on the same host, or nginx in
    docker-compose with --forwarded-allow-ips), so the limit counts readers, not the proxy."""

    def report(reader: str, n: int) -> int:
        url = f"{server.url}/articles/{900_000 + n}/images/0/reports"
        headers = {"X-Forwarded-For": reader}
        return httpx.post(url, headers=headers, timeout=5).status_code

    budget = server.settings.report_rate
    # Given one reader behind the proxy who has spent the whole budget (probes count too)
    assert {report("198.51.100.7", n) for n in range(budget)} == {404}
    assert report("198.51.100.7", budget) == 429

    # Then another reader behind the same proxy is not held back
    assert report("198.51.100.8", 0) == 404
