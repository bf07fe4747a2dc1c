"""IPTC ninjs items (News in JSON), in the 2.x shape and the older 1.x one.

2.x: `headlines`, `bodies`, `descriptions` are arrays of `{role, contenttype, value}`,
`associations` and `renditions` arrays of named objects, `by` the byline. 1.x: `headline`,
`body_html`/`body_text`, `description_html`/`description_text`, `byline`, and `associations`
and `renditions` objects keyed by name. `uri` identifies the item; it is the reader's link
only when it is an http(s) URL, as the outlets that publish ninjs on the web make it.
"""

from __future__ import annotations

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
from pipeline.sources.items import FeedImage, FeedItem, ParsedFeed
from pipeline.sources.json_document import JsonObject, obj, objects, text

_ITEM_KEYS = frozenset({"uri", "headlines", "headline", "bodies", "body_html", "body_text"})
_PICTURE_TYPES = frozenset({"picture", "graphic"})


def is_ninjs(document: object) -> bool:
    """One ninjs item, or a non-empty list of them."""
    if isinstance(document, list):
        return bool(document) and all(_is_item(member) for member in document)
    return _is_item(document)


def parse_ninjs(document: object, base_url: str | None = None) -> ParsedFeed:
    """Read one ninjs item or a list of them; the format has no feed-level title."""
    members = objects(document) if isinstance(document, list) else [obj(document)]
    items = tuple(_item(member, base_url) for member in members)
    return ParsedFeed(format="ninjs", title=None, items=items)


def _is_item(value: object) -> bool:
    return isinstance(value, dict) and bool(_ITEM_KEYS & value.keys())


def _item(item: JsonObject, base_url: str | None) -> FeedItem:
    content = _html(item, "bodies", "body")
    uri = text(item.get("uri"))
    first = rfc3339_moment(item.get("firstcreated"))
    version = rfc3339_moment(item.get("versioncreated"))
    return FeedItem(
        title=plain(_valued(item.get("headlines"), "main") or text(item.get("headline"))),
        guid=uri or None,
        link=absolute_http(uri, base_url),
        content_html=content,
        summary_html=_html(item, "descriptions", "description"),
        published_at=first or version,
        updated_at=version,
        author=plain(text(item.get("by")) or text(item.get("byline"))) or None,
        categories=categories(text(subject.get("name")) for subject in _subjects(item)),
        images=_images(item, content, base_url),
        canceled=text(item.get("pubstatus")) == "canceled",
    )


def _html(item: JsonObject, array: str, prefix: str) -> str:
    """The HTML of a 2.x array (`bodies`, `descriptions`) or the 1.x `<prefix>_html` and
    `<prefix>_text` fields; plain text becomes paragraphs."""
    members = objects(item.get(array))
    for member in members:
        kind = (text(member.get("contenttype")) or "") + (text(member.get("role")) or "")
        if "html" in kind.lower() and (value := text(member.get("value"))):
            return value
    for member in members:
        if "xml" not in (text(member.get("contenttype")) or "") and (
            value := text(member.get("value"))
        ):
            return text_as_html(value)
    if value := text(item.get(f"{prefix}_html")):
        return value
    return text_as_html(text(item.get(f"{prefix}_text")) or "")


def _valued(value: object, role: str) -> str | None:
    """The `value` of the member of a 2.x array with `role`, else of its first member."""
    members = objects(value)
    chosen = [m for m in members if text(m.get("role")) == role] or members
    return text(chosen[0].get("value")) if chosen else None


def _subjects(item: JsonObject) -> list[JsonObject]:
    return objects(item.get("subjects")) or objects(item.get("subject"))


def _associations(item: JsonObject) -> list[JsonObject]:
    """2.x: an array of named objects; 1.x: an object of them keyed by name."""
    value = item.get("associations")
    return objects(value) if isinstance(value, list) else objects(list(obj(value).values()))


def _renditions(item: JsonObject) -> list[JsonObject]:
    value = item.get("renditions")
    return objects(value) if isinstance(value, list) else objects(list(obj(value).values()))


def _images(item: JsonObject, content: str, base_url: str | None) -> tuple[FeedImage, ...]:
    """Each picture association's widest rendition, captioned; the item's own renditions when
    it is a picture; else the first picture in the body."""
    images = ImageList(base_url)
    pictures = [a for a in _associations(item) if text(a.get("type")) in _PICTURE_TYPES]
    if text(item.get("type")) in _PICTURE_TYPES:
        pictures.insert(0, item)
    for picture in pictures:
        images.add(_widest(picture), _caption(picture))
    if not images:
        for src, caption in content_images(content)[:1]:
            images.add(src, caption)
    return images.images()


def _widest(picture: JsonObject) -> str | None:
    candidates: list[tuple[float, str]] = []
    for rendition in _renditions(picture):
        href = text(rendition.get("href")) or ""
        kind = text(rendition.get("contenttype")) or text(rendition.get("mimetype"))
        width = rendition.get("width")
        if href and looks_like_image(href, kind):
            size = float(width) if isinstance(width, int | float) else 0.0
            candidates.append((size, href))
    if candidates:
        return max(candidates, key=lambda pair: pair[0])[1]
    uri = text(picture.get("uri"))
    return uri if uri and looks_like_image(uri, None) else None


def _caption(picture: JsonObject) -> str:
    return plain(
        _valued(picture.get("descriptions"), "caption")
        or text(picture.get("description_text"))
        or text(picture.get("description_html"))
        or _valued(picture.get("headlines"), "main")
        or text(picture.get("headline"))
    )
