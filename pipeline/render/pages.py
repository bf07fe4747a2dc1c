"""Site pages and article JSON: values in, strings out, every reader-supplied text escaped."""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from pipeline.domain.markup import plain_text
from pipeline.domain.models import (
    SECTION_LABELS,
    SECTION_NAMES,
    SITE_FEEDS,
    Image,
    ListingEntry,
    PublishedArticle,
    SiteInfo,
    Tag,
    archive_path,
    section_archive_path,
    section_feed_paths,
    section_path,
    tag_archive_path,
    tag_feed_paths,
    tag_path,
)
from pipeline.domain.moments import as_utc
from pipeline.render import dates
from pipeline.render.json_text import html_safe
from pipeline.render.ticker import TICKER_SLOT

DESCRIPTION_CHARS = 160
"""Search engines show about this much of a meta description."""
REPORT_NOTICE = (
    "شكرا على الإبلاغ! سيتم حجب هذه الصورة تلقائيا عندما يتم الإبلاغ عنها من طرف عدة أشخاص."
)

_WEB_URL = re.compile(r"https?://[^\s/]", re.IGNORECASE)


def safe_href(url: str) -> str:
    """Only http(s) links or site paths reach an href; anything else (javascript:, data:) is "#"."""
    if _WEB_URL.match(url) or (url.startswith("/") and not url.startswith("//")):
        return url
    return "#"


def absolute_url(site: SiteInfo, path: str) -> str:
    """Feeds and canonical links need absolute URLs; paths alone are ambiguous outside the site."""
    return site.base_url.rstrip("/") + path


def tag_href(slug: str) -> str:
    """Slugs may be Arabic or carry reserved characters, so the path segment is percent-encoded."""
    return tag_path(quote(slug, safe=""))


def iso_datetime(moment: datetime) -> str:
    """ISO 8601 with an offset; naive values are UTC as stored."""
    return as_utc(moment).isoformat()


def visible_images(article: PublishedArticle) -> list[tuple[int, Image]]:
    """Hidden images are never rendered; the index stays the one the report endpoint knows."""
    return [(index, image) for index, image in enumerate(article.images) if not image.hidden]


def dump_json(value: Any) -> str:
    """Stable JSON that stays inert even if a front end inlines it in a <script>. Compact: with
    an indent, Python's json leaves its C encoder for a slower one."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return html_safe(text)


def describe(text: str, limit: int = DESCRIPTION_CHARS) -> str:
    """A meta description: the words of `text`, cut at a word near `limit` characters."""
    words = " ".join(text.split())
    if len(words) > limit:
        words = words[:limit].rsplit(" ", 1)[0].rstrip("،,.؛ ") + "…"
    return words


@cache
def _environment() -> Environment:
    """Built once on first use, never at import: templates load from the installed package."""
    env = Environment(
        loader=PackageLoader("pipeline.render", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["safe_href"] = safe_href
    env.filters["tag_href"] = tag_href
    env.filters["iso"] = iso_datetime
    env.filters["machine_time"] = dates.machine
    env.filters["human_time"] = dates.human
    env.filters["section_href"] = section_path
    env.globals["feed_paths"] = SITE_FEEDS
    env.globals["sections"] = [(name, SECTION_LABELS[name]) for name in SECTION_NAMES]
    env.globals["visible_images"] = visible_images
    env.globals["ticker_slot"] = Markup(TICKER_SLOT)
    return env


def _render(template: str, **context: Any) -> str:
    return _environment().get_template(template).render(**context)


def render_article_page(article: PublishedArticle, site: SiteInfo) -> str:
    """The reader's page: the article, its tags and images, the source link, the ticker's slot,
    and what search engines and link previews read (description, Open Graph, JSON-LD)."""
    canonical = absolute_url(site, article.path)
    description = describe(plain_text(article.paragraphs[0]) if article.paragraphs else "")
    section_label = article.category or (
        article.section.label if article.section and article.section.name != "general" else ""
    )
    return _render(
        "article.html",
        article=article,
        site=site,
        canonical=canonical,
        description=description or article.title,
        section_label=section_label,
        json_ld=Markup(dump_json(news_article(article, site, description, section_label))),
        report_notice=REPORT_NOTICE,
    )


def news_article(
    article: PublishedArticle, site: SiteInfo, description: str, section: str
) -> dict[str, Any]:
    """schema.org NewsArticle, as search engines read a news page."""
    canonical = absolute_url(site, article.path)
    logo = {"@type": "ImageObject", "url": absolute_url(site, "/favicon.svg")}
    publisher = {"@type": "Organization", "name": site.name, "url": absolute_url(site, "/")}
    document: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": canonical},
        "url": canonical,
        "headline": article.title,
        "description": description or article.title,
        "datePublished": dates.machine(article.published_at, site.timezone),
        "dateModified": dates.machine(article.updated_at, site.timezone),
        "inLanguage": "ar",
        "author": {"@type": "Organization", "name": site.name, "url": absolute_url(site, "/")},
        "publisher": publisher | {"logo": logo},
        "isBasedOn": safe_href(article.source.url),
        "keywords": [tag.label for tag in article.tags],
    }
    images = [safe_href(image.url) for _, image in visible_images(article)]
    if images := [url for url in images if url != "#"]:
        document["image"] = images
    if section:
        document["articleSection"] = section
    return document


def render_entry_html(article: PublishedArticle, site: SiteInfo) -> str:
    """The full article body as feeds carry it: paragraphs, images, source link, no page chrome."""
    return _render("entry.html", article=article, site=site, summary=None)


def render_entry_summary(article: PublishedArticle, site: SiteInfo, summary: str) -> str:
    """A feed entry for an article too long to carry whole: its summary and a link to it."""
    return _render(
        "entry.html",
        article=article,
        site=site,
        summary=summary,
        page_url=absolute_url(site, article.path),
    )


def render_card(article: PublishedArticle, lead: Image | None, site: SiteInfo) -> str:
    """The article in an HTML listing: thumbnail, headline, time, lead paragraph, tags."""
    return _render("card.html", article=article, lead=lead, site=site)


def render_home(
    latest: list[ListingEntry],
    site: SiteInfo,
    older: str | None = None,
    older_than: int | None = None,
) -> str:
    """The front page (the lead story large, the rest as cards, under the ticker's slot), or one
    of its older pages: `older_than` is the article the page continues after."""
    first = latest[0] if latest and older_than is None else None
    path = "/" if older_than is None else archive_path(older_than)
    return _render(
        "home.html",
        lead=first,
        articles=latest[1:] if first else latest,
        site=site,
        canonical=absolute_url(site, path),
        older=older,
        older_than=older_than,
    )


def render_listing_page(
    kind_label: str,
    heading: str,
    path: str,
    feeds: list[str],
    articles: list[ListingEntry],
    site: SiteInfo,
    older: str | None = None,
    older_than: int | None = None,
    current_section: str | None = None,
) -> str:
    """A tag's or a section's newest articles (or an older page of them), with its feeds."""
    return _render(
        "listing.html",
        kind_label=kind_label,
        heading=heading,
        articles=articles,
        site=site,
        canonical=absolute_url(site, path),
        feeds=feeds,
        older=older,
        older_than=older_than,
        current_section=current_section,
    )


def render_tag_page(
    tag: Tag,
    articles: list[ListingEntry],
    site: SiteInfo,
    older: str | None = None,
    older_than: int | None = None,
) -> str:
    """One tag's latest articles, reached from the tag links on every article page."""
    path = (
        tag_href(tag.slug)
        if older_than is None
        else tag_archive_path(quote(tag.slug, safe=""), older_than)
    )
    feeds = [quote(path) for path in tag_feed_paths(tag.slug)]
    return render_listing_page("وسم", tag.label, path, feeds, articles, site, older, older_than)


def render_section_page(
    name: str,
    articles: list[ListingEntry],
    site: SiteInfo,
    older: str | None = None,
    older_than: int | None = None,
) -> str:
    path = section_path(name) if older_than is None else section_archive_path(name, older_than)
    feeds = list(section_feed_paths(name))
    label = SECTION_LABELS[name]
    return render_listing_page("قسم", label, path, feeds, articles, site, older, older_than, name)


def render_not_found(site: SiteInfo) -> str:
    return _render("not_found.html", site=site, canonical=absolute_url(site, "/"))


def render_unavailable(site: SiteInfo) -> str:
    """What a page that cannot be rendered answers, with 503, while the failure is looked at."""
    return _render("unavailable.html", site=site, canonical=absolute_url(site, "/"))


def render_gone(site: SiteInfo, listing: bool = False) -> str:
    """What a taken-down article's address answers, with 410 Gone; `listing`: a tag or section
    that no live article carries any more."""
    heading = "لم تعد هذه الصفحة متاحة" if listing else "لم يعد هذا الخبر متاحا"
    reason = "لم يعد في هذه الصفحة أي خبر." if listing else "سحب هذا الخبر من الموقع."
    return _render(
        "gone.html", site=site, canonical=absolute_url(site, "/"), heading=heading, reason=reason
    )


def render_ticker_page(fragment: str, site: SiteInfo) -> str:
    """The ticker fragment as a document of its own, for whoever opens `/ticker.html`."""
    return _render("ticker_page.html", fragment=fragment, site=site)


def render_article_json(article: PublishedArticle, site: SiteInfo) -> str:
    """The same article for any front end: sanitised fragments plus their plain text."""
    document = {
        "id": article.id,
        "version": article.version,
        "url": absolute_url(site, article.path),
        "title": article.title,
        "paragraphs": list(article.paragraphs),
        "text": "\n\n".join(plain_text(p) for p in article.paragraphs),
        "tags": [
            {
                "label": tag.label,
                "slug": tag.slug,
                "kind": tag.kind,
                "url": absolute_url(site, tag_href(tag.slug)),
            }
            for tag in article.tags
        ],
        "images": [
            {"url": safe_href(image.url), "caption": image.caption}
            for _, image in visible_images(article)
        ],
        "source": {
            "url": safe_href(article.source.url),
            "name": article.source.name,
            "label": article.source.label,
            "rel": article.source.rel,
        },
        "breaking": article.breaking,
        "category": article.category,
        "section": (
            {
                "name": article.section.name,
                "label": article.section.label,
                "confidence": article.section.confidence,
            }
            if article.section
            else None
        ),
        "published_at": iso_datetime(article.published_at),
        "updated_at": iso_datetime(article.updated_at),
        "source_published_at": (
            iso_datetime(article.source_published_at) if article.source_published_at else None
        ),
    }
    return dump_json(document) + "\n"
