"""Security headers on every answer: no MIME sniffing, no full URL sent to other sites, and on
HTML the Content-Security-Policy that lets only the templates' own scripts run."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pipeline.render.policy import content_security_policy

ALWAYS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
]
BROWSABLE_DOCS = ("/docs", "/redoc")
"""FastAPI's own pages load their scripts from a CDN (outside production only): no CSP there."""


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.policy = content_security_policy().encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with_policy = not scope["path"].startswith(BROWSABLE_DOCS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(ALWAYS)
                content_type = dict(headers).get(b"content-type", b"")
                if with_policy and content_type.startswith(b"text/html"):
                    headers.append((b"content-security-policy", self.policy))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
