"""Embargoes: an article with a `publish_at` still ahead is held in `scheduled` until then."""

from __future__ import annotations

from datetime import UTC, datetime

from pipeline.domain.models import CleanArticle


def embargo_until(article: CleanArticle, now: datetime) -> datetime | None:
    """When the article may be published, in naive UTC as the store keeps time; None when it
    may go now (no embargo, or one already past). `now` is aware."""
    due = article.publish_at
    if due is None:
        return None
    due = due.replace(tzinfo=UTC) if due.tzinfo is None else due.astimezone(UTC)
    return due.replace(tzinfo=None) if due > now else None
