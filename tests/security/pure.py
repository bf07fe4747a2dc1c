"""The pipeline without I/O, as `tasks/steps.py` and `pipeline/outputs.py` chain the pure steps:
validate → tags → source → every view readers get. Values round-trip through JSON between steps,
as they do through the database."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import quote

import pipeline.render.article_feeds as feed
import pipeline.render.pages as site
from pipeline.domain.models import (
    SECTION_NAMES,
    CleanArticle,
    PublishedArticle,
    Section,
    SiteInfo,
    SourceLink,
    Submission,
    Tag,
    tag_feed_paths,
)
from pipeline.domain.source import attach_source
from pipeline.domain.validate import validate
from pipeline.enrich.step import enrich
from pipeline.render import sitemaps, ticker
from pipeline.render.entries import listing_entry
from tests.security.inert import parse_document, script_texts
from tests.system import SEED_ARTICLE

SITE = SiteInfo(base_url="https://nashr.example", name="نشر", description="آخر الأخبار")
PUBLISHED_AT = datetime(2025, 3, 15, 9, 30, tzinfo=UTC)
SHORT_SEED: dict[str, Any] = SEED_ARTICLE | {"body": SEED_ARTICLE["body"].split("\n\n")[0]}
"""The seed article with its first paragraph only: the same shape, a fraction of the work."""


@dataclass
class Rendered:
    """Every file a published article appears in, keyed by a name for messages."""

    article: PublishedArticle
    pages: dict[str, str] = field(default_factory=dict)
    """Whole HTML documents: the article page, home, tag pages."""
    fragments: dict[str, str] = field(default_factory=dict)
    """HTML fragments: the feed entry body and the ticker bar."""
    json_documents: dict[str, str] = field(default_factory=dict)
    feeds: dict[str, bytes] = field(default_factory=dict)


def clean(payload: dict[str, Any], max_body_bytes: int = 200_000) -> CleanArticle:
    """The validate step; raises ArticleRejected as the task would record it."""
    article = validate(Submission.model_validate(payload), max_body_bytes)
    return CleanArticle.model_validate(json.loads(article.model_dump_json()))


def publish(article: CleanArticle, article_id: int = 1) -> PublishedArticle:
    """The enrich and source steps, then the record the views are rendered from."""
    found = enrich(article)
    tags = [Tag.model_validate(t.model_dump(mode="json")) for t in found.all_tags]
    section = Section.model_validate(found.section.model_dump(mode="json"))
    link = SourceLink.model_validate(attach_source(article).model_dump(mode="json"))
    return PublishedArticle(
        id=article_id,
        version=1,
        title=article.title,
        paragraphs=article.paragraphs,
        tags=tags,
        section=section,
        images=article.images,
        source=link,
        breaking=article.breaking,
        category=article.category,
        published_at=PUBLISHED_AT,
        updated_at=PUBLISHED_AT,
    )


def render(article: PublishedArticle, tag_views: bool = True) -> Rendered:
    """Each view `Outputs` writes for this article: page, JSON, feeds, tag pages, ticker, home."""
    entries = ticker.build_ticker([article])
    out = Rendered(article)
    bar = ticker.render_ticker_html(entries)
    out.pages["page"] = ticker.with_ticker(site.render_article_page(article, SITE), bar)
    out.pages["home"] = ticker.with_ticker(
        site.render_home([listing_entry(article, SITE)], SITE), bar
    )
    out.fragments["entry"] = site.render_entry_html(article, SITE)
    out.fragments["ticker.html"] = ticker.render_ticker_html(entries)
    out.json_documents["article.json"] = site.render_article_json(article, SITE)
    out.json_documents["ticker.json"] = ticker.render_ticker_json(entries)
    out.json_documents["feed.json"] = feed.render_json_feed([article], SITE)
    section = article.section.name if article.section else "general"
    out.pages["section"] = ticker.with_ticker(
        site.render_section_page(
            section if section in SECTION_NAMES else "society", [listing_entry(article, SITE)], SITE
        ),
        bar,
    )
    out.feeds["news sitemap"] = sitemaps.news_sitemap(SITE, [listing_entry(article, SITE)])
    out.feeds["rss"] = feed.render_rss([article], SITE)
    out.feeds["atom"] = feed.render_atom([article], SITE)
    for tag in article.tags if tag_views else []:
        out.pages[f"tag {tag.slug}"] = site.render_tag_page(
            tag, [listing_entry(article, SITE)], SITE
        )
        rss_path, atom_path = tag_feed_paths(tag.slug)
        title = f"{SITE.name}: {tag.label}"
        out.feeds[f"rss {tag.slug}"] = feed.render_rss([article], SITE, title, quote(rss_path))
        out.feeds[f"atom {tag.slug}"] = feed.render_atom([article], SITE, title, quote(atom_path))
    return out


def run(payload: dict[str, Any], max_body_bytes: int = 200_000) -> Rendered:
    """The whole chain for one submission; raises ArticleRejected if validate refuses it."""
    return render(publish(clean(payload, max_body_bytes)))


@cache
def own_scripts() -> frozenset[str]:
    """The scripts every article page carries (image report, live ticker), from a clean page."""
    page = run(SHORT_SEED).pages["page"]
    return frozenset(script_texts(parse_document(page)))
