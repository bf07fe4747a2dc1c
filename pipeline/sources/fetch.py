"""Fetching one outlet's feed over HTTP: politely (conditional GET, gzip, a named User-Agent)
and safely (checked addresses, a total deadline, a byte limit after decompression).

Each hop's host is resolved here, checked against the `AddressPolicy`, and the request is
sent to the checked address itself (the URL's host replaced by the IP, the name kept in the
Host header and, for https, in SNI and certificate checks), so a second DNS answer cannot
steer the connection elsewhere. The client is built without proxies from the environment for
the same reason. Every request says `Connection: close`: a pooled connection is keyed by the
address alone, so one verified for one name must not carry a request for another.
"""

from __future__ import annotations

import functools
import queue
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from time import monotonic
from typing import Any

import certifi
import httpx

from pipeline.sources.addresses import (
    AddressPolicy,
    AddressRefused,
    IPAddress,
    LookupFailed,
    allowed_addresses,
    ip_literal,
)
from pipeline.sources.fetch_limits import BoundedBody, Deadline, FetchFailed, too_large
from pipeline.sources.items import FeedError

__all__ = ["ACCEPT", "FetchFailed", "Fetched", "fetch_feed"]

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.9, */*;q=0.5"
)
REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class Fetched:
    """A feed as fetched: 200 with its body, or 304 (unchanged) with an empty one."""

    status: int
    body: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None
    """Validators to send next time; a 304 keeps the ones sent unless the server gave new."""
    final_url: str
    """Where the feed was found after redirects (the host's name, not its address)."""
    elapsed: float
    """Seconds, from the first DNS lookup to the last byte."""


def fetch_feed(
    url: str,
    *,
    etag: str | None,
    last_modified: str | None,
    user_agent: str,
    policy: AddressPolicy,
    timeout: float = 20.0,
    max_redirects: int = 5,
    max_bytes: int = 5_000_000,
    client: httpx.Client | None = None,
) -> Fetched:
    """GET `url` within `timeout` seconds in all, following at most `max_redirects` redirects
    and reading at most `max_bytes` decoded bytes; raises `FetchFailed`."""
    started = monotonic()
    headers = {
        "User-Agent": user_agent,
        "Accept": ACCEPT,
        "Accept-Encoding": "gzip",
        "Connection": "close",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    http = client or httpx.Client(trust_env=False, follow_redirects=False, verify=_tls_context())
    deadline = Deadline(timeout)
    try:
        current = _http_url(url)
        for hop in range(max_redirects + 1):
            response = _send(http, current, headers, policy, deadline, redirected=hop > 0)
            try:
                status = response.status_code
                if status in REDIRECTS:
                    current = _redirect_target(response, current)
                    continue
                if status == 304:
                    deadline.check()
                    return Fetched(
                        304,
                        b"",
                        response.headers.get("Content-Type"),
                        response.headers.get("ETag", etag),
                        response.headers.get("Last-Modified", last_modified),
                        str(current),
                        monotonic() - started,
                    )
                if status != 200:
                    raise FetchFailed("http", _status_line(response), status=status)
                body = _read_body(response, max_bytes, deadline, current.host)
                return Fetched(
                    200,
                    body,
                    response.headers.get("Content-Type"),
                    response.headers.get("ETag"),
                    response.headers.get("Last-Modified"),
                    str(current),
                    monotonic() - started,
                )
            finally:
                response.close()
        raise FetchFailed("redirects", f"more than {max_redirects} redirects")
    finally:
        deadline.close()
        if client is None:
            http.close()


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One verifying context per process: building one loads the CA bundle, which cost more
    CPU than the rest of a fetch. Connections still verify each host's own name."""
    return ssl.create_default_context(cafile=certifi.where())


def _http_url(raw: str, base: httpx.URL | None = None) -> httpx.URL:
    """`raw` (joined to `base`, for a redirect's Location) if it is an http(s) URL with a host."""
    try:
        url = base.join(raw) if base is not None else httpx.URL(raw)
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        raise _bad_url(raw, base, f"not a URL ({exc})") from None
    if url.scheme not in ("http", "https"):
        raise _bad_url(raw, base, "not http(s)")
    if not url.host:
        raise _bad_url(raw, base, "no host")
    return url


def _bad_url(raw: str, base: httpx.URL | None, why: str) -> FetchFailed:
    if base is None:
        return FetchFailed("invalid", f"{why}: {raw}")
    return FetchFailed("refused", f"redirect to {raw} refused: {why}")


def _redirect_target(response: httpx.Response, current: httpx.URL) -> httpx.URL:
    location = response.headers.get("Location")
    if not location:
        status = response.status_code
        raise FetchFailed("http", f"{_status_line(response)} without a Location", status=status)
    return _http_url(location, current)


def _status_line(response: httpx.Response) -> str:
    try:
        phrase = HTTPStatus(response.status_code).phrase
    except ValueError:
        phrase = response.reason_phrase
    return f"HTTP {response.status_code} {phrase}".rstrip()


def _send(
    http: httpx.Client,
    url: httpx.URL,
    headers: dict[str, str],
    policy: AddressPolicy,
    deadline: Deadline,
    *,
    redirected: bool,
) -> httpx.Response:
    """Send the request to the first of the host's checked addresses that accepts a
    connection; the response's headers are read, its body not yet."""
    host = url.raw_host.decode("ascii")
    addresses = _checked_addresses(
        host, url.port or (443 if url.scheme == "https" else 80), policy, deadline, redirected
    )
    for index, address in enumerate(addresses):
        request = _pinned_request(http, url, headers, address, deadline)
        try:
            with _transport_errors(deadline, host):
                response = http.send(request, stream=True, follow_redirects=False)
        except FetchFailed as failed:
            if failed.kind != "connect" or index == len(addresses) - 1:
                raise
            continue
        deadline.watch(response.extensions.get("network_stream"))
        return response
    raise AssertionError("unreachable: allowed_addresses never returns an empty list")


def _checked_addresses(
    host: str, port: int, policy: AddressPolicy, deadline: Deadline, redirected: bool
) -> list[IPAddress]:
    """The host's addresses once all pass the policy; the lookup counts against the deadline
    (a resolver that never answers would otherwise hold the fetch for its own timeouts)."""
    answer: queue.SimpleQueue[list[IPAddress] | FeedError] = queue.SimpleQueue()

    def lookup() -> None:
        try:
            answer.put(allowed_addresses(host, port, policy))
        except FeedError as exc:
            answer.put(exc)

    if ip_literal(host) is not None:
        lookup()
    else:
        threading.Thread(target=lookup, name=f"resolve {host}", daemon=True).start()
    try:
        result = answer.get(timeout=deadline.left())
    except queue.Empty:
        raise deadline.failure() from None
    if isinstance(result, AddressRefused):
        prefix = "redirect to " if redirected else ""
        raise FetchFailed("refused", f"{prefix}{result}") from None
    if isinstance(result, LookupFailed):
        raise FetchFailed("dns", str(result)) from None
    if isinstance(result, FeedError):
        raise result
    return result


def _pinned_request(
    http: httpx.Client,
    url: httpx.URL,
    headers: dict[str, str],
    address: IPAddress,
    deadline: Deadline,
) -> httpx.Request:
    """A request for `url` that connects to `address`, whatever DNS says by then."""
    extensions: dict[str, Any] = {"trace": deadline.trace}
    pinned = dict(headers)
    target = url
    if ip_literal(url.host) is None:
        target = url.copy_with(host=str(address))
        pinned["Host"] = url.netloc.decode("ascii")
        if url.scheme == "https":
            extensions["sni_hostname"] = url.raw_host.decode("ascii")
    return http.build_request(
        "GET", target, headers=pinned, extensions=extensions, timeout=deadline.left()
    )


@contextmanager
def _transport_errors(deadline: Deadline, host: str) -> Iterator[None]:
    """httpx's errors as `FetchFailed`; any error once the deadline has passed is the timeout
    (shutting the socket down is how the deadline ends a read)."""
    try:
        yield
    except FetchFailed:
        raise
    except httpx.TimeoutException:
        raise deadline.failure() from None
    except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
        if deadline.expired:
            raise deadline.failure() from None
        raise _failure(exc, host) from None


def _failure(exc: Exception, host: str) -> FetchFailed:
    detail = str(exc) or type(exc).__name__
    if _caused_by_tls(exc):
        return FetchFailed("tls", f"TLS with {host} failed: {detail}")
    if isinstance(exc, httpx.ConnectError | httpx.ProxyError):
        return FetchFailed("connect", f"cannot connect to {host}: {detail}")
    if isinstance(exc, httpx.LocalProtocolError | httpx.UnsupportedProtocol | httpx.InvalidURL):
        return FetchFailed("invalid", f"cannot request {host}: {detail}")
    if isinstance(exc, httpx.RemoteProtocolError) and "closed" not in detail:
        return FetchFailed("invalid", f"not a valid HTTP response from {host}: {detail}")
    return FetchFailed("connect", f"connection to {host} lost: {detail}")


def _caused_by_tls(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLError | ssl.CertificateError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _read_body(response: httpx.Response, max_bytes: int, deadline: Deadline, host: str) -> bytes:
    """The decoded body, refused as soon as it (or what came over the wire) passes
    `max_bytes`: a Content-Length over it is refused before reading, and a gzip body is
    inflated no further than the limit."""
    declared = response.headers.get("Content-Length", "").strip()
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large(max_bytes, f"Content-Length says {int(declared):,}")
    body = BoundedBody(response.headers.get("Content-Encoding"), max_bytes)
    received = 0
    try:
        with _transport_errors(deadline, host):
            for chunk in response.iter_raw():
                received += len(chunk)
                if received > max_bytes:
                    raise too_large(max_bytes)
                body.feed(chunk)
                deadline.check()
    except FetchFailed as failed:
        if failed.kind != "connect":
            raise
        raise FetchFailed(
            "connect", f"connection to {host} closed mid-body after {received:,} bytes"
        ) from None
    deadline.check()
    return body.finish()
