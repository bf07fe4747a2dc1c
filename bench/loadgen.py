"""A lean open-loop HTTP/1.1 load generator on loopback: raw asyncio streams, keep-alive.

httpx costs a benchmark client several times the CPU of the request it sends, and on two cores
that CPU is taken from the server being measured. This client writes each request's bytes
itself and reads only the status line and the body its Content-Length announces.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import urlsplit


def request_bytes(host: str, path: str, token: str, body: dict[str, Any]) -> bytes:
    payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode("ascii") + payload


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> int:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:].strip())
    if length:
        await reader.readexactly(length)
    return status


async def open_loop(
    base: str, requests: list[bytes], rate: float, max_connections: int = 128
) -> tuple[list[float], int]:
    """Send `requests` at `rate` a second, each due at its own moment; its latency counts
    from that moment (a slow answer delays the ones behind it, and shows). Returns the
    latencies in ms and how many answers were not 202."""
    parts = urlsplit(base)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    opened = 0
    latencies: list[float] = []
    failures = 0

    async def connection() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        nonlocal opened
        if idle.empty() and opened < max_connections:
            opened += 1
            return await asyncio.open_connection(host, port)
        return await idle.get()

    async def one(request: bytes, due: float) -> None:
        nonlocal failures
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        reader, writer = await connection()
        try:
            status = await _exchange(reader, writer, request)
            idle.put_nowait((reader, writer))
        except (OSError, asyncio.IncompleteReadError, ValueError):
            status = 0
            writer.close()
            nonlocal opened
            opened -= 1
        failures += status != 202
        latencies.append((time.monotonic() - due) * 1000)

    start = time.monotonic() + 0.2
    await asyncio.gather(*(one(r, start + i / rate) for i, r in enumerate(requests)))
    while not idle.empty():
        _, writer = idle.get_nowait()
        writer.close()
    return latencies, failures


async def closed_loop(base: str, requests: list[bytes], seconds: float, connections: int) -> float:
    """Answers per second with `connections` clients sending back to back."""
    parts = urlsplit(base)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    done = 0
    deadline = time.monotonic() + seconds

    async def client(offset: int) -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection(host, port)
        index = offset
        try:
            while time.monotonic() < deadline:
                await _exchange(reader, writer, requests[index % len(requests)])
                done += 1
                index += connections
        finally:
            writer.close()

    started = time.monotonic()
    await asyncio.gather(*(client(i) for i in range(connections)))
    return done / (time.monotonic() - started)


async def _exchange_body(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:].strip())
    return status, await reader.readexactly(length) if length else b""


async def submit_each(
    base: str, token: str, articles: list[dict[str, Any]], connections: int = 8
) -> list[int]:
    """POST every article from `connections` keep-alive connections at once; the ids, in order."""
    parts = urlsplit(base)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    ids: list[int] = [0] * len(articles)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(len(articles)):
        queue.put_nowait(index)

    async def client() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while not queue.empty():
                index = queue.get_nowait()
                request = request_bytes(f"{host}:{port}", "/articles", token, articles[index])
                status, body = await _exchange_body(reader, writer, request)
                if status != 202:
                    raise RuntimeError(f"POST /articles answered {status}: {body[:300]!r}")
                ids[index] = int(json.loads(body)["id"])
        finally:
            writer.close()

    await asyncio.gather(*(client() for _ in range(connections)))
    return ids
