"""Reads for readers and editors: an article's status, and the live articles for views."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from pipeline.errors import TransientError
from pipeline.models import CleanArticle, PublishedArticle, Section, SourceLink, Tag
from pipeline.states import Status
from pipeline.store.database import transaction
from pipeline.store.records import ArticleStatus, StepEvent, aware
from pipeline.store.reports import hidden_images
from pipeline.store.schema import (
    IS_CURRENT_VERSION,
    IS_LIVE_VERSION,
    article_tags,
    article_versions,
    articles,
    step_events,
)


class ViewQueries:
    """Listings query the newest N by an index: as cheap at article 100,000 as at article 100."""

    engine: Engine

    def count_by_status(self) -> dict[str, int]:
        """Current versions per status: where the work piles up."""
        with transaction(self.engine) as db:
            rows = db.execute(
                select(article_versions.c.status, func.count())
                .join(articles, IS_CURRENT_VERSION)
                .group_by(article_versions.c.status)
            ).all()
        return {row[0]: int(row[1]) for row in rows}

    def ping(self) -> bool:
        try:
            with transaction(self.engine) as db:
                db.execute(select(1))
        except TransientError:
            return False
        return True

    # -- reads --------------------------------------------------------------------------------

    def status(self, article_id: int) -> ArticleStatus | None:
        with transaction(self.engine) as db:
            head = db.execute(
                select(articles.c.current_version, articles.c.live_version).where(
                    articles.c.id == article_id
                )
            ).first()
            if head is None or head.current_version == 0:
                return None
            row = db.execute(
                select(
                    article_versions.c.status,
                    article_versions.c.reasons,
                    article_versions.c.tags,
                    article_versions.c.section,
                    article_versions.c.publish_at,
                ).where(
                    article_versions.c.article_id == article_id,
                    article_versions.c.version == head.current_version,
                )
            ).one()
            events = db.execute(
                select(
                    step_events.c.step, step_events.c.state, step_events.c.at, step_events.c.error
                )
                .where(
                    step_events.c.article_id == article_id,
                    step_events.c.version == head.current_version,
                )
                .order_by(step_events.c.id)
            ).all()
        return ArticleStatus(
            id=article_id,
            version=head.current_version,
            status=Status(row.status),
            reasons=list(row.reasons or []),
            steps=[StepEvent(e.step, e.state, aware(e.at), e.error) for e in events],
            live_version=head.live_version,
            tags=row.tags,
            section=row.section,
            publish_at=row.publish_at if row.status == Status.SCHEDULED.value else None,
        )

    def published(self, article_id: int) -> PublishedArticle | None:
        found = self._published(articles.c.id == article_id, limit=1)
        return found[0] if found else None

    def latest_published(self, limit: int, tag_slug: str | None = None) -> list[PublishedArticle]:
        """The newest live articles by first publication: an indexed LIMIT query, never a walk."""
        if tag_slug is None:
            return self._published(articles.c.live_version.is_not(None), limit)
        tagged = select(article_tags.c.article_id).where(article_tags.c.slug == tag_slug)
        return self._published(articles.c.id.in_(tagged), limit)

    def _published(self, condition: Any, limit: int) -> list[PublishedArticle]:
        with transaction(self.engine) as db:
            rows = db.execute(
                select(
                    articles.c.id,
                    articles.c.first_published_at,
                    article_versions.c.version,
                    article_versions.c.content,
                    article_versions.c.tags,
                    article_versions.c.section,
                    article_versions.c.source,
                    article_versions.c.published_at,
                )
                .join(article_versions, IS_LIVE_VERSION)
                .where(condition)
                .order_by(articles.c.first_published_at.desc(), articles.c.id.desc())
                .limit(limit)
            ).all()
            hidden = hidden_images(db, (r.id for r in rows))
        return [_to_published(r._mapping, hidden.get(r.id, {})) for r in rows]


def _to_published(m: Any, hidden: dict[int, str | None]) -> PublishedArticle:
    """The live version as readers get it: images readers have had hidden are marked so, as
    long as the image in that place is still the one they reported (`None`: reported before
    URLs were kept)."""
    content = CleanArticle.model_validate(m["content"])
    return PublishedArticle(
        id=m["id"],
        version=m["version"],
        title=content.title,
        paragraphs=content.paragraphs,
        tags=[Tag.model_validate(t) for t in m["tags"] or []],
        section=Section.model_validate(m["section"]) if m["section"] else None,
        images=[
            image.model_copy(update={"hidden": True})
            if index in hidden and hidden[index] in (None, image.url)
            else image
            for index, image in enumerate(content.images)
        ],
        source=SourceLink.model_validate(m["source"]),
        breaking=content.breaking,
        category=content.category,
        published_at=aware(m["first_published_at"]),
        updated_at=aware(m["published_at"] or m["first_published_at"]),
    )
