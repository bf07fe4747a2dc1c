"""The key that makes one story reached through two feeds of an outlet one article.

Outlets link the same page as http and https, with and without "www.", with a campaign tag per
feed (`?utm_source=sport`) and with or without a final slash; none of that is another story.
"""

from __future__ import annotations

import contextlib
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from pipeline.domain.markup import collapse_whitespace, strip_controls
from pipeline.domain.source import http_url_problem, is_tracking_param

_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def normalise_link(url: str) -> str | None:
    """`url` as a comparison key (`https://host/path?sorted-query`), or None unless it is an
    absolute http(s) URL. Not for showing: the scheme is always https."""
    cleaned = collapse_whitespace(strip_controls(url))
    if http_url_problem(cleaned) is not None:
        return None
    parts = urlsplit(cleaned)
    host = _host(parts.hostname or "")
    port = parts.port
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = quote(unquote(parts.path), safe=_PATH_SAFE).rstrip("/") or "/"
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = urlencode(sorted((k, v) for k, v in pairs if not is_tracking_param(k)), quote_via=quote)
    return f"https://{netloc}{path}" + (f"?{query}" if query else "")


def _host(hostname: str) -> str:
    """Lower-case, ASCII (punycode) for international names, no "www." and no final dot."""
    host = hostname.rstrip(".").lower().removeprefix("www.")
    with contextlib.suppress(UnicodeError):  # a label too long for IDNA stays as it is
        host = host.encode("idna").decode("ascii")
    return f"[{host}]" if ":" in host else host
