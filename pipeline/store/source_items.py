"""Items seen in sources, each kept once, and each submitted with its record in one transaction.

An item is found by (source, GUID) or, failing that, by its normalised link (one story in two
feeds of one outlet). A new item's row and its article version (with the outbox row) commit
together: a fetch killed between two items has submitted each item it recorded and recorded
each item it submitted. Unique keys make two fetches racing on one item submit it once; a
changed item moves its content hash by compare-and-set, so it becomes one new version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, Engine, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from pipeline.domain.models import Submission
from pipeline.store.articles import Accepted, accept_in
from pipeline.store.database import reading, transaction, utcnow
from pipeline.store.source_tables import source_items


class ItemState(StrEnum):
    PUBLISHED = "published"
    BASELINE = "baseline"
    """On the feed before the source's first fetch (or dated before it): not back-filled."""
    CANCELED = "canceled"
    SKIPPED = "skipped"
    """Nothing publishable in it (no text): kept so it is not read again."""


@dataclass(frozen=True)
class SeenItem:
    id: int
    source: str
    guid_key: str
    link_key: str | None
    external_id: str
    article_id: int | None
    content_hash: str
    raw_hash: str | None
    state: ItemState


@dataclass(frozen=True)
class ItemKeys:
    source: str
    guid_key: str
    link_key: str | None
    external_id: str
    content_hash: str
    raw_hash: str
    published_at: datetime | None


class Seen:
    """The items of one fetch already known, found by one query."""

    def __init__(self, source: str, rows: list[SeenItem]) -> None:
        self._by_guid = {r.guid_key: r for r in rows if r.source == source}
        self._by_link = {r.link_key: r for r in rows if r.link_key is not None}

    def get(self, guid_key: str, link_key: str | None) -> SeenItem | None:
        """The source's own row first, then one found through the link (another feed)."""
        found = self._by_guid.get(guid_key)
        if found is None and link_key is not None:
            found = self._by_link.get(link_key)
        return found


class SourceItems:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def seen(self, source: str, keys: list[tuple[str, str | None]]) -> Seen:
        """Every known item among `keys` ((GUID digest, link digest) pairs), in one query."""
        guids = sorted({guid for guid, _ in keys})
        links = sorted({link for _, link in keys if link is not None})
        condition: ColumnElement[bool] = (source_items.c.source == source) & (
            source_items.c.guid_key.in_(guids)
        )
        if links:
            condition = or_(condition, source_items.c.link_key.in_(links))
        with reading(self.engine) as db:
            rows = db.execute(select(source_items).where(condition)).all() if guids else []
        items = [
            SeenItem(
                id=int(row.id),
                source=row.source,
                guid_key=row.guid_key,
                link_key=row.link_key,
                external_id=row.external_id,
                article_id=row.article_id,
                content_hash=row.content_hash,
                raw_hash=row.raw_hash,
                state=ItemState(row.state),
            )
            for row in rows
        ]
        return Seen(source, items)

    def record(self, keys: ItemKeys, state: ItemState) -> bool:
        """An item kept without an article (baseline, canceled, skipped); False when another
        fetch recorded it first."""
        try:
            with transaction(self.engine) as db:
                db.execute(insert(source_items).values(_row(keys, state, None, utcnow())))
        except IntegrityError:
            return False
        return True

    def submit_new(self, keys: ItemKeys, submission: Submission) -> Accepted | None:
        """The item's row and its first version, both or neither; None when another fetch
        took the item first."""
        now = utcnow()
        try:
            with transaction(self.engine) as db:
                accepted = accept_in(db, submission, now)
                db.execute(
                    insert(source_items).values(_row(keys, ItemState.PUBLISHED, accepted.id, now))
                )
        except IntegrityError:
            return None
        return accepted

    def submit_change(
        self, item: SeenItem, new_hash: str, raw_hash: str, submission: Submission
    ) -> Accepted | None:
        """A new version of the item's article, if its hash is still the one read."""
        now = utcnow()
        with transaction(self.engine) as db:
            moved = db.execute(
                update(source_items)
                .where(
                    source_items.c.id == item.id, source_items.c.content_hash == item.content_hash
                )
                .values(
                    content_hash=new_hash,
                    raw_hash=raw_hash,
                    last_seen_at=now,
                    state=ItemState.PUBLISHED.value,
                )
            ).rowcount
            if moved != 1:
                return None
            accepted = accept_in(db, submission, now)
            if item.article_id is None:
                db.execute(
                    update(source_items)
                    .where(source_items.c.id == item.id)
                    .values(article_id=accepted.id)
                )
        return accepted

    def note_change(
        self, item: SeenItem, new_hash: str, raw_hash: str, state: ItemState | None = None
    ) -> bool:
        """A change kept without publishing (a baseline item edited, an item canceled, markup
        that changed where readers would see no difference)."""
        values: dict[str, object] = {
            "content_hash": new_hash,
            "raw_hash": raw_hash,
            "last_seen_at": utcnow(),
        }
        if state is not None:
            values["state"] = state.value
        with transaction(self.engine) as db:
            moved = db.execute(
                update(source_items)
                .where(
                    source_items.c.id == item.id, source_items.c.content_hash == item.content_hash
                )
                .values(values)
            ).rowcount
        return moved == 1


def _row(
    keys: ItemKeys, state: ItemState, article_id: int | None, now: datetime
) -> dict[str, object]:
    return {
        "source": keys.source,
        "guid_key": keys.guid_key,
        "link_key": keys.link_key,
        "external_id": keys.external_id,
        "article_id": article_id,
        "content_hash": keys.content_hash,
        "raw_hash": keys.raw_hash,
        "state": state.value,
        "published_at": keys.published_at,
        "first_seen_at": now,
        "last_seen_at": now,
    }
