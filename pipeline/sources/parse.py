"""Fetched feed bytes into items, whatever the format: the one entry point the sources use.

The format is told from the bytes, not the Content-Type, which outlets often get wrong: JSON
(JSON Feed or ninjs) when they open with `{` or `[`, else XML (RSS or Atom). An HTML page or
anything else is refused with a message saying so.
"""

from __future__ import annotations

import codecs
import re

from pipeline.sources.items import FeedError, ParsedFeed
from pipeline.sources.json_document import load_json, obj
from pipeline.sources.jsonfeed import is_json_feed, parse_json_feed
from pipeline.sources.ninjs import is_ninjs, parse_ninjs
from pipeline.sources.syndication import parse_syndication

_HTML_START = re.compile(rb"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.IGNORECASE)
_XML_START = re.compile(rb"<[?!A-Za-z]")


def parse_feed(
    body: bytes, content_type: str | None = None, base_url: str | None = None
) -> ParsedFeed:
    """Parse a feed; relative links and image URLs resolve against `base_url`.

    Raises `FeedError` naming the cause (and the line, where there is one) for a body that is
    empty, undecodable, malformed, hostile (entity declarations, deep nesting) or no feed."""
    start = _start(body)
    if not start:
        raise FeedError("empty response: no feed in it")
    if start[:1] in (b"{", b"["):
        return _parse_json(body, base_url)
    if _HTML_START.match(start):
        raise FeedError("not a feed: the address returned an HTML page, not RSS, Atom or JSON")
    if not _XML_START.match(start):
        shown = start[:20].decode("utf-8", "replace")
        raise FeedError(f"unknown format: neither XML nor JSON (it begins {shown!r})")
    return parse_syndication(body, content_type, base_url)


def _parse_json(body: bytes, base_url: str | None) -> ParsedFeed:
    document = load_json(body)
    if is_json_feed(document):
        return parse_json_feed(obj(document), base_url)
    if is_ninjs(document):
        return parse_ninjs(document, base_url)
    raise FeedError(
        "unknown format: JSON that is neither a JSON Feed (no `version` "
        "https://jsonfeed.org/version/...) nor ninjs (no `uri`, `headlines` or `bodies`)"
    )


def _start(body: bytes) -> bytes:
    """The first bytes after a UTF-8 BOM and whitespace, enough to tell the format."""
    head = body[:4096].removeprefix(codecs.BOM_UTF8)
    for bom, name in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if head.startswith(bom):
            head = head[len(bom) :].decode(name, "ignore").encode("utf-8")
    return head.lstrip()
