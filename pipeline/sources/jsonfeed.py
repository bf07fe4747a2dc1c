"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1) items.

A few dozen lines over the standard library: the format is a documented JSON object, and
feedparser 6 does not read it.
"""

from __future__ import annotations

import html

from pipeline.sources.content_images import content_images
from pipeline.sources.fields import (
    ImageList,
    absolute_http,
    categories,
    looks_like_image,
    plain,
    rfc3339_moment,
    text_as_html,
)
from pipeline.sources.items import FeedError, FeedImage, FeedItem, ParsedFeed
from pipeline.sources.json_document import JsonObject, obj, objects, text

VERSION_PREFIX = "https://jsonfeed.org/version/"


def is_json_feed(document: object) -> bool:
    """An object whose `version` names a JSON Feed version."""
    version = text(obj(document).get("version")) or ""
    return version.startswith(VERSION_PREFIX)


def parse_json_feed(document: JsonObject, base_url: str | None = None) -> ParsedFeed:
    """Read a JSON Feed object; relative URLs resolve against its `feed_url`, else `base_url`."""
    version = (text(document.get("version")) or "").removeprefix(VERSION_PREFIX)
    if not isinstance(document.get("items"), list):
        raise FeedError("JSON Feed without an `items` array")
    base = absolute_http(text(document.get("feed_url")), base_url) or base_url
    items = tuple(_item(entry, base) for entry in objects(document.get("items")))
    name = "json1.1" if version == "1.1" else "json1.0" if version == "1" else f"json{version}"
    return ParsedFeed(format=name, title=plain(text(document.get("title"))) or None, items=items)


def _item(entry: JsonObject, base_url: str | None) -> FeedItem:
    content = text(entry.get("content_html")) or text_as_html(text(entry.get("content_text")) or "")
    summary = text(entry.get("summary"))
    return FeedItem(
        title=plain(text(entry.get("title"))),
        guid=text(entry.get("id")) or None,
        link=absolute_http(text(entry.get("url")), base_url),
        content_html=content,
        summary_html=html.escape(summary, quote=False) if summary else "",
        published_at=rfc3339_moment(entry.get("date_published")),
        updated_at=rfc3339_moment(entry.get("date_modified")),
        author=_author(entry),
        categories=categories(text(tag) for tag in _list(entry.get("tags"))),
        images=_images(entry, content, base_url),
    )


def _author(entry: JsonObject) -> str | None:
    """1.1's `authors` array, else 1.0's single `author` object."""
    people = objects(entry.get("authors")) or [obj(entry.get("author"))]
    names = [plain(text(person.get("name"))) for person in people]
    return "، ".join(name for name in names if name) or None


def _images(entry: JsonObject, content: str, base_url: str | None) -> tuple[FeedImage, ...]:
    images = ImageList(base_url)
    images.add(text(entry.get("image")))
    for attachment in objects(entry.get("attachments")):
        url = text(attachment.get("url")) or ""
        if url and looks_like_image(url, text(attachment.get("mime_type"))):
            images.add(url, text(attachment.get("title")))
    images.add(text(entry.get("banner_image")))
    if not images:
        for src, caption in content_images(content)[:1]:
            images.add(src, caption)
    return images.images()


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []
