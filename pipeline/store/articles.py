"""Article versions in the database: accept, load, advance by compare-and-set, read for views."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from pipeline.errors import TransientError
from pipeline.models import (
    CleanArticle,
    Image,
    PublishedArticle,
    SourceLink,
    Submission,
    Tag,
)
from pipeline.states import IN_FLIGHT, STEP_INPUT, Status, Step, can_move
from pipeline.store.database import transaction, utcnow
from pipeline.store.schema import article_tags, article_versions, articles, outbox, step_events


@dataclass(frozen=True)
class Accepted:
    id: int
    version: int
    status: Status
    outbox_id: int


@dataclass(frozen=True)
class VersionRecord:
    """One article version as a step sees it, with the article's current and live versions."""

    article_id: int
    version: int
    status: Status
    current_version: int
    live_version: int | None
    first_published_at: datetime | None
    submission: dict[str, Any]
    content: dict[str, Any] | None
    tags: list[dict[str, Any]] | None
    source: dict[str, Any] | None
    reasons: list[str] | None
    failed_step: str | None
    updated_at: datetime

    @property
    def stale(self) -> bool:
        """A newer version exists: this one must change nothing a reader sees."""
        return self.version != self.current_version


@dataclass(frozen=True)
class StepEvent:
    step: str
    state: str
    at: datetime
    error: str | None


@dataclass(frozen=True)
class ArticleStatus:
    id: int
    version: int
    status: Status
    reasons: list[str]
    steps: list[StepEvent] = field(default_factory=list)
    live_version: int | None = None
    tags: list[dict[str, Any]] | None = None


@dataclass(frozen=True)
class Pending:
    """An outbox row or a stuck version: something the sweeper must send again."""

    article_id: int
    version: int
    step: Step
    outbox_id: int | None = None


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


class ArticleStore:
    """All reads and writes of articles; every write is one transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- ingest -------------------------------------------------------------------------------

    def accept(self, submission: Submission) -> Accepted:
        """Store a new version and its outbox row together: both or neither."""
        now = utcnow()
        payload = submission.model_dump(mode="json")
        with transaction(self.engine) as db:
            article_id = self._claim_article(db, submission.external_id, now)
            version = db.execute(
                update(articles)
                .where(articles.c.id == article_id)
                .values(current_version=articles.c.current_version + 1, updated_at=now)
                .returning(articles.c.current_version)
            ).scalar_one()
            db.execute(
                insert(article_versions).values(
                    article_id=article_id,
                    version=version,
                    status=Status.RECEIVED.value,
                    submission=payload,
                    breaking=submission.breaking,
                    created_at=now,
                    updated_at=now,
                )
            )
            self._event(db, article_id, version, "ingest", "done", now)
            outbox_id = db.execute(
                insert(outbox)
                .values(
                    article_id=article_id, version=version, step=Step.VALIDATE.value, created_at=now
                )
                .returning(outbox.c.id)
            ).scalar_one()
        return Accepted(article_id, version, Status.RECEIVED, outbox_id)

    def _claim_article(self, db: Any, external_id: str | None, now: datetime) -> int:
        values = {"external_id": external_id, "current_version": 0, "created_at": now}
        if external_id is None:
            return int(
                db.execute(
                    insert(articles).values(**values, updated_at=now).returning(articles.c.id)
                ).scalar_one()
            )
        dialect = postgresql if db.dialect.name == "postgresql" else sqlite
        db.execute(
            dialect.insert(articles)
            .values(**values, updated_at=now)
            .on_conflict_do_nothing(index_elements=["external_id"])
        )
        return int(
            db.execute(
                select(articles.c.id).where(articles.c.external_id == external_id).with_for_update()
            ).scalar_one()
        )

    def mark_dispatched(self, outbox_ids: list[int]) -> None:
        if not outbox_ids:
            return
        with transaction(self.engine) as db:
            db.execute(
                update(outbox)
                .where(outbox.c.id.in_(outbox_ids), outbox.c.dispatched_at.is_(None))
                .values(dispatched_at=utcnow())
            )

    # -- steps --------------------------------------------------------------------------------

    def load(self, article_id: int, version: int) -> VersionRecord | None:
        with transaction(self.engine) as db:
            row = db.execute(
                select(
                    article_versions,
                    articles.c.current_version,
                    articles.c.live_version,
                    articles.c.first_published_at,
                )
                .join(articles, articles.c.id == article_versions.c.article_id)
                .where(
                    article_versions.c.article_id == article_id,
                    article_versions.c.version == version,
                )
            ).first()
        if row is None:
            return None
        m = row._mapping
        return VersionRecord(
            article_id=m["article_id"],
            version=m["version"],
            status=Status(m["status"]),
            current_version=m["current_version"],
            live_version=m["live_version"],
            first_published_at=m["first_published_at"],
            submission=m["submission"],
            content=m["content"],
            tags=m["tags"],
            source=m["source"],
            reasons=m["reasons"],
            failed_step=m["failed_step"],
            updated_at=m["updated_at"],
        )

    def advance(
        self,
        article_id: int,
        version: int,
        step: Step,
        target: Status,
        **fields: Any,
    ) -> bool:
        """Move a version out of its step's input status, with its step event; False if raced."""
        source_status = STEP_INPUT[step]
        if not can_move(source_status, target):
            raise ValueError(f"{source_status} cannot move to {target}")
        now = utcnow()
        with transaction(self.engine) as db:
            moved = db.execute(
                update(article_versions)
                .where(
                    article_versions.c.article_id == article_id,
                    article_versions.c.version == version,
                    article_versions.c.status == source_status.value,
                )
                .values(status=target.value, updated_at=now, **fields)
            ).rowcount
            if moved != 1:
                return False
            state = "rejected" if target == Status.REJECTED else "done"
            error = "; ".join(fields.get("reasons") or []) or None
            self._event(db, article_id, version, step.value, state, now, error)
            if target == Status.PUBLISHED:
                self._go_live(db, article_id, version, now)
        return True

    def _go_live(self, db: Any, article_id: int, version: int, now: datetime) -> None:
        """The article now shows this version; its first publication time never moves."""
        db.execute(
            update(articles)
            .where(
                articles.c.id == article_id,
                or_(articles.c.live_version.is_(None), articles.c.live_version < version),
            )
            .values(
                live_version=version,
                first_published_at=func.coalesce(articles.c.first_published_at, now),
                updated_at=now,
            )
        )
        db.execute(
            update(article_versions)
            .where(
                article_versions.c.article_id == article_id,
                article_versions.c.version == version,
            )
            .values(published_at=now)
        )
        tags = db.execute(
            select(article_versions.c.tags).where(
                article_versions.c.article_id == article_id,
                article_versions.c.version == version,
            )
        ).scalar_one()
        db.execute(delete(article_tags).where(article_tags.c.article_id == article_id))
        unique = {tag["slug"]: tag for tag in tags or []}
        if unique:
            db.execute(
                insert(article_tags),
                [
                    {
                        "article_id": article_id,
                        "slug": t["slug"],
                        "label": t["label"],
                        "kind": t["kind"],
                    }
                    for t in unique.values()
                ],
            )

    def record_retry(self, article_id: int, version: int, step: Step, error: str) -> None:
        with transaction(self.engine) as db:
            self._event(db, article_id, version, step.value, "retrying", utcnow(), error)

    def fail(self, article_id: int, version: int, step: Step, error: str) -> bool:
        """Retries are exhausted: park the version in `failed`, replayable by an operator."""
        now = utcnow()
        with transaction(self.engine) as db:
            moved = db.execute(
                update(article_versions)
                .where(
                    article_versions.c.article_id == article_id,
                    article_versions.c.version == version,
                    article_versions.c.status == STEP_INPUT[step].value,
                )
                .values(status=Status.FAILED.value, failed_step=step.value, updated_at=now)
            ).rowcount
            if moved == 1:
                self._event(db, article_id, version, step.value, "failed", now, error[:2000])
        return moved == 1

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
            self._event(db, article_id, version, step.value, "replayed", now)
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
                )
                .join(
                    articles,
                    and_(
                        articles.c.id == article_versions.c.article_id,
                        articles.c.current_version == article_versions.c.version,
                    ),
                )
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
            found.append(Pending(r.article_id, r.version, step))
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

    @staticmethod
    def _event(
        db: Any,
        article_id: int,
        version: int,
        step: str,
        state: str,
        at: datetime,
        error: str | None = None,
    ) -> None:
        db.execute(
            insert(step_events).values(
                article_id=article_id, version=version, step=step, state=state, at=at, error=error
            )
        )

    def count_by_status(self) -> dict[str, int]:
        """Current versions per status: where the work piles up."""
        with transaction(self.engine) as db:
            rows = db.execute(
                select(article_versions.c.status, func.count())
                .join(
                    articles,
                    and_(
                        articles.c.id == article_versions.c.article_id,
                        articles.c.current_version == article_versions.c.version,
                    ),
                )
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
                    article_versions.c.status, article_versions.c.reasons, article_versions.c.tags
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
            steps=[StepEvent(e.step, e.state, _aware(e.at), e.error) for e in events],
            live_version=head.live_version,
            tags=row.tags,
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
                    article_versions.c.source,
                    article_versions.c.published_at,
                )
                .join(
                    article_versions,
                    and_(
                        article_versions.c.article_id == articles.c.id,
                        article_versions.c.version == articles.c.live_version,
                    ),
                )
                .where(condition)
                .order_by(articles.c.first_published_at.desc(), articles.c.id.desc())
                .limit(limit)
            ).all()
        return [_to_published(r._mapping) for r in rows]


def _to_published(m: Any) -> PublishedArticle:
    content = CleanArticle.model_validate(m["content"])
    return PublishedArticle(
        id=m["id"],
        version=m["version"],
        title=content.title,
        paragraphs=content.paragraphs,
        tags=[Tag.model_validate(t) for t in m["tags"] or []],
        images=[Image.model_validate(i) for i in content.images],
        source=SourceLink.model_validate(m["source"]),
        breaking=content.breaking,
        category=content.category,
        published_at=_aware(m["first_published_at"]),
        updated_at=_aware(m["published_at"] or m["first_published_at"]),
    )
