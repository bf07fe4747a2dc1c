"""Taking an article down: every version stops in `unpublished`, its page and JSON answer
410 Gone, its listing entry goes, and the site's listings are due for a rebuild, all in one
transaction.

A step still running on any version fails its compare-and-set and stops; every listing built
from then on leaves the article out; the pages of other articles never held its headline (the
ticker goes into them as they are served), so within one rebuild nothing served carries it.
"""

from __future__ import annotations

from sqlalchemy import Engine, select, update

from pipeline.domain.outputs import Output
from pipeline.domain.states import TAKEN_DOWN_FROM, Status
from pipeline.store import rebuilds
from pipeline.store.database import transaction, utcnow
from pipeline.store.events import record_event
from pipeline.store.listings import remove_entry
from pipeline.store.outputs import put
from pipeline.store.schema import article_versions, articles, outbox
from pipeline.store.search import remove_document
from pipeline.store.versions import compare_and_set

TAKEDOWN_STEP = "unpublish"
"""The step name its events carry in an article's history."""


class TakedownQueries:
    engine: Engine

    def unpublish(self, article_id: int, gone: list[Output]) -> tuple[int, float | None] | None:
        """Move every version that is live, on its way or failed to `unpublished`, and put
        `gone` (the 410 answers) where its page and JSON were.

        Returns how many versions moved (0: there was nothing to take down) and, when a site
        rebuild must be sent, its delay; None when there is no such article.
        """
        now = utcnow()
        with transaction(self.engine) as db:
            head = db.execute(
                select(articles.c.live_version).where(articles.c.id == article_id)
            ).first()
            if head is None:
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
                    .values(live_version=None, updated_at=now)
                )
                if head.live_version is not None:  # readers had a page: it answers 410 now
                    put(db, gone, article_id)
                remove_entry(db, article_id)
                remove_document(db, article_id)
                # a first step not yet sent has nothing left to do: the sweeper skips it
                db.execute(
                    update(outbox)
                    .where(outbox.c.article_id == article_id, outbox.c.dispatched_at.is_(None))
                    .values(dispatched_at=now)
                )
        # asked for once the takedown has committed, so the rebuild's reads come after it (see
        # `pipeline/store/rebuilds.py`); again on a repeat, in case the first ask was lost
        due = rebuilds.request(self.engine, rebuilds.SITE, 0.0, urgent=True)
        return moved, due
