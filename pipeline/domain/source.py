"""The `attach_source` step: a clean, safe link back to where the story came from."""

from __future__ import annotations

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
