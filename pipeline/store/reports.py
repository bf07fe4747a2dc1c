"""Readers' reports of images: one counter per (article, image), the only thing readers write.

The table sits on the same metadata as `pipeline/store/schema.py` (migration 0002 creates it),
so the migrations' environment and every query see one schema.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Engine, Integer, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from pipeline.store.database import transaction
from pipeline.store.schema import IS_LIVE_VERSION, article_versions, articles, metadata

image_reports = Table(
    "image_reports",
    metadata,
    Column("article_id", Integer, primary_key=True),
    Column("image_index", Integer, primary_key=True),
    Column("count", Integer, nullable=False),
)
"""No foreign key: a report never blocks, nor is blocked by, the article's own writes."""


class ReportStore:
    """Count reports of images readers can see: the live version's images, by their index."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def report(self, article_id: int, image_index: int) -> int | None:
        """Add one report and return the new count; None when no live article has that image."""
        with transaction(self.engine) as db:
            content = db.execute(
                select(article_versions.c.content)
                .join(articles, IS_LIVE_VERSION)
                .where(articles.c.id == article_id)
            ).scalar_one_or_none()
            if not 0 <= image_index < _image_count(content):
                return None
            dialect = postgresql if db.dialect.name == "postgresql" else sqlite
            insert = dialect.insert(image_reports).values(
                article_id=article_id, image_index=image_index, count=1
            )
            count: int = db.execute(
                insert.on_conflict_do_update(
                    index_elements=["article_id", "image_index"],
                    set_={"count": image_reports.c.count + 1},
                ).returning(image_reports.c.count)
            ).scalar_one()
        return count

    def counts(self, article_id: int) -> dict[int, int]:
        """Reports per image index of one article, for editors."""
        with transaction(self.engine) as db:
            rows = db.execute(
                select(image_reports.c.image_index, image_reports.c.count)
                .where(image_reports.c.article_id == article_id)
                .order_by(image_reports.c.image_index)
            ).all()
        return {int(index): int(count) for index, count in rows}


def _image_count(content: Any) -> int:
    """Images in a stored CleanArticle; 0 for a version without content."""
    if not isinstance(content, dict):
        return 0
    images = content.get("images")
    return len(images) if isinstance(images, list) else 0
