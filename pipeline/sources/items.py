"""What a fetched feed says, whatever its format: the items an aggregator may republish.

Pure values: the parsers (`pipeline/sources/parse.py`) make them, the sources service turns
each into a submission through the same accept path as `POST /articles`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pipeline.domain.errors import NashrError


class FeedError(NashrError):
    """A feed that cannot be read: the message names the cause (and the line, for XML), as
    operators see it in `nashr sources list`."""


@dataclass(frozen=True)
class FeedImage:
    url: str
    caption: str = ""


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed, as the outlet gave it: HTML not yet sanitised."""

    title: str
    guid: str | None
    """The outlet's own id (RSS guid, Atom id, JSON Feed id, ninjs uri), or None."""
    link: str | None
    """Where readers read it at the outlet (absolute http(s)), or None."""
    content_html: str = ""
    """The full text (content:encoded, Atom content, content_html, ninjs body_html)."""
    summary_html: str = ""
    """The excerpt (description, summary, ninjs description_html)."""
    published_at: datetime | None = None
    """Aware, in UTC."""
    updated_at: datetime | None = None
    author: str | None = None
    categories: tuple[str, ...] = ()
    images: tuple[FeedImage, ...] = field(default_factory=tuple)
    canceled: bool = False
    """ninjs `pubstatus: canceled`: the outlet withdrew it, so nashr takes it down."""


@dataclass(frozen=True)
class ParsedFeed:
    format: str
    """e.g. "rss20", "rss10", "rss091u", "atom10", "json1.1", "ninjs"."""
    title: str | None
    items: tuple[FeedItem, ...]
