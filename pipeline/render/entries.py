"""An article's listing entry: its card for HTML listings and its body for feeds, rendered once.

The publish step renders these beside the article's page and stores them with it, so every
listing is later joined from stored fragments instead of re-rendering its N articles.
"""

from __future__ import annotations

from pipeline.domain.markup import plain_text
from pipeline.domain.models import ListingEntry, PublishedArticle, SiteInfo
from pipeline.render.pages import (
    render_card,
    render_entry_html,
    render_entry_summary,
    safe_href,
    visible_images,
)

SUMMARY_CHARS = 300
DEFAULT_ENTRY_BYTES = 20_000
"""A feed entry carries the whole article up to this size; past it, the summary and a link, so
fifty long articles cannot make a feed of tens of megabytes."""


def summary_of(article: PublishedArticle) -> str:
    """The first paragraph's words, cut at a word near 300 characters."""
    text = plain_text(article.paragraphs[0]) if article.paragraphs else ""
    if len(text) > SUMMARY_CHARS:
        text = text[:SUMMARY_CHARS].rsplit(" ", 1)[0].rstrip() + "…"
    return text or " ".join(article.title.split())


def listing_entry(
    article: PublishedArticle, site: SiteInfo, max_entry_bytes: int = DEFAULT_ENTRY_BYTES
) -> ListingEntry:
    summary = summary_of(article)
    body = render_entry_html(article, site)
    if len(body.encode("utf-8")) > max_entry_bytes:
        body = render_entry_summary(article, site, summary)
    images = visible_images(article)
    lead = images[0][1] if images else None
    if lead is not None and safe_href(lead.url) == "#":
        lead = None
    source_url = article.source.url if safe_href(article.source.url) != "#" else ""
    return ListingEntry(
        id=article.id,
        version=article.version,
        title=article.title,
        published_at=article.published_at,
        updated_at=article.updated_at,
        breaking=article.breaking,
        section=article.section,
        tags=article.tags,
        image=lead,
        summary=summary,
        card_html=render_card(article, lead, site),
        entry_html=body,
        source_url=source_url,
    )
