"""Listing entries: one row per live article, the fragments every listing is joined from.

Listings read the newest N by an index (all articles, one tag, one section), so they cost the
same at article 100,000 as at article 100.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    delete,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from pipeline.domain.models import ListingEntry
from pipeline.domain.moments import as_utc
from pipeline.domain.outputs import Output
from pipeline.store import rebuilds
from pipeline.store.database import reading, transaction, utcnow
from pipeline.store.outputs import put_each
from pipeline.store.schema import article_tags, metadata
from pipeline.store.versions import left_waiting, mark_live, waiting_to_go_live

log = logging.getLogger(__name__)

listing_entries = Table(
    "listing_entries",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id"), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("first_published_at", DateTime, nullable=False),
    Column("section", String(20), nullable=True),
    Column("breaking", Boolean, nullable=False, server_default="0"),
    Column("entry", JSON, nullable=False),
    Column("card_html", Text, nullable=False),
    Column("entry_html", Text, nullable=False),
    Column("rendered_at", DateTime, nullable=False),
)
"""`entry`: the entry's small fields (title, dates, tags, section, image, summary) as JSON."""
Index(
    "ix_listing_entries_newest", listing_entries.c.first_published_at, listing_entries.c.article_id
)
Index(
    "ix_listing_entries_section_newest",
    listing_entries.c.section,
    listing_entries.c.first_published_at,
    listing_entries.c.article_id,
)

_SMALL_FIELDS = {"card_html", "entry_html", "rendered_at"}


def put_entry(db: Connection, entry: ListingEntry) -> None:
    """Store the live version's fragments, in the caller's (publishing) transaction."""
    now = utcnow()
    values = {
        "article_id": entry.id,
        "version": entry.version,
        "first_published_at": entry.published_at.replace(tzinfo=None),
        "section": entry.section.name if entry.section else None,
        "breaking": entry.breaking,
        "entry": entry.model_dump(mode="json", exclude=_SMALL_FIELDS),
        "card_html": entry.card_html,
        "entry_html": entry.entry_html,
        "rendered_at": now,
    }
    db.execute(_upsert(db.dialect.name), values)


@functools.cache
def _upsert(dialect_name: str) -> Any:
    """Insert or replace by article, built once per dialect."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    statement = dialect.insert(listing_entries)
    replaced = [c.name for c in listing_entries.columns if c.name != "article_id"]
    return statement.on_conflict_do_update(
        index_elements=["article_id"], set_={name: statement.excluded[name] for name in replaced}
    )


def remove_entry(db: Connection, article_id: int) -> None:
    """Taken down: no listing built from now on can show it."""
    db.execute(delete(listing_entries).where(listing_entries.c.article_id == article_id))


def newest(
    db: Connection, limit: int, tag_slug: str | None = None, damaged: list[int] | None = None
) -> list[ListingEntry]:
    """The newest live entries by first publication, for one tag or for the whole site; the
    ids of rows that no longer read as entries go to `damaged`."""
    query = select(listing_entries)
    if tag_slug is None:
        query = query.order_by(
            listing_entries.c.first_published_at.desc(), listing_entries.c.article_id.desc()
        )
    else:
        query = (
            query.join(article_tags, article_tags.c.article_id == listing_entries.c.article_id)
            .where(article_tags.c.slug == tag_slug)
            .order_by(article_tags.c.first_published_at.desc(), article_tags.c.article_id.desc())
        )
    return _entries(db.execute(query.limit(limit)).all(), damaged)


def tag_members(
    db: Connection, slug: str, limit: int
) -> tuple[str, tuple[tuple[int, datetime], ...]]:
    """A tag's label and its newest entries as (article id, rendered at): what its page and
    feeds are made of, read without the fragments themselves."""
    rows = db.execute(
        select(article_tags.c.label, listing_entries.c.article_id, listing_entries.c.rendered_at)
        .join(listing_entries, listing_entries.c.article_id == article_tags.c.article_id)
        .where(article_tags.c.slug == slug)
        .order_by(article_tags.c.first_published_at.desc(), article_tags.c.article_id.desc())
        .limit(limit)
    ).all()
    if not rows:
        return "", ()
    return rows[0].label, tuple((int(r.article_id), r.rendered_at) for r in rows)


def _entries(rows: Iterable[Any], damaged: list[int] | None) -> list[ListingEntry]:
    """A row that no longer reads as an entry is left out of every listing: one damaged
    article must not keep the others off the home page."""
    entries = []
    for row in rows:
        try:
            entries.append(_entry(row._mapping))
        except ValidationError as exc:
            log.error(
                "listing entry unreadable, left out",
                extra={"article_id": row.article_id, "error": str(exc)[:500]},
            )
            if damaged is not None:
                damaged.append(int(row.article_id))
    return entries


def _entry(m: Any) -> ListingEntry:
    return ListingEntry.model_validate(
        {
            **m["entry"],
            "card_html": m["card_html"],
            "entry_html": m["entry_html"],
            "rendered_at": as_utc(m["rendered_at"]),
        }
    )


@dataclass(frozen=True)
class TagListing:
    label: str
    members: tuple[tuple[int, datetime], ...]
    entries: list[ListingEntry] | None
    """None when the members are the ones the caller already rendered."""
    damaged: list[int]
    """Articles whose entries could not be read: left out."""


class ListingStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def newest(self, limit: int, tag_slug: str | None = None) -> list[ListingEntry]:
        with reading(self.engine) as db:
            return newest(db, limit, tag_slug)

    def request(self, name: str, gap_seconds: float, urgent: bool = False) -> float | None:
        return rebuilds.request(self.engine, name, gap_seconds, urgent)

    def overdue(self, older_than: datetime) -> list[str]:
        return rebuilds.overdue(self.engine, older_than)

    def left_waiting(self, published_before: datetime) -> bool:
        with reading(self.engine) as db:
            return left_waiting(db, published_before)

    def rebuild(
        self, name: str, size: int, render: Callable[[list[ListingEntry]], list[Output]]
    ) -> tuple[list[tuple[int, int]], dict[str, str], list[int]]:
        """One coalesced rebuild: claim it (committed on its own, see `rebuilds`), then in one
        transaction under the rebuild's lock read who waits to go live, then
        the newest `size` entries (which hold every one of them), write what `render` makes of
        them, and move those versions to `live`. Returns the versions that went live, and the
        outputs the database refused, each written apart so that one refusal spoils no other,
        and the articles whose entries could not be read."""
        started = time.monotonic()
        damaged: list[int] = []
        rebuilds.claim(self.engine, name)
        with transaction(self.engine) as db:
            rebuilds.serialise(db, name)
            waiting = waiting_to_go_live(db)
            refused = put_each(db, render(newest(db, size, damaged=damaged)))
            went_live = mark_live(db, waiting)
        rebuilds.done(self.engine, name, time.monotonic() - started)
        return went_live, refused, damaged

    def tag(
        self, slug: str, size: int, rendered: tuple[tuple[int, datetime], ...] | None
    ) -> TagListing | None:
        """A tag's newest entries; their fragments only when they are not the `rendered` ones.
        None when no live article carries the tag."""
        with reading(self.engine) as db:
            label, members = tag_members(db, slug, size)
            if not members:
                return None
            if members == rendered:
                return TagListing(label, members, None, [])
            damaged: list[int] = []
            return TagListing(label, members, newest(db, size, slug, damaged), damaged)
