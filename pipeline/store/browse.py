"""What readers browse and crawlers index, read by index: one page of a listing (the site, a
tag or a section, newest first or older than a given article), and the sitemaps' rows.

Older pages are addressed by the article they continue after, so a page's address and content
stay put however much is published later; each read costs one index range, whatever the
archive's size.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    String,
    Table,
    and_,
    func,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from pipeline.domain.models import ListingEntry
from pipeline.store.database import reading, utcnow
from pipeline.store.listings import _entries, listing_entries
from pipeline.store.schema import article_tags, articles, metadata

known_tags = Table(
    "known_tags",
    metadata,
    Column("slug", String(120), primary_key=True),
    Column("first_seen", DateTime, nullable=False),
)
"""Every tag that ever had a page: one no live article carries any more is gone (410), not
unknown (404)."""

Members = tuple[tuple[int, datetime], ...]


@dataclass(frozen=True)
class Scope:
    """Which listing: the whole site, one tag or one section."""

    tag: str | None = None
    section: str | None = None


@dataclass(frozen=True)
class Page:
    label: str
    """The tag's label as readers see it ("" for the site and sections)."""
    members: Members
    """(article id, rendered at) of the page's entries: what its output is made of."""
    more: bool
    """Older entries exist past this page."""
    entries: list[ListingEntry] | None
    """None when the members are the ones the caller already rendered."""
    damaged: list[int]


def remember_tags(db: Connection, slugs: list[str]) -> None:
    """In the publishing transaction: these tags have pages from now on."""
    if slugs:
        now = utcnow()
        db.execute(_insert_new(db.dialect.name), [{"slug": s, "first_seen": now} for s in slugs])


@functools.cache
def _insert_new(dialect_name: str) -> Any:
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    return dialect.insert(known_tags).on_conflict_do_nothing(index_elements=["slug"])


def _ordered(scope: Scope, columns: list[Any]) -> tuple[Any, Any, Any]:
    """The query for a scope, and the (time, id) columns its index orders by."""
    if scope.tag is not None:
        query = (
            select(*columns)
            .join(article_tags, article_tags.c.article_id == listing_entries.c.article_id)
            .where(article_tags.c.slug == scope.tag)
        )
        return query, article_tags.c.first_published_at, article_tags.c.article_id
    query = select(*columns).select_from(listing_entries)
    if scope.section is not None:
        query = query.where(listing_entries.c.section == scope.section)
    return query, listing_entries.c.first_published_at, listing_entries.c.article_id


def _before(db: Connection, query: Any, at: Any, key: Any, older_than: int | None) -> Any:
    """Entries strictly older than article `older_than` (which may itself be gone since);
    None when there is no such article."""
    if older_than is None:
        return query
    moment = db.execute(
        select(articles.c.first_published_at).where(articles.c.id == older_than)
    ).scalar()
    if moment is None:
        return None
    return query.where(or_(at < moment, and_(at == moment, key < older_than)))


class BrowseStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def page(
        self,
        scope: Scope,
        size: int,
        older_than: int | None,
        rendered: Members | None,
    ) -> Page | None:
        """One page of a listing; its fragments only when its members are not `rendered`.
        None when `older_than` names no published article."""
        columns = [listing_entries.c.article_id, listing_entries.c.rendered_at]
        if scope.tag is not None:
            columns.append(article_tags.c.label)
        with reading(self.engine) as db:
            query, at, key = _ordered(scope, columns)
            query = _before(db, query, at, key, older_than)
            if query is None:
                return None
            rows = db.execute(query.order_by(at.desc(), key.desc()).limit(size + 1)).all()
            more, rows = len(rows) > size, rows[:size]
            members = tuple((int(r.article_id), r.rendered_at) for r in rows)
            label = rows[0].label if rows and scope.tag is not None else ""
            if not members or members == rendered:
                return Page(label, members, more, None, [])
            full, at, key = _ordered(scope, [listing_entries])
            wanted = [article_id for article_id, _ in members]
            found = db.execute(
                full.where(listing_entries.c.article_id.in_(wanted)).order_by(at.desc(), key.desc())
            ).all()
            damaged: list[int] = []
            return Page(label, members, more, _entries(found, damaged), damaged)

    def tag_known(self, slug: str) -> bool:
        with reading(self.engine) as db:
            return (
                db.execute(select(known_tags.c.slug).where(known_tags.c.slug == slug)).first()
                is not None
            )

    def months(self) -> list[tuple[str, int, datetime]]:
        """Each month with live articles: ("2026-12", how many, when its newest entry was
        rendered), for the sitemap index."""
        month = func.substr(func.cast(listing_entries.c.first_published_at, String), 1, 7)
        with reading(self.engine) as db:
            rows = db.execute(
                select(month, func.count(), func.max(listing_entries.c.rendered_at))
                .group_by(month)
                .order_by(month)
            ).all()
        return [(str(r[0]), int(r[1]), r[2]) for r in rows]

    def in_month(
        self, start: datetime, end: datetime, offset: int, limit: int
    ) -> list[tuple[int, datetime]]:
        """(article id, rendered at) of a month's live articles, oldest first, one file's worth."""
        at = listing_entries.c.first_published_at
        with reading(self.engine) as db:
            rows = db.execute(
                select(listing_entries.c.article_id, listing_entries.c.rendered_at)
                .where(at >= start, at < end)
                .order_by(at, listing_entries.c.article_id)
                .offset(offset)
                .limit(limit)
            ).all()
        return [(int(r.article_id), r.rendered_at) for r in rows]

    def since(self, moment: datetime, limit: int) -> list[ListingEntry]:
        """Live entries first published after `moment`, newest first: the news sitemap's."""
        at = listing_entries.c.first_published_at
        with reading(self.engine) as db:
            rows = db.execute(
                select(listing_entries)
                .where(at >= moment.replace(tzinfo=None))
                .order_by(at.desc(), listing_entries.c.article_id.desc())
                .limit(limit)
            ).all()
            return _entries(rows, None)

    def live_tags(self, offset: int, limit: int) -> list[str]:
        """Slugs of tags some live article carries, in slug order: one tags sitemap's worth."""
        with reading(self.engine) as db:
            rows = db.execute(
                select(article_tags.c.slug)
                .join(listing_entries, listing_entries.c.article_id == article_tags.c.article_id)
                .group_by(article_tags.c.slug)
                .order_by(article_tags.c.slug)
                .offset(offset)
                .limit(limit)
            ).all()
        return [str(r.slug) for r in rows]

    def live_tag_count(self) -> int:
        with reading(self.engine) as db:
            inner = (
                select(article_tags.c.slug)
                .join(listing_entries, listing_entries.c.article_id == article_tags.c.article_id)
                .group_by(article_tags.c.slug)
                .subquery()
            )
            return int(db.execute(select(func.count()).select_from(inner)).scalar_one())

    def live_sections(self) -> list[str]:
        with reading(self.engine) as db:
            rows = db.execute(
                select(listing_entries.c.section)
                .where(listing_entries.c.section.is_not(None))
                .group_by(listing_entries.c.section)
            ).all()
        return [str(r.section) for r in rows]
