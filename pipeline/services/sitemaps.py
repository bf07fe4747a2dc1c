"""What crawlers read: robots.txt, the sitemap index, monthly article sitemaps, the listings'
sitemaps and the Google News sitemap, all made from the database when they are asked for.

They are read by crawlers a few times a day, so they are not kept: each answer is one indexed
query or two, and a taken-down article or an emptied tag is gone from them at once.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from math import ceil
from urllib.parse import quote

from pipeline.domain.models import SECTION_NAMES, SiteInfo, article_path, section_path, tag_path
from pipeline.domain.outputs import TEXT, XML, Output
from pipeline.render import sitemaps
from pipeline.store.browse import BrowseStore

ROBOTS = "/robots.txt"
INDEX = "/sitemap.xml"
NEWS = "/news-sitemap.xml"
LISTINGS = "/sitemaps/listings.xml"
FAVICONS = ("/favicon.svg", "/favicon.ico")
SVG = "image/svg+xml"
NEWS_WINDOW = timedelta(hours=48)
_MONTH = re.compile(r"^/sitemaps/([0-9]{4})-([0-9]{2})-([0-9]{1,4})\.xml$")
_TAGS = re.compile(r"^/sitemaps/tags-([0-9]{1,4})\.xml$")


def month_path(month: str, part: int) -> str:
    """A month's articles, 50,000 to a file: /sitemaps/2026-12-1.xml."""
    return f"/sitemaps/{month}-{part}.xml"


def tags_path(part: int) -> str:
    return f"/sitemaps/tags-{part}.xml"


class Sitemaps:
    def __init__(self, store: BrowseStore, site: SiteInfo, per_file: int = sitemaps.MAX_URLS):
        self.store = store
        self.site = site
        self.per_file = min(per_file, sitemaps.MAX_URLS)

    def find(self, path: str, now: datetime | None = None) -> Output | None:
        if path == ROBOTS:
            return Output.text(path, sitemaps.robots_txt(self.site), TEXT)
        if path in FAVICONS:
            return Output.text(path, sitemaps.FAVICON_SVG, SVG)
        if path == INDEX:
            return Output(path, self._index(), XML)
        if path == NEWS:
            since = (now or datetime.now(UTC)) - NEWS_WINDOW
            entries = self.store.since(since, sitemaps.MAX_NEWS_URLS)
            return Output(path, sitemaps.news_sitemap(self.site, entries), XML)
        if path == LISTINGS:
            urls = [("/", None)] + [(section_path(n), None) for n in self._sections()]
            return Output(path, sitemaps.url_set(self.site, urls), XML)
        if found := _MONTH.match(path):
            return self._month(path, int(found.group(1)), int(found.group(2)), int(found.group(3)))
        if found := _TAGS.match(path):
            part = int(found.group(1))
            slugs = self.store.live_tags((part - 1) * self.per_file, self.per_file) if part else []
            if not slugs:
                return None
            urls = [(tag_path(quote(slug, safe="")), None) for slug in slugs]
            return Output(path, sitemaps.url_set(self.site, urls), XML)
        return None

    def _sections(self) -> list[str]:
        live = set(self.store.live_sections())
        return [name for name in SECTION_NAMES if name in live]

    def _index(self) -> bytes:
        entries: list[tuple[str, datetime | None]] = [(LISTINGS, None), (NEWS, None)]
        for month, count, changed in self.store.months():
            for part in range(1, ceil(count / self.per_file) + 1):
                entries.append((month_path(month, part), changed))
        tags = self.store.live_tag_count()
        entries.extend((tags_path(part), None) for part in range(1, ceil(tags / self.per_file) + 1))
        return sitemaps.sitemap_index(self.site, entries)

    def _month(self, path: str, year: int, month: int, part: int) -> Output | None:
        if not (1 <= month <= 12 and part >= 1 and year >= 1):
            return None
        start = datetime(year, month, 1)
        end = datetime(year + month // 12, month % 12 + 1, 1)
        rows = self.store.in_month(start, end, (part - 1) * self.per_file, self.per_file)
        if not rows:
            return None
        urls: list[tuple[str, datetime | None]] = [(article_path(i), at) for i, at in rows]
        return Output(path, sitemaps.url_set(self.site, urls), XML)
