"""What every feed format shares in making a `FeedItem`: plain titles, absolute links, UTC
moments and a bounded image list."""

from __future__ import annotations

import calendar
import html
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urljoin

from pipeline.domain.markup import collapse_whitespace, plain_text, strip_controls
from pipeline.domain.moments import as_utc
from pipeline.domain.source import http_url_problem
from pipeline.sources.items import FeedImage

MAX_IMAGES = 20
"""More than this is a gallery dump, not pictures of one story."""

_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif")


def plain(text: str | None) -> str:
    """The text a reader would see: tags and scripts gone, entities decoded, controls out."""
    return plain_text(text) if text else ""


def absolute_http(url: str | None, base_url: str | None = None) -> str | None:
    """`url` resolved against `base_url`, if the result is absolute http(s); else None."""
    if not url:
        return None
    cleaned = collapse_whitespace(strip_controls(url)).replace(" ", "%20")
    if base_url:
        try:
            cleaned = urljoin(base_url, cleaned)
        except ValueError:  # a malformed IPv6 host in either
            return None
    return cleaned if http_url_problem(cleaned) is None else None


def rfc3339_moment(text: object) -> datetime | None:
    """An RFC 3339 timestamp (JSON Feed, ninjs) in UTC; a moment without offset is taken as
    UTC; anything unreadable is None rather than a guess."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        return as_utc(datetime.fromisoformat(text.strip()))
    except (ValueError, OverflowError):
        return None


def struct_moment(parsed: time.struct_time | None) -> datetime | None:
    """feedparser's UTC `struct_time` as an aware datetime."""
    if parsed is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    except (ValueError, OverflowError, OSError):
        return None


def categories(names: Iterable[str | None]) -> tuple[str, ...]:
    """Plain-text category names, blanks and repeats dropped, in the feed's order."""
    seen: list[str] = []
    for name in names:
        text = plain(name)
        if text and text not in seen:
            seen.append(text)
    return tuple(seen)


def text_as_html(text: str) -> str:
    """Plain text (JSON Feed `content_text`, a ninjs text body) as HTML, one `<p>` a line."""
    lines = [line.strip() for line in strip_controls(text).split("\n")]
    return "".join(f"<p>{html.escape(line, quote=False)}</p>" for line in lines if line)


def looks_like_image(url: str, media_type: str | None) -> bool:
    """An image by its declared type, or by its file name when no type is given."""
    if media_type:
        return media_type.strip().lower().startswith("image/")
    return url.lower().split("?", 1)[0].endswith(_IMAGE_SUFFIXES)


class ImageList:
    """Images in the order of preference they were offered, each URL once, at most 20.

    A repeat offered with a caption gives its caption to the first copy when that had none."""

    def __init__(self, base_url: str | None = None) -> None:
        self._base_url = base_url
        self._images: list[FeedImage] = []

    def add(self, url: str | None, caption: str | None = None) -> None:
        absolute = absolute_http(url, self._base_url)
        if absolute is None:
            return
        text = plain(caption)
        for index, image in enumerate(self._images):
            if image.url == absolute:
                if text and not image.caption:
                    self._images[index] = FeedImage(url=absolute, caption=text)
                return
        if len(self._images) < MAX_IMAGES:
            self._images.append(FeedImage(url=absolute, caption=text))

    def __bool__(self) -> bool:
        return bool(self._images)

    def images(self) -> tuple[FeedImage, ...]:
        return tuple(self._images)
