"""RSS 2.0, Atom and JSON Feed for the latest articles, with GUIDs that never change."""

from __future__ import annotations

import html
import re
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import UTC, datetime
from functools import partial
from typing import Any, Generic, Literal, TypeVar

from feedgen.entry import FeedEntry
from feedgen.feed import FeedGenerator

from pipeline.models import PublishedArticle, SiteInfo
from pipeline.site import (
    absolute_url,
    dump_json,
    iso_datetime,
    plain_text,
    render_entry_html,
    safe_href,
    utc,
    visible_images,
)

LANGUAGE = "ar"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
UNTITLED = "(بدون عنوان)"
SUMMARY_CHARS = 300

_XML_INVALID = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

T = TypeVar("T")


class _Memo(Generic[T]):
    """A small LRU: every listing rebuild renders the same 50 entries again, each into 3 feeds."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self.items: OrderedDict[Hashable, T] = OrderedDict()

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        if key in self.items:
            self.items.move_to_end(key)
            return self.items[key]
        value = self.items[key] = build()
        if len(self.items) > self.size:
            self.items.popitem(last=False)
        return value


_ENTRIES: _Memo[Any] = _Memo()
_ENTRY_HTML: _Memo[str] = _Memo()


def _xml(text: str) -> str:
    """lxml refuses characters XML 1.0 cannot carry; one stray byte must not sink the feed."""
    return _XML_INVALID.sub("", text)


def _cdata(text: str) -> str:
    """A CDATA section ends at "]]>"; the HTML means the same with the ">" escaped."""
    return _xml(text).replace("]]>", "]]&gt;")


def guid(article: PublishedArticle, site: SiteInfo) -> str:
    """The page URL: it depends on the id only, so every version keeps the feed entry's identity."""
    return absolute_url(site, article.path)


def _text(text: str) -> str:
    """feedgen drops or refuses empty required fields, so a blank one gets a visible stand-in."""
    return _xml(text).strip() or UNTITLED


def _title(article: PublishedArticle) -> str:
    return _text(article.title)


def _summary(article: PublishedArticle) -> str:
    text = " ".join(_xml(plain_text(article.paragraphs[0])).split()) if article.paragraphs else ""
    if len(text) > SUMMARY_CHARS:
        text = text[:SUMMARY_CHARS].rstrip() + "…"
    return text or _title(article)


def _last_update(articles: list[PublishedArticle]) -> datetime:
    """Feed time follows the content, not the clock, so an unchanged feed renders byte-identical."""
    return max((utc(a.updated_at) for a in articles), default=_EPOCH)


def _generator(
    articles: list[PublishedArticle],
    site: SiteInfo,
    title: str | None,
    self_path: str,
    flavour: Literal["rss", "atom"],
) -> Any:
    """One FeedGenerator per format: feedgen shares entry content between RSS and Atom."""
    fg = FeedGenerator()
    self_url = _xml(absolute_url(site, self_path))
    fg.id(self_url)
    fg.title(_text(title or site.name))
    fg.description(_text(site.description))
    fg.author(name=_text(site.name))
    fg.link(
        href=self_url,
        rel="self",
        type="application/rss+xml" if flavour == "rss" else "application/atom+xml",
    )
    # feedgen takes the last link as the RSS channel <link>: the site, not the feed.
    fg.link(href=_xml(absolute_url(site, "/")), rel="alternate", type="text/html")
    fg.language(LANGUAGE)
    fg.generator("nashr")
    fg.updated(_last_update(articles))
    for article in articles:
        entry = _ENTRIES.get(
            (flavour, *_identity(article, site)), partial(_entry, article, site, flavour)
        )
        fg.add_entry(entry, order="append")
    return fg


def _identity(article: PublishedArticle, site: SiteInfo) -> tuple[Hashable, ...]:
    """Everything an entry's rendering reads: a cached entry is the one it would render now."""
    return (
        article.id,
        article.version,
        article.title,
        tuple(article.paragraphs),
        tuple((tag.slug, tag.label, tag.kind) for tag in article.tags),
        tuple((image.url, image.caption, image.hidden) for image in article.images),
        (article.source.url, article.source.name, article.source.label, article.source.rel),
        article.breaking,
        article.category,
        article.section.name if article.section else None,
        article.published_at,
        article.updated_at,
        site.base_url,
        site.name,
        site.description,
    )


def _entry(article: PublishedArticle, site: SiteInfo, flavour: Literal["rss", "atom"]) -> Any:
    page = _xml(guid(article, site))
    entry = FeedEntry()
    entry.guid(page, permalink=True)
    entry.title(_title(article))
    entry.link(href=page, rel="alternate", type="text/html")
    entry.published(utc(article.published_at))
    entry.updated(utc(article.updated_at))
    body = _ENTRY_HTML.get(_identity(article, site), partial(render_entry_html, article, site))
    if flavour == "rss":
        # Readers render an RSS description as HTML: the plain-text summary must stay text.
        entry.description(html.escape(_summary(article), quote=False))
        entry.content(_cdata(body), type="CDATA")
    else:
        entry.summary(_summary(article), type="text")
        entry.content(_xml(body), type="html")
    for tag in article.tags:
        entry.category(
            term=_text(tag.slug),
            label=_text(tag.label),
            scheme=_xml(absolute_url(site, "/tags/")),
        )
    if article.section and article.section.name != "general":
        entry.category(term=article.section.name, label=article.section.label)
    return entry


def render_rss(
    articles: list[PublishedArticle],
    site: SiteInfo,
    title: str | None = None,
    self_path: str = "/feeds/rss.xml",
) -> bytes:
    """RSS 2.0 with the full article in content:encoded, items in the order given."""
    feed: bytes = _generator(articles, site, title, self_path, "rss").rss_str(pretty=True)
    return feed


def render_atom(
    articles: list[PublishedArticle],
    site: SiteInfo,
    title: str | None = None,
    self_path: str = "/feeds/atom.xml",
) -> bytes:
    """Atom with xml:lang="ar" on the feed and the full article as html content."""
    feed: bytes = _generator(articles, site, title, self_path, "atom").atom_str(pretty=True)
    return feed


def render_json_feed(
    articles: list[PublishedArticle],
    site: SiteInfo,
    title: str | None = None,
    self_path: str = "/feeds/feed.json",
) -> str:
    """JSON Feed 1.1 by hand: the format is small and no maintained library writes it."""
    items = []
    for article in articles:
        item: dict[str, Any] = {
            "id": guid(article, site),
            "url": guid(article, site),
            "title": article.title,
            "content_html": _ENTRY_HTML.get(
                _identity(article, site), partial(render_entry_html, article, site)
            ),
            "summary": _summary(article),
            "date_published": iso_datetime(article.published_at),
            "date_modified": iso_datetime(article.updated_at),
            "tags": [tag.label for tag in article.tags],
            "language": LANGUAGE,
        }
        if safe_href(article.source.url) != "#":
            item["external_url"] = article.source.url
        images = visible_images(article)
        if images:
            item["image"] = safe_href(images[0][1].url)
        items.append(item)
    document = {
        "version": JSON_FEED_VERSION,
        "title": title or site.name,
        "description": site.description,
        "home_page_url": absolute_url(site, "/"),
        "feed_url": absolute_url(site, self_path),
        "language": LANGUAGE,
        "authors": [{"name": site.name}],
        "items": items,
    }
    return dump_json(document) + "\n"
