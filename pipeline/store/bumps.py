"""What the republishing jobs change: an article's updated time and its place in the listings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select, update

from pipeline.store.database import reading, transaction
from pipeline.store.listings import listing_entries
from pipeline.store.schema import article_tags, article_versions, articles


class BumpStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def set_updated(self, article_id: int, at: datetime) -> bool:
        """The live version's `updated` time (what its page, JSON and feed entry show);
        False when the article is not live."""
        with transaction(self.engine) as db:
            live = db.execute(
                select(articles.c.live_version).where(articles.c.id == article_id)
            ).scalar()
            if live is None:
                return False
            db.execute(
                update(article_versions)
                .where(
                    article_versions.c.article_id == article_id, article_versions.c.version == live
                )
                .values(published_at=at)
            )
        return True

    def move_to_top(self, article_id: int, at: datetime) -> None:
        """Listings order by this time: the article comes first in feeds, ticker and tag pages,
        at the same URL and GUID."""
        with transaction(self.engine) as db:
            db.execute(
                update(listing_entries)
                .where(listing_entries.c.article_id == article_id)
                .values(first_published_at=at)
            )
            db.execute(
                update(article_tags)
                .where(article_tags.c.article_id == article_id)
                .values(first_published_at=at)
            )

    def live_articles(self, tag_slug: str | None = None) -> list[int]:
        """Every article with a listing entry (so live), or those carrying one tag."""
        query = select(listing_entries.c.article_id)
        if tag_slug is not None:
            query = query.join(
                article_tags, article_tags.c.article_id == listing_entries.c.article_id
            ).where(article_tags.c.slug == tag_slug)
        with reading(self.engine) as db:
            return [int(row[0]) for row in db.execute(query.order_by(listing_entries.c.article_id))]
