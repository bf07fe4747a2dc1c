"""Publishing one article: its page, its JSON and its listing entry, with the state move.

All of it is rendered before the transaction and written inside it, together with the
compare-and-set that makes the version the live one: readers get the article's page as soon
as the publish commits, and a version older than the live one writes nothing at all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from pipeline.domain.models import Image, ListingEntry, PublishedArticle, SiteInfo
from pipeline.domain.moments import as_utc
from pipeline.domain.outputs import HTML, JSON, Output
from pipeline.domain.search import SearchDocument
from pipeline.enrich.search_terms import SearchAnalyser
from pipeline.render.entries import DEFAULT_ENTRY_BYTES, listing_entry
from pipeline.render.pages import render_article_json, render_article_page
from pipeline.store.publishing import PublishStore
from pipeline.store.records import VersionRecord


def article_for(
    record: VersionRecord,
    hidden: dict[int, str | None],
    first_published_at: datetime,
    updated_at: datetime,
) -> PublishedArticle:
    """The version as readers will get it; an image readers have had hidden stays hidden as
    long as it is still the image in that place."""
    content, source = record.content, record.source
    if content is None or source is None:
        raise ValueError(f"version {record.version} of {record.article_id} is not sourced")
    return PublishedArticle(
        id=record.article_id,
        version=record.version,
        title=content.title,
        paragraphs=content.paragraphs,
        tags=record.tags or [],
        section=record.section,
        images=[_hidden_if_reported(i, image, hidden) for i, image in enumerate(content.images)],
        source=source,
        breaking=content.breaking,
        category=content.category,
        published_at=first_published_at,
        updated_at=updated_at,
        source_published_at=content.source_published_at,
    )


def _hidden_if_reported(index: int, image: Image, hidden: dict[int, str | None]) -> Image:
    if index in hidden and hidden[index] in (None, image.url):
        return image.model_copy(update={"hidden": True})
    return image


class Publisher:
    def __init__(
        self,
        store: PublishStore,
        site: SiteInfo,
        max_entry_bytes: int = DEFAULT_ENTRY_BYTES,
        search: Callable[[], SearchAnalyser] | None = None,
    ) -> None:
        self.store = store
        self.site = site
        self.max_entry_bytes = max_entry_bytes
        self.search = search
        """Makes the article's search row; None: the index is not kept (tools, old tests)."""

    def publish(self, record: VersionRecord) -> bool:
        """Make this version the live one, with its page, JSON and listing entry; False when
        another run got there first."""
        now = datetime.now(UTC)
        first = as_utc(record.first_published_at) if record.first_published_at else now
        article = article_for(record, self._hidden(record), first, now)
        return self.store.publish(
            record, first, self._outputs(article), self._entry(article), self._document(article)
        )

    def live_article(self, article_id: int) -> tuple[VersionRecord, PublishedArticle] | None:
        """The live version as readers get it now (with the images they have had hidden)."""
        record = self.store.live_record(article_id)
        if record is None or record.first_published_at is None:
            return None
        updated = as_utc(record.published_at or record.updated_at)
        first = as_utc(record.first_published_at)
        return record, article_for(record, self._hidden(record), first, updated)

    def republish(self, article_id: int) -> bool:
        """Render the live version again (images hidden since, a template change) in place;
        False when the article is not live."""
        found = self.live_article(article_id)
        if found is None:
            return False
        record, article = found
        return self.store.rewrite(
            record, self._outputs(article), self._entry(article), self._document(article)
        )

    def _hidden(self, record: VersionRecord) -> dict[int, str | None]:
        """Readers can only have hidden an image the version has: most have none to ask about."""
        if record.content is None or not record.content.images:
            return {}
        return self.store.hidden_images(record.article_id)

    def _outputs(self, article: PublishedArticle) -> list[Output]:
        return [
            Output.text(
                article.path, render_article_page(article, self.site), HTML, ticker_slot=True
            ),
            Output.text(article.json_path, render_article_json(article, self.site), JSON),
        ]

    def _document(self, article: PublishedArticle) -> SearchDocument | None:
        if self.search is None:
            return None
        section = article.section.name if article.section else None
        return self.search().document(
            article.id, article.version, article.title, article.paragraphs, section
        )

    def _entry(self, article: PublishedArticle) -> ListingEntry:
        return listing_entry(article, self.site, self.max_entry_bytes)
