"""What the sweeper and operators need: stuck and failed versions, and replaying them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select, update

from pipeline.domain.states import IN_FLIGHT, STEP_INPUT, Status, Step
from pipeline.store.database import transaction, utcnow
from pipeline.store.events import record_event
from pipeline.store.records import Pending
from pipeline.store.schema import (
    IS_CURRENT_VERSION,
    article_versions,
    articles,
    outbox,
)
from pipeline.store.versions import compare_and_set


class SweepQueries:
    """The outbox and the versions in flight, as the sweeper, the dispatcher and replays see
    them: what it takes to send again what the broker lost."""

    engine: Engine

    def mark_dispatched(self, outbox_ids: list[int]) -> None:
        if not outbox_ids:
            return
        with transaction(self.engine) as db:
            db.execute(
                update(outbox)
                .where(outbox.c.id.in_(outbox_ids), outbox.c.dispatched_at.is_(None))
                .values(dispatched_at=utcnow())
            )

    def replay(self, article_id: int, version: int) -> Step | None:
        """Put a failed version back before the step that failed; returns that step."""
        now = utcnow()
        with transaction(self.engine) as db:
            failed_step = db.execute(
                select(article_versions.c.failed_step).where(
                    article_versions.c.article_id == article_id,
                    article_versions.c.version == version,
                    article_versions.c.status == Status.FAILED.value,
                )
            ).scalar_one_or_none()
            if failed_step is None:
                return None
            step = Step(failed_step)
            db.execute(
                update(article_versions)
                .where(
                    article_versions.c.article_id == article_id,
                    article_versions.c.version == version,
                    article_versions.c.status == Status.FAILED.value,
                )
                .values(status=STEP_INPUT[step].value, failed_step=None, updated_at=now)
            )
            record_event(db, article_id, version, step.value, "replayed", now)
        return step

    def failed(self, limit: int = 100) -> list[Pending]:
        with transaction(self.engine) as db:
            rows = db.execute(
                select(
                    article_versions.c.article_id,
                    article_versions.c.version,
                    article_versions.c.failed_step,
                )
                .where(article_versions.c.status == Status.FAILED.value)
                .order_by(article_versions.c.updated_at)
                .limit(limit)
            ).all()
        return [Pending(r.article_id, r.version, Step(r.failed_step)) for r in rows]

    # -- the sweeper --------------------------------------------------------------------------

    def release_due(self, now: datetime, limit: int) -> list[tuple[int, int]]:
        """Embargoes that have run out: each current `scheduled` version due by `now` goes back
        before publish (with its event) and is returned, for the caller to send to publish. A
        send that is lost is sent again like any stuck version."""
        with transaction(self.engine) as db:
            due = db.execute(
                select(article_versions.c.article_id, article_versions.c.version)
                .join(articles, IS_CURRENT_VERSION)
                .where(
                    article_versions.c.status == Status.SCHEDULED.value,
                    article_versions.c.publish_at <= now,
                )
                .order_by(article_versions.c.publish_at)
                .limit(limit)
            ).all()
            released: list[tuple[int, int]] = []
            for article_id, version in due:
                values = {"status": Status.SOURCED.value, "updated_at": now}
                if compare_and_set(db, article_id, version, Status.SCHEDULED, values):
                    record_event(db, article_id, version, "schedule", "released", now)
                    released.append((int(article_id), int(version)))
        return released

    def pending(self, older_than: datetime, limit: int = 500) -> list[Pending]:
        """Undispatched outbox rows and current versions stuck before a step, past a bound."""
        with transaction(self.engine) as db:
            rows = db.execute(
                select(outbox.c.id, outbox.c.article_id, outbox.c.version, outbox.c.step)
                .where(outbox.c.dispatched_at.is_(None), outbox.c.created_at < older_than)
                .order_by(outbox.c.id)
                .limit(limit)
            ).all()
            stuck = db.execute(
                select(
                    article_versions.c.article_id,
                    article_versions.c.version,
                    article_versions.c.status,
                    article_versions.c.breaking,
                )
                .join(articles, IS_CURRENT_VERSION)
                .where(
                    article_versions.c.status.in_([s.value for s in IN_FLIGHT]),
                    article_versions.c.updated_at < older_than,
                )
                .order_by(article_versions.c.updated_at)
                .limit(limit)
            ).all()
        found = [Pending(r.article_id, r.version, Step(r.step), r.id) for r in rows]
        seen = {(p.article_id, p.version) for p in found}
        for r in stuck:
            if (r.article_id, r.version) in seen:
                continue
            step = next(s for s, needed in STEP_INPUT.items() if needed.value == r.status)
            found.append(Pending(r.article_id, r.version, step, urgent=bool(r.breaking)))
        return found

    def touch(self, items: list[Pending]) -> None:
        """Restart the clock of versions just sent again, so the next sweep leaves them be."""
        now = utcnow()
        with transaction(self.engine) as db:
            for item in items:
                db.execute(
                    update(article_versions)
                    .where(
                        article_versions.c.article_id == item.article_id,
                        article_versions.c.version == item.version,
                        article_versions.c.status == STEP_INPUT[item.step].value,
                    )
                    .values(updated_at=now)
                )
