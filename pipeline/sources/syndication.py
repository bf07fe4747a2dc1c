"""RSS 0.9x, RSS 1.0, RSS 2.0 and Atom 1.0 items, read by feedparser from a checked document.

feedparser knows the dialects (WordPress's `content:encoded` and `dc:creator`, Atom's text
constructs, a dozen date formats) and resolves relative links. It is only ever handed a
stream, never a string: given bytes or a string it would try them as a file name or a URL.
"""

from __future__ import annotations

import io
from typing import Any

import feedparser

from pipeline.sources.content_images import content_images
from pipeline.sources.fields import (
    ImageList,
    absolute_http,
    categories,
    looks_like_image,
    plain,
    struct_moment,
)
from pipeline.sources.items import FeedError, FeedImage, FeedItem, ParsedFeed
from pipeline.sources.media_rss import media_images
from pipeline.sources.xml_document import checked_xml


def parse_syndication(
    body: bytes, content_type: str | None = None, base_url: str | None = None
) -> ParsedFeed:
    """Read an RSS or Atom feed; `FeedError` for XML that is unsafe, broken or not a feed."""
    document, root = checked_xml(body, content_type)
    headers = {"content-type": "application/xml; charset=utf-8"}
    if base_url:
        headers["content-location"] = base_url
    parsed = feedparser.parse(
        io.BytesIO(document),
        response_headers=headers,
        resolve_relative_uris=True,
        sanitize_html=True,
    )
    version = str(parsed.get("version") or "")
    if not version and _local(root.tag).lower() == "html":
        raise FeedError("not a feed: the address returned an HTML page, not RSS, Atom or JSON")
    if not version:
        raise FeedError(
            f"unknown format: XML whose root element <{_local(root.tag)}> is not RSS or Atom"
        )
    media = media_images(root)
    if len(media) != len(parsed.entries):
        media = [[] for _ in parsed.entries]
    items = tuple(
        _item(entry, pictures, base_url)
        for entry, pictures in zip(parsed.entries, media, strict=True)
    )
    title = plain(parsed.feed.get("title")) or None
    return ParsedFeed(format=version, title=title, items=items)


def _item(entry: Any, pictures: list[tuple[str, str]], base_url: str | None) -> FeedItem:
    content = _content(entry)
    summary = str(entry.get("summary") or "")
    # dict.get: feedparser's own `get` answers `updated_parsed` with `published_parsed`.
    published = struct_moment(dict.get(entry, "published_parsed"))
    updated = struct_moment(dict.get(entry, "updated_parsed"))
    return FeedItem(
        title=plain(entry.get("title")),
        guid=plain(entry.get("id")) or None,
        link=absolute_http(entry.get("link"), base_url),
        content_html=content,
        summary_html="" if summary == content else summary,
        published_at=published or updated,
        updated_at=updated,
        author=_author(entry),
        categories=categories(tag.get("term") or tag.get("label") for tag in _tags(entry)),
        images=_images(entry, pictures, content or summary, base_url),
    )


def _content(entry: Any) -> str:
    """The fullest HTML body: the first `text/html` content, else any content."""
    contents = [c for c in entry.get("content") or [] if c.get("value")]
    for content in contents:
        if "html" in str(content.get("type") or ""):
            return str(content["value"])
    return str(contents[0]["value"]) if contents else ""


def _author(entry: Any) -> str | None:
    detail = entry.get("author_detail") or {}
    return plain(detail.get("name") or entry.get("author")) or None


def _tags(entry: Any) -> list[Any]:
    return list(entry.get("tags") or [])


def _images(
    entry: Any, pictures: list[tuple[str, str]], html_text: str, base_url: str | None
) -> tuple[FeedImage, ...]:
    """Enclosures, then Media RSS, then the first picture in the text."""
    images = ImageList(base_url)
    captions = dict(pictures)
    for enclosure in entry.get("enclosures") or []:
        url = str(enclosure.get("href") or "")
        if url and looks_like_image(url, enclosure.get("type")):
            images.add(url, captions.get(url))
    for url, caption in pictures:
        images.add(url, caption)
    if not images:
        for src, caption in content_images(html_text)[:1]:
            images.add(src, caption)
    return images.images()


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
