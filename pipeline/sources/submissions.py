"""A feed item as nashr submits it: the same `Submission` an editor posts to `POST /articles`.

Pure. The item's HTML goes in as the body, in nashr's paragraph form; the validate step
sanitises it like any editor's. The keys that make each item submitted once are made here too:
the source's name with the item's GUID (or its normalised link), and a digest of what readers
would see, so an unchanged item is recognised and a changed one becomes a new version.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from pipeline.domain.markup import plain_text
from pipeline.domain.models import MAX_IMAGES, ImageIn, Submission
from pipeline.domain.source import http_url_problem, internal_host_problem
from pipeline.domain.sources import SourceSpec
from pipeline.sources.items import FeedItem
from pipeline.sources.links import normalise_link
from pipeline.sources.paragraphs import body_from_html

MAX_TITLE_CHARS = 200
MAX_EXTERNAL_ID = 200
EXCERPT_WORDS = 60
"""An excerpt-only source with no summary gives this many words of its text."""
MAX_ITEM_TAGS = 5
PLACEHOLDER_CATEGORIES = frozenset({"uncategorized", "uncategorised", "غير مصنف", "عام", "general"})
"""Categories blogging tools give an item nobody filed: not tags anyone would follow."""


@dataclass(frozen=True)
class ItemIdentity:
    external_id: str
    guid_key: str
    """A digest of the GUID (or of the normalised link when there is none)."""
    link_key: str | None
    """A digest of the normalised link: one story in two feeds of one outlet is one article."""


def identify(item: FeedItem, source: str) -> ItemIdentity | None:
    """None when the item has neither a GUID nor a usable link: nothing could tell it apart
    from itself on the next fetch, so it is never submitted."""
    link = normalise_link(item.link) if item.link else None
    guid = (item.guid or "").strip() or None
    own = guid if guid is not None else (f"link:{link}" if link else None)
    if own is None:
        return None
    external_id = f"{source}:{own}"
    if len(external_id) > MAX_EXTERNAL_ID or not external_id.isprintable():
        external_id = f"{source}:sha256:{_digest(own)}"
    return ItemIdentity(
        external_id=external_id,
        guid_key=_digest(own),
        link_key=_digest(link) if link else None,
    )


def submission_for(
    item: FeedItem,
    spec: SourceSpec,
    external_id: str,
    now: datetime,
    max_body_bytes: int = 200_000,
) -> Submission | None:
    """The submission for `item`, or None when it carries no text at all."""
    full = body_from_html(item.content_html) if item.content_html else ""
    summary = body_from_html(item.summary_html) if item.summary_html else ""
    body = _excerpt(summary or full) if spec.excerpt_only else (full or summary)
    title = _title(item.title) or _title(plain_text(body))
    if not title:
        return None
    body = _fit(body or title, max_body_bytes)
    published = item.published_at or item.updated_at
    return Submission(
        title=title,
        body=body,
        source_url=_source_url(item, spec),
        source_name=spec.name,
        tags=_tags(item, spec),
        section=spec.section,
        images=[
            ImageIn(url=image.url, caption=plain_text(image.caption)[:1000])
            for image in item.images
            if _usable_image(image.url)
        ][:MAX_IMAGES],
        external_id=external_id,
        source_published_at=min(published.astimezone(UTC), now) if published else None,
    )


def content_hash(submission: Submission, canceled: bool = False) -> str:
    """What readers would see change: title, text and pictures (and the outlet's withdrawal),
    not the source's settings."""
    seen = "\x1f".join(
        [submission.title, submission.body, *(i.url for i in submission.images), str(canceled)]
    )
    return _digest(seen)


def raw_item_hash(item: FeedItem, excerpt_only: bool) -> str:
    """The item as the feed gave it: the same again means nothing to read, whatever its HTML."""
    parts = [
        item.title,
        item.content_html if not excerpt_only else "",
        item.summary_html,
        item.link or "",
        *(f"{image.url}\x1e{image.caption}" for image in item.images),
        *item.categories,
        str(item.canceled),
        str(excerpt_only),
    ]
    return _digest("\x1f".join(parts))


def empty_item_hash(item: FeedItem) -> str:
    """An item with no text, keyed by what it does have, so it is not read as changed."""
    return _digest(f"{item.title}\x1f{item.link}\x1f{item.canceled}")


def _title(raw: str) -> str:
    text = plain_text(raw)
    if len(text) <= MAX_TITLE_CHARS:
        return text
    cut = text[: MAX_TITLE_CHARS - 1].rsplit(" ", 1)[0]
    return cut + "…"


def _excerpt(body: str) -> str:
    """The summary as the outlet gave it; a long one (or the text itself) cut to its first
    words, so an excerpt-only source never carries the full text."""
    first = body.split("\n\n", 1)[0] if body else ""
    words = first.split()
    if len(words) <= EXCERPT_WORDS:
        return first
    return " ".join(plain_text(first).split()[:EXCERPT_WORDS]) + " …"


def _fit(body: str, max_bytes: int) -> str:
    """Whole paragraphs up to the body limit: a long item loses its tail, not its place."""
    if len(body.encode("utf-8")) <= max_bytes:
        return body
    kept: list[str] = []
    size = 0
    for paragraph in body.split("\n\n"):
        size += len(paragraph.encode("utf-8")) + 2
        if size > max_bytes:
            break
        kept.append(paragraph)
    return "\n\n".join(kept) or plain_text(body)[: max_bytes // 4]


def _usable_image(url: str) -> bool:
    """An image the validate step would refuse (not http(s), or on an internal address) is
    left out, rather than costing readers the whole story."""
    return len(url) <= 2048 and (http_url_problem(url) or internal_host_problem(url)) is None


def _source_url(item: FeedItem, spec: SourceSpec) -> str:
    for candidate in (item.link, item.guid):
        if candidate and len(candidate) <= 2048 and http_url_problem(candidate) is None:
            return candidate
    return spec.url


def _tags(item: FeedItem, spec: SourceSpec) -> list[str]:
    tags = list(spec.tags)
    for category in item.categories:
        label = plain_text(category)
        usable = label and len(label) <= 100 and label.casefold() not in PLACEHOLDER_CATEGORIES
        if usable and label not in tags:
            tags.append(label)
        if len(tags) >= len(spec.tags) + MAX_ITEM_TAGS:
            break
    return tags


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()
