"""Sitemaps (sitemaps.org 0.9), the Google News sitemap and robots.txt: values in, bytes out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from xml.sax.saxutils import escape

from pipeline.domain.models import ListingEntry, SiteInfo
from pipeline.render.dates import machine
from pipeline.render.feeds import xml_text

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
MAX_URLS = 50_000
"""The protocol's limit on URLs in one sitemap (and on sitemaps in one index)."""
MAX_NEWS_URLS = 1_000
"""Google News reads at most this many from a news sitemap."""
HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n'


def absolute(site: SiteInfo, path: str) -> str:
    return site.base_url.rstrip("/") + path


def sitemap_index(site: SiteInfo, sitemaps: Sequence[tuple[str, datetime | None]]) -> bytes:
    """The index robots.txt points to: each sitemap's address and when it last changed."""
    parts = [HEADER, f'<sitemapindex xmlns="{SITEMAP_NS}">\n']
    for path, changed in sitemaps[:MAX_URLS]:
        lastmod = f"<lastmod>{machine(changed)}</lastmod>" if changed else ""
        parts.append(f"<sitemap><loc>{xml_text(absolute(site, path))}</loc>{lastmod}</sitemap>\n")
    parts.append("</sitemapindex>\n")
    return "".join(parts).encode("utf-8")


def url_set(site: SiteInfo, urls: Sequence[tuple[str, datetime | None]]) -> bytes:
    """One sitemap: at most 50,000 site paths with when each last changed."""
    if len(urls) > MAX_URLS:
        raise ValueError(f"a sitemap holds at most {MAX_URLS} URLs, not {len(urls)}")
    parts = [HEADER, f'<urlset xmlns="{SITEMAP_NS}">\n']
    for path, changed in urls:
        lastmod = f"<lastmod>{machine(changed)}</lastmod>" if changed else ""
        parts.append(f"<url><loc>{xml_text(absolute(site, path))}</loc>{lastmod}</url>\n")
    parts.append("</urlset>\n")
    return "".join(parts).encode("utf-8")


def news_sitemap(site: SiteInfo, entries: list[ListingEntry]) -> bytes:
    """Google News: articles of the last two days, each with its publication, language,
    publication date and title."""
    parts = [HEADER, f'<urlset xmlns="{SITEMAP_NS}" xmlns:news="{NEWS_NS}">\n']
    name = xml_text(site.name)
    for entry in entries[:MAX_NEWS_URLS]:
        parts.append(
            f"<url><loc>{xml_text(absolute(site, entry.path))}</loc>"
            "<news:news><news:publication>"
            f"<news:name>{name}</news:name><news:language>ar</news:language>"
            "</news:publication>"
            f"<news:publication_date>{machine(entry.published_at)}</news:publication_date>"
            f"<news:title>{xml_text(entry.title)}</news:title>"
            "</news:news></url>\n"
        )
    parts.append("</urlset>\n")
    return "".join(parts).encode("utf-8")


def robots_txt(site: SiteInfo) -> str:
    """Everything may be crawled but the API; the sitemap index says where the pages are."""
    return (
        "User-agent: *\n"
        "Disallow: /articles\n"
        "Disallow: /ticker/stream\n"
        "Disallow: /search\n"
        f"Sitemap: {escape(absolute(site, '/sitemap.xml'))}\n"
    )


FAVICON_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
    '<rect width="64" height="64" rx="12" fill="#7a0b0b"/>'
    '<text x="32" y="44" font-size="36" text-anchor="middle" fill="#fff"'
    ' font-family="system-ui, sans-serif">ن</text></svg>\n'
)
"""The site's icon: the first letter of نشر on its colour. SVG, so one small file serves every
size."""
