"""Refuse oversized request bodies before they are read into memory, streamed or not, and
bodies that arrive too slowly (uvicorn itself never times out a request being read)."""

from __future__ import annotations

import asyncio
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class _TooLarge(Exception):
    pass


class _TooSlow(Exception):
    pass


class BodySizeLimit:
    """413 with a JSON reason once a body passes the limit, whatever Content-Length claimed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        await _refuse(send, 413, f"request body over {self.max_bytes} bytes")


class BodyDeadline:
    """408 when a request body is not whole within `seconds` of the app asking for it.

    A client that sends its headers and then dribbles (or stalls) the body would otherwise
    hold its request open for ever. Only reads of an unfinished body are timed: once the last
    chunk is in, waiting for a disconnect (as a server-sent event stream does) is left alone.
    """

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline: float | None = None
        complete = False
        started = False

        async def timed_receive() -> Message:
            nonlocal deadline, complete
            if complete:
                return await receive()
            if deadline is None:
                deadline = loop.time() + self.seconds
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise _TooSlow from None
            complete = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, timed_receive, tracking_send)
        except _TooSlow:
            if not started:
                await _refuse(send, 408, f"request body not received within {self.seconds:g} s")


async def _refuse(send: Send, status: int, reason: str) -> None:
    """Answer with a JSON reason and close: the rest of the body is never read."""
    body = json.dumps({"detail": [{"field": "body", "reason": reason}]}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
