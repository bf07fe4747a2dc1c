"""Taking an article down: every version stops in `unpublished`, and the sweeper rewrites the
views without it.

The database changes at once, in one transaction: a step still running on any version fails
its compare-and-set and stops, and every view rebuilt from then on leaves the article out. The
files already written (its page, the listings that hold it) are rewritten by whoever comes
first: the `nashr unpublish` command itself, or the sweeper, which finds `takedown_due_since`
set.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select, update

from pipeline.models import Tag
from pipeline.states import TAKEN_DOWN_FROM, Status
from pipeline.store.database import transaction, utcnow
from pipeline.store.events import record_event
from pipeline.store.schema import article_tags, article_versions, articles, outbox
from pipeline.store.versions import compare_and_set

TAKEDOWN_STEP = "unpublish"
"""The step name its events carry in an article's history."""


class TakedownQueries:
    engine: Engine

    def unpublish(self, article_id: int) -> int | None:
        """Move every version that is live, on its way or failed to `unpublished`.

        Returns how many moved (0: there was nothing to take down), or None when there is no
        such article.
        """
        now = utcnow()
        with transaction(self.engine) as db:
            exists = db.execute(
                select(articles.c.id).where(articles.c.id == article_id)
            ).scalar_one_or_none()
            if exists is None:
                return None
            versions = db.execute(
                select(article_versions.c.version, article_versions.c.status).where(
                    article_versions.c.article_id == article_id,
                    article_versions.c.status.in_([s.value for s in TAKEN_DOWN_FROM]),
                )
            ).all()
            moved = 0
            for version, status in versions:
                values = {"status": Status.UNPUBLISHED.value, "updated_at": now}
                if compare_and_set(db, article_id, version, Status(status), values):
                    record_event(db, article_id, version, TAKEDOWN_STEP, "done", now)
                    moved += 1
            if moved:
                db.execute(
                    update(articles)
                    .where(articles.c.id == article_id)
                    .values(live_version=None, takedown_due_since=now, updated_at=now)
                )
                # a first step not yet sent has nothing left to do: the sweeper skips it
                db.execute(
                    update(outbox)
                    .where(outbox.c.article_id == article_id, outbox.c.dispatched_at.is_(None))
                    .values(dispatched_at=now)
                )
        return moved

    def takedowns_due(self, limit: int) -> list[tuple[int, datetime]]:
        """Articles taken down whose files have not been rewritten yet, and since when."""
        with transaction(self.engine) as db:
            rows = db.execute(
                select(articles.c.id, articles.c.takedown_due_since)
                .where(articles.c.takedown_due_since.is_not(None))
                .order_by(articles.c.id)
                .limit(limit)
            ).all()
        return [(int(article_id), since) for article_id, since in rows]

    def listed_tags(self, article_id: int) -> list[Tag]:
        """The tags the article is, or was last, listed under: the live version's tags, kept
        after a takedown so their pages can drop it."""
        with transaction(self.engine) as db:
            rows = db.execute(
                select(article_tags.c.label, article_tags.c.slug, article_tags.c.kind).where(
                    article_tags.c.article_id == article_id
                )
            ).all()
        return [Tag(label=label, slug=slug, kind=kind) for label, slug, kind in rows]

    def takedown_done(self, article_id: int, since: datetime) -> None:
        """The files are rewritten for the takedown of `since`; a later one stays due."""
        with transaction(self.engine) as db:
            db.execute(
                update(articles)
                .where(articles.c.id == article_id, articles.c.takedown_due_since == since)
                .values(takedown_due_since=None)
            )
