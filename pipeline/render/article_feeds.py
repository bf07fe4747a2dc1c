"""RSS 2.0, Atom and JSON Feed for a list of articles, with GUIDs that never change.

Each article becomes its listing entry (`pipeline/render/entries.py`) and the entries are joined
by `pipeline/render/feeds.py`: the same path the site's feeds take from stored entries.
"""

from __future__ import annotations

from pipeline.domain.models import SITE_FEEDS, PublishedArticle, SiteInfo
from pipeline.render import feeds
from pipeline.render.entries import DEFAULT_ENTRY_BYTES, listing_entry
from pipeline.render.pages import absolute_url

UNTITLED = feeds.UNTITLED


def guid(article: PublishedArticle, site: SiteInfo) -> str:
    """The page URL: it depends on the id only, so every version keeps the feed entry's identity."""
    return absolute_url(site, article.path)


def render_rss(
    articles: list[PublishedArticle],
    site: SiteInfo,
    title: str | None = None,
    self_path: str = SITE_FEEDS["rss"],
    max_entry_bytes: int = DEFAULT_ENTRY_BYTES,
) -> bytes:
    """RSS 2.0 with the full article in content:encoded, items in the order given."""
    entries = [listing_entry(a, site, max_entry_bytes) for a in articles]
    return feeds.rss(entries, site, self_path, title)


def render_atom(
    articles: list[PublishedArticle],
    site: SiteInfo,
    title: str | None = None,
    self_path: str = SITE_FEEDS["atom"],
    max_entry_bytes: int = DEFAULT_ENTRY_BYTES,
) -> bytes:
    """Atom with xml:lang="ar" on the feed and the full article as html content."""
    entries = [listing_entry(a, site, max_entry_bytes) for a in articles]
    return feeds.atom(entries, site, self_path, title)


def render_json_feed(
    articles: list[PublishedArticle],
    site: SiteInfo,
    title: str | None = None,
    self_path: str = "/feeds/feed.json",
    max_entry_bytes: int = DEFAULT_ENTRY_BYTES,
) -> str:
    entries = [listing_entry(a, site, max_entry_bytes) for a in articles]
    return feeds.json_feed(entries, site, self_path, title)
