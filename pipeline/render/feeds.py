"""RSS 2.0, Atom and JSON Feed joined from listing entries rendered once per version.

A listing rebuild only escapes and joins what each entry already holds, so rebuilding the site
feeds costs about the same whatever the articles are and however often they are rebuilt.
"""

from __future__ import annotations

import functools
import json
import mimetypes
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

from pipeline.domain.models import Image, ListingEntry, SiteInfo
from pipeline.domain.moments import as_utc
from pipeline.render.dates import machine, rss_date
from pipeline.render.json_text import html_safe

LANGUAGE = "ar"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
UNTITLED = "(بدون عنوان)"
GENERATOR = "nashr"

_XML_INVALID = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TAG_FRAGMENTS = 4096
"""A tag's <category> is the same in every entry and every rebuild: escaped once, kept."""


def xml_text(text: str) -> str:
    """Characters XML 1.0 cannot carry are dropped: one stray byte must not sink a feed."""
    return escape(_XML_INVALID.sub("", text))


def _attr(text: str) -> str:
    return quoteattr(_XML_INVALID.sub("", text))


def _cdata(text: str) -> str:
    """A CDATA section ends at "]]>"; the HTML means the same with the ">" escaped."""
    return "<![CDATA[" + _XML_INVALID.sub("", text).replace("]]>", "]]&gt;") + "]]>"


def _title(text: str) -> str:
    """A blank required field gets a visible stand-in, so no reader shows an empty entry."""
    return _XML_INVALID.sub("", text).strip() or UNTITLED


def image_type(image: Image) -> str:
    """The media type an enclosure declares, from the URL's extension; JPEG when it has none
    (nashr never fetches the picture, so its bytes are not known either)."""
    guessed, _ = mimetypes.guess_type(urlsplit(image.url).path)
    return guessed if guessed and guessed.startswith("image/") else "image/jpeg"


def last_update(entries: list[ListingEntry]) -> datetime:
    """Feed time follows the content, not the clock: an unchanged feed renders byte-identical."""
    return max((as_utc(e.updated_at) for e in entries), default=_EPOCH)


def absolute(site: SiteInfo, path: str) -> str:
    return site.base_url.rstrip("/") + path


def rss(
    entries: list[ListingEntry], site: SiteInfo, self_path: str, title: str | None = None
) -> bytes:
    """RSS 2.0 with the full entry in content:encoded, items in the order given."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n',
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"'
        ' xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:media="http://search.yahoo.com/mrss/">\n<channel>\n',
        f"<title>{xml_text(_title(title or site.name))}</title>\n",
        f"<link>{xml_text(absolute(site, '/'))}</link>\n",
        f"<description>{xml_text(_title(site.description))}</description>\n",
        f"<language>{LANGUAGE}</language>\n",
        f"<lastBuildDate>{rss_date(last_update(entries))}</lastBuildDate>\n",
        f"<generator>{GENERATOR}</generator>\n",
        f'<atom:link href={_attr(absolute(site, self_path))} rel="self"'
        ' type="application/rss+xml"/>\n',
    ]
    if site.websub_hub:
        parts.append(f'<atom:link href={_attr(site.websub_hub)} rel="hub"/>\n')
    parts.extend(_rss_item(entry, site) for entry in entries)
    parts.append("</channel>\n</rss>\n")
    return "".join(parts).encode("utf-8")


@functools.lru_cache(maxsize=TAG_FRAGMENTS)
def _rss_category(label: str, tags_url: str) -> str:
    return f"<category domain={_attr(tags_url)}>{xml_text(_title(label))}</category>\n"


def _rss_item(entry: ListingEntry, site: SiteInfo) -> str:
    page = xml_text(absolute(site, entry.path))
    tags_url = absolute(site, "/tags/")
    categories = "".join(_rss_category(tag.label, tags_url) for tag in entry.tags)
    if entry.section and entry.section.name != "general":
        categories += f"<category>{xml_text(entry.section.label)}</category>\n"
    return (
        "<item>\n"
        f"<title>{xml_text(_title(entry.title))}</title>\n"
        f"<link>{page}</link>\n"
        f'<guid isPermaLink="true">{page}</guid>\n'
        f"<pubDate>{rss_date(entry.published_at)}</pubDate>\n"
        f"<description>{xml_text(escape(entry.summary or _title(entry.title)))}</description>\n"
        f"<content:encoded>{_cdata(entry.entry_html)}</content:encoded>\n"
        f"{categories}{_rss_image(entry.image)}"
        "</item>\n"
    )


def _rss_image(image: Image | None) -> str:
    """The lead picture as feed readers look for it: an enclosure and a Media RSS element.
    The length is unknown (nashr never downloads pictures), and RSS says 0 then."""
    if image is None:
        return ""
    url, kind = _attr(image.url), _attr(image_type(image))
    caption = (
        f"<media:description>{xml_text(image.caption)}</media:description>" if image.caption else ""
    )
    return (
        f'<enclosure url={url} length="0" type={kind}/>\n'
        f'<media:content url={url} medium="image" type={kind}>{caption}</media:content>\n'
    )


def atom(
    entries: list[ListingEntry], site: SiteInfo, self_path: str, title: str | None = None
) -> bytes:
    """Atom 1.0 with xml:lang="ar" and the full entry as html content."""
    self_url = absolute(site, self_path)
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ar">\n',
        f"<id>{xml_text(self_url)}</id>\n",
        f"<title>{xml_text(_title(title or site.name))}</title>\n",
        f"<subtitle>{xml_text(_title(site.description))}</subtitle>\n",
        f"<updated>{machine(last_update(entries))}</updated>\n",
        f"<author><name>{xml_text(_title(site.name))}</name></author>\n",
        f'<link href={_attr(self_url)} rel="self" type="application/atom+xml"/>\n',
        f'<link href={_attr(absolute(site, "/"))} rel="alternate" type="text/html"/>\n',
        f"<generator>{GENERATOR}</generator>\n",
    ]
    if site.websub_hub:
        parts.append(f'<link href={_attr(site.websub_hub)} rel="hub"/>\n')
    parts.extend(_atom_entry(entry, site) for entry in entries)
    parts.append("</feed>\n")
    return "".join(parts).encode("utf-8")


def _atom_entry(entry: ListingEntry, site: SiteInfo) -> str:
    page = absolute(site, entry.path)
    tags_url = absolute(site, "/tags/")
    categories = "".join(_atom_category(tag.slug, tag.label, tags_url) for tag in entry.tags)
    if entry.section and entry.section.name != "general":
        categories += (
            f"<category term={_attr(entry.section.name)} label={_attr(entry.section.label)}/>\n"
        )
    return (
        "<entry>\n"
        f"<id>{xml_text(page)}</id>\n"
        f"<title>{xml_text(_title(entry.title))}</title>\n"
        f"<updated>{machine(entry.updated_at)}</updated>\n"
        f"<published>{machine(entry.published_at)}</published>\n"
        f'<link href={_attr(page)} rel="alternate" type="text/html"/>\n'
        f"{_atom_image(entry.image)}"
        f'<summary type="text">{xml_text(entry.summary or _title(entry.title))}</summary>\n'
        f'<content type="html">{xml_text(entry.entry_html)}</content>\n'
        f"{categories}"
        "</entry>\n"
    )


@functools.lru_cache(maxsize=TAG_FRAGMENTS)
def _atom_category(slug: str, label: str, tags_url: str) -> str:
    return (
        f"<category term={_attr(_title(slug))} label={_attr(_title(label))}"
        f" scheme={_attr(tags_url)}/>\n"
    )


def _atom_image(image: Image | None) -> str:
    if image is None:
        return ""
    return f'<link rel="enclosure" href={_attr(image.url)} type={_attr(image_type(image))}/>\n'


def json_feed(
    entries: list[ListingEntry], site: SiteInfo, self_path: str, title: str | None = None
) -> str:
    """JSON Feed 1.1: the format is small and plain JSON, so it is written here too."""
    document: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": title or site.name,
        "description": site.description,
        "home_page_url": absolute(site, "/"),
        "feed_url": absolute(site, self_path),
        "language": LANGUAGE,
        "authors": [{"name": site.name}],
        "items": [_json_item(entry, site) for entry in entries],
    }
    if site.websub_hub:
        document["hubs"] = [{"type": "WebSub", "url": site.websub_hub}]
    return (
        html_safe(json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")))
        + "\n"
    )


def _json_item(entry: ListingEntry, site: SiteInfo) -> dict[str, Any]:
    page = absolute(site, entry.path)
    item: dict[str, Any] = {
        "id": page,
        "url": page,
        "title": entry.title,
        "content_html": entry.entry_html,
        "summary": entry.summary or _title(entry.title),
        "date_published": machine(entry.published_at),
        "date_modified": machine(entry.updated_at),
        "tags": [tag.label for tag in entry.tags],
        "language": LANGUAGE,
    }
    if entry.source_url:
        item["external_url"] = entry.source_url
    if entry.image is not None:
        item["image"] = entry.image.url
        item["attachments"] = [{"url": entry.image.url, "mime_type": image_type(entry.image)}]
    return item
