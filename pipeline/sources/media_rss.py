"""Media RSS pictures (`media:content`, `media:thumbnail`) with their captions, read from the
checked XML tree, because feedparser keeps the URLs but folds every `media:description` into
the item's summary."""

from __future__ import annotations

from xml.etree.ElementTree import Element

from pipeline.sources.fields import looks_like_image

MEDIA = "{http://search.yahoo.com/mrss/}"
_ITEM_TAGS = frozenset(
    {
        "item",
        "{http://purl.org/rss/1.0/}item",
        "{http://my.netscape.com/rdf/simple/0.9/}item",
        "{http://www.w3.org/2005/Atom}entry",
        "{http://backend.userland.com/rss2}item",
    }
)


def media_images(root: Element) -> list[list[tuple[str, str]]]:
    """For each item or entry in document order, its Media RSS pictures: `(url, caption)`,
    content before thumbnails, the caption from the nearest description or title."""
    return [_item_images(item) for item in root.iter() if item.tag in _ITEM_TAGS]


def _item_images(item: Element) -> list[tuple[str, str]]:
    contents: list[tuple[str, str]] = []
    thumbnails: list[tuple[str, str]] = []
    item_caption = _caption(item)
    for group in [item, *item.findall(f"{MEDIA}group")]:
        group_caption = _caption(group) or item_caption
        for content in group.findall(f"{MEDIA}content"):
            url = (content.get("url") or "").strip()
            medium = content.get("medium")
            is_image = medium == "image" if medium else looks_like_image(url, content.get("type"))
            if url and is_image:
                contents.append((url, _caption(content) or group_caption))
            for thumbnail in content.findall(f"{MEDIA}thumbnail"):
                _add(thumbnails, thumbnail, _caption(content) or group_caption)
        for thumbnail in group.findall(f"{MEDIA}thumbnail"):
            _add(thumbnails, thumbnail, group_caption)
    return contents + thumbnails


def _add(found: list[tuple[str, str]], thumbnail: Element, caption: str) -> None:
    url = (thumbnail.get("url") or "").strip()
    if url:
        found.append((url, caption))


def _caption(element: Element) -> str:
    for tag in ("description", "title"):
        child = element.find(f"{MEDIA}{tag}")
        if child is not None and (child.text or "").strip():
            return (child.text or "").strip()
    return ""
