"""The publish step's writes: the state move, the live version, its outputs and listing entry,
all in one transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import DatabaseError, OperationalError

from pipeline.domain.errors import PermanentError
from pipeline.domain.models import ListingEntry, Tag
from pipeline.domain.outputs import Output
from pipeline.domain.search import SearchDocument
from pipeline.domain.states import Status, Step
from pipeline.store.articles import ArticleStore
from pipeline.store.browse import remember_tags
from pipeline.store.database import reading, transaction, utcnow
from pipeline.store.listings import put_entry
from pipeline.store.output_failures import OutputFailures
from pipeline.store.outputs import put
from pipeline.store.records import VersionRecord
from pipeline.store.reports import hidden_images
from pipeline.store.schema import article_tags, article_versions, articles
from pipeline.store.search import index_document
from pipeline.store.versions import move_with_event

_SHOW = (
    update(articles)
    .where(
        articles.c.id == bindparam("key_article"),
        or_(articles.c.live_version.is_(None), articles.c.live_version < bindparam("key_version")),
    )
    .values(
        live_version=bindparam("key_version"),
        first_published_at=func.coalesce(articles.c.first_published_at, bindparam("first")),
        updated_at=bindparam("now"),
    )
    .returning(articles.c.first_published_at)
)
_CLEAR_TAGS = delete(article_tags).where(article_tags.c.article_id == bindparam("key_article"))
_ADD_TAGS = insert(article_tags)
"""Built once: the publish step runs them for every article."""


def show_version(
    db: Connection, article_id: int, version: int, first: datetime, tags: list[Tag]
) -> bool:
    """The article now shows this version: its first publication time never moves, and its tag
    rows are the live version's. A version older than the live one changes nothing readers
    see: False."""
    unique = list({tag.slug: tag for tag in tags}.values())
    parameters = {
        "key_article": article_id,
        "key_version": version,
        "first": _naive(first),
        "now": utcnow(),
    }
    if db.dialect.name == "postgresql":
        shown = db.execute(
            _SHOW_WITH_TAGS,
            parameters
            | {
                "slugs": [t.slug for t in unique],
                "labels": [t.label for t in unique],
                "kinds": [t.kind for t in unique],
            },
        ).first()
        return shown is not None
    first_published = db.execute(_SHOW, parameters).scalar()
    if first_published is None:
        return False
    db.execute(_CLEAR_TAGS, {"key_article": article_id})
    remember_tags(db, [t.slug for t in unique])
    if unique:
        db.execute(
            _ADD_TAGS,
            [
                {
                    "article_id": article_id,
                    "slug": t.slug,
                    "label": t.label,
                    "kind": t.kind,
                    "first_published_at": first_published,
                }
                for t in unique
            ],
        )
    return True


_SHOW_WITH_TAGS = text(
    """
    WITH shown AS (
        UPDATE articles
        SET live_version = :key_version,
            first_published_at = coalesce(first_published_at, :first),
            updated_at = :now
        WHERE id = :key_article AND (live_version IS NULL OR live_version < :key_version)
        RETURNING first_published_at
    ), wanted AS (
        SELECT * FROM unnest(CAST(:slugs AS text[]), CAST(:labels AS text[]),
                             CAST(:kinds AS text[])) AS tag (slug, label, kind)
    ), cleared AS (
        DELETE FROM article_tags
        WHERE article_id = :key_article AND EXISTS (SELECT FROM shown)
          AND slug <> ALL (CAST(:slugs AS text[]))
    ), known AS (
        INSERT INTO known_tags (slug, first_seen)
        SELECT slug, :now FROM wanted WHERE EXISTS (SELECT FROM shown)
        ON CONFLICT (slug) DO NOTHING
    ), added AS (
        INSERT INTO article_tags (article_id, slug, label, kind, first_published_at)
        SELECT :key_article, wanted.slug, wanted.label, wanted.kind, shown.first_published_at
        FROM wanted, shown
        ON CONFLICT (article_id, slug) DO UPDATE SET
            label = excluded.label, kind = excluded.kind,
            first_published_at = excluded.first_published_at
    )
    SELECT first_published_at FROM shown
    """
)
"""`show_version` in one statement on PostgreSQL, where it was four round trips (the move, the
delete, the two inserts, each of those running once a tag): the move of the live version, then,
only if it moved, the tag rows made the new version's. The old rows are deleted only where the
new version has no tag of that slug, and the others are updated in place: within one statement,
a row deleted and inserted again would collide with itself."""


def _naive(moment: datetime) -> datetime:
    """Timestamps are stored as naive UTC on both databases."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


class _Refused(Exception):
    def __init__(self, outputs: dict[str, str]) -> None:
        self.outputs = outputs


class PublishStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.articles = ArticleStore(engine)
        self.failures = OutputFailures(engine)

    def hidden_images(self, article_id: int) -> dict[int, str | None]:
        """Images of this article readers have had hidden, by index (see `reports.py`)."""
        with reading(self.engine) as db:
            return hidden_images(db, [article_id]).get(article_id, {})

    def publish(
        self,
        record: VersionRecord,
        first: datetime,
        outputs: list[Output],
        entry: ListingEntry,
        document: SearchDocument | None = None,
    ) -> bool:
        """`sourced` → `published` with its event; if the version is newer than the live one,
        it becomes the live one and its outputs, entry and search row are written, all or
        nothing."""
        try:
            return self._publish(record, first, outputs, entry, utcnow(), document)
        except _Refused as refused:
            for path, error in refused.outputs.items():
                self.failures.record(path, error, record.article_id)
            path, error = next(iter(refused.outputs.items()))
            raise PermanentError(f"{path} was refused: {error}") from None

    def _publish(
        self,
        record: VersionRecord,
        first: datetime,
        outputs: list[Output],
        entry: ListingEntry,
        now: datetime,
        document: SearchDocument | None,
    ) -> bool:
        key = (record.article_id, record.version)
        with transaction(self.engine) as db:
            # `published_at` goes with the move: the common case needs no second update
            values: dict[str, Any] = {
                "status": Status.PUBLISHED.value,
                "updated_at": now,
                "published_at": now,
            }
            event = (Step.PUBLISH.value, "done", now, None)
            if not move_with_event(db, key, Status.SOURCED, values, event):
                return False
            if show_version(db, *key, first, record.tags or []):
                try:
                    put(db, outputs, record.article_id)
                except OperationalError:
                    raise
                except DatabaseError as exc:  # its own page: nothing of this publish may stand
                    error = f"{type(exc.orig).__name__}: {exc.orig}"[:2000]
                    raise _Refused({o.path: error for o in outputs}) from None
                put_entry(db, entry)
                if document is not None:
                    index_document(db, document, _naive(first))
            else:  # older than the live version: it was never the one readers saw
                db.execute(
                    update(article_versions)
                    .where(
                        article_versions.c.article_id == record.article_id,
                        article_versions.c.version == record.version,
                    )
                    .values(published_at=None)
                )
        return True

    def live_record(self, article_id: int) -> VersionRecord | None:
        with reading(self.engine) as db:
            live = db.execute(
                select(articles.c.live_version).where(articles.c.id == article_id)
            ).scalar()
        return self.articles.load(article_id, live) if live is not None else None

    def rewrite(
        self,
        record: VersionRecord,
        outputs: list[Output],
        entry: ListingEntry,
        document: SearchDocument | None = None,
    ) -> bool:
        """Replace the live version's outputs, entry and search row, if it is still the live
        one."""
        with transaction(self.engine) as db:
            live = db.execute(
                select(articles.c.live_version)
                .where(articles.c.id == record.article_id)
                .with_for_update()
            ).scalar()
            if live != record.version:
                return False
            put(db, outputs, record.article_id)
            put_entry(db, entry)
            if document is not None and record.first_published_at is not None:
                index_document(db, document, _naive(record.first_published_at))
        return True
