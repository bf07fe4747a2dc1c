"""The `attach_source` step: a clean, safe link back to where the story came from."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import SplitResult, unquote_plus, urlsplit, urlunsplit

from pipeline.domain.errors import ArticleRejected
from pipeline.domain.markup import strip_controls
from pipeline.domain.models import CleanArticle, SourceLink

TRACKING_PREFIXES = ("utm_", "hsa_", "mtm_")
"""Parameter-name prefixes of analytics campaigns (Google Analytics, HubSpot ads, Matomo)."""

TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid"}
    | {"ttclid", "li_fat_id", "igshid", "igsh", "mc_cid", "mc_eid", "_ga", "_gl", "ref_src"}
    | {"ref_url", "xtor", "mkt_tok", "_hsenc", "_hsmi", "__hstc", "__hssc", "__hsfp"}
    | {"oly_anon_id", "oly_enc_id", "vero_id", "vero_conv", "rb_clickid", "s_cid", "ncid"}
    | {"at_medium", "at_campaign", "pk_campaign", "pk_kwd", "pk_source", "pk_medium"}
)
"""Click identifiers and campaign tags that say who sent the reader, never what to show them."""

# Never valid unencoded in a URL, and each a way to make a link mean two things.
_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f\\<>\"`]")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def attach_source(article: CleanArticle) -> SourceLink:
    """Link the article to its source, tracking removed, labelled and `rel`-ed for readers."""
    return SourceLink(url=clean_source_url(article.source_url), name=article.source_name)


def clean_source_url(url: str) -> str:
    """Return `url` without tracking parameters, its scheme and host lower-cased.

    Other query parameters keep their order and exact spelling. The fragment is kept (it can
    point at the paragraph cited) unless it carries only tracking parameters, as in
    `#utm_source=x`; tracking pieces are dropped from it as from the query. Default ports go.
    Raises `ArticleRejected` unless the URL is absolute http(s) with a host.
    """
    url = strip_controls(url).strip()
    problem = http_url_problem(url)
    if problem is not None:
        raise ArticleRejected([f"source_url: {problem}"])
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return urlunsplit(
        (scheme, _netloc(parts, scheme), parts.path, _drop_tracking(parts.query), _fragment(parts))
    )


def http_url_problem(url: str) -> str | None:
    """Say what makes `url` unfit as a link readers follow, or None when it is absolute http(s)."""
    if _FORBIDDEN.search(url):
        return "must not contain spaces, control characters, quotes, angle brackets or backslashes"
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError on a port that is not a number or out of range
    except ValueError:
        return "must be a well-formed URL"
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.netloc:
        return "must be an absolute http or https URL"
    if parts.username is not None or parts.password is not None:
        return "must not contain a user name or password"
    if not parts.hostname:
        return "must have a host"
    return None


def internal_host_problem(url: str) -> str | None:
    """Say why `url` points inside a network (loopback, private, link-local, the metadata
    service) rather than at the public web; None when it does not, as far as its text tells.

    Readers' browsers would load such an image from their own network (a router's admin page,
    a cloud's 169.254.169.254). A public name that resolves to a private address cannot be
    told from the text; nashr never fetches these URLs itself."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return "must point to a public host, not a local name"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return _numeric_host_problem(host)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if not address.is_global:
        return "must point to a public address, not a loopback, private or link-local one"
    return None


def _numeric_host_problem(host: str) -> str | None:
    """Browsers read `2130706433` or `0x7f.1` as 127.0.0.1: a host of digits is refused."""
    if host and all(part.isdigit() or part.startswith("0x") for part in host.split(".")):
        return "must point to a public host, not a numeric address in another notation"
    return None


def is_tracking_param(name: str) -> bool:
    """True for a query parameter name that only identifies a campaign or a click."""
    key = unquote_plus(name).strip().lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def _drop_tracking(query: str) -> str:
    """Drop tracking pieces of an `&`-separated query, keeping the rest byte for byte in order."""
    kept = [p for p in query.split("&") if p and not is_tracking_param(p.split("=", 1)[0])]
    return "&".join(kept)


def _fragment(parts: SplitResult) -> str:
    """Keep an anchor; strip tracking pieces from a query-like fragment (`#utm_source=x&a=1`)."""
    if "=" not in parts.fragment:
        return parts.fragment
    return _drop_tracking(parts.fragment)


def _netloc(parts: SplitResult, scheme: str) -> str:
    """Rebuild the host part lower-cased (IDN hosts stay in Unicode) without a default port."""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return host
    return f"{host}:{port}"
