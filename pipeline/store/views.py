"""Reads for readers and editors: an article's status, and the live articles for views."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from pipeline.domain.errors import TransientError
from pipeline.domain.models import Section, Tag
from pipeline.domain.moments import as_utc
from pipeline.domain.states import Status
from pipeline.store.database import reading
from pipeline.store.records import ArticleStatus, StepEvent
from pipeline.store.schema import (
    IS_CURRENT_VERSION,
    article_versions,
    articles,
    step_events,
)


class ViewQueries:
    """Listings query the newest N by an index: as cheap at article 100,000 as at article 100."""

    engine: Engine

    def count_by_status(self) -> dict[str, int]:
        """Current versions per status: where the work piles up."""
        with reading(self.engine) as db:
            rows = db.execute(
                select(article_versions.c.status, func.count())
                .join(articles, IS_CURRENT_VERSION)
                .group_by(article_versions.c.status)
            ).all()
        return {row[0]: int(row[1]) for row in rows}

    def ping(self) -> bool:
        try:
            with reading(self.engine) as db:
                db.execute(select(1))
        except TransientError:
            return False
        return True

    # -- reads --------------------------------------------------------------------------------

    def status(self, article_id: int) -> ArticleStatus | None:
        with reading(self.engine) as db:
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
                    step_events.c.step,
                    step_events.c.state,
                    step_events.c.at,
                    step_events.c.error,
                    step_events.c.worker,
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
            steps=[StepEvent(e.step, e.state, as_utc(e.at), e.error, e.worker) for e in events],
            live_version=head.live_version,
            tags=[Tag.model_validate(t) for t in row.tags or []],
            section=Section.model_validate(row.section) if row.section else None,
            publish_at=row.publish_at if row.status == Status.SCHEDULED.value else None,
        )
