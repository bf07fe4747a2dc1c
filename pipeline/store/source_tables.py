"""The sources' tables and how their rows read as domain values."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from pipeline.domain.sources import FetchOutcome, Source, SourceSpec
from pipeline.store.schema import metadata

sources = Table(
    "sources",
    metadata,
    Column("name", String(80), primary_key=True),
    Column("url", Text, nullable=False),
    Column("every", Integer, nullable=False),
    Column("section", String(20), nullable=True),
    Column("tags", JSON, nullable=False),
    Column("excerpt_only", Boolean, nullable=False, server_default="0"),
    Column("backfill", Boolean, nullable=False, server_default="0"),
    Column("paused", Boolean, nullable=False, server_default="0"),
    Column("created_at", DateTime, nullable=False),
    Column("next_fetch_at", DateTime, nullable=False),
    Column("first_fetch_at", DateTime, nullable=True),
    Column("last_fetch_at", DateTime, nullable=True),
    Column("last_ok_at", DateTime, nullable=True),
    Column("last_new_at", DateTime, nullable=True),
    Column("last_outcome", String(16), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("items_seen", Integer, nullable=False, server_default="0"),
    Column("articles_published", Integer, nullable=False, server_default="0"),
    Column("etag", String(1000), nullable=True),
    Column("last_modified", String(100), nullable=True),
)

source_fetches = Table(
    "source_fetches",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(80), ForeignKey("sources.name"), nullable=False),
    Column("due_at", DateTime, nullable=False),
    Column("trigger", String(10), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("claimed_at", DateTime, nullable=False),
    Column("started_at", DateTime, nullable=True),
    Column("finished_at", DateTime, nullable=True),
    Column("http_status", Integer, nullable=True),
    Column("items", Integer, nullable=False, server_default="0"),
    Column("published", Integer, nullable=False, server_default="0"),
    Column("updated", Integer, nullable=False, server_default="0"),
    Column("error", Text, nullable=True),
    UniqueConstraint("source", "due_at", "trigger", name="uq_source_fetches_due"),
)
"""One row per due time a beat claimed (`trigger` "schedule") or an operator asked for
("manual"); the unique key backs the claim: one slot of one source is never fetched twice."""
Index("ix_source_fetches_outcome", source_fetches.c.outcome, source_fetches.c.claimed_at)

source_items = Table(
    "source_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(80), nullable=False),
    Column("guid_key", String(64), nullable=False),
    Column("link_key", String(64), nullable=True),
    Column("external_id", String(200), nullable=False),
    Column("article_id", Integer, ForeignKey("articles.id"), nullable=True),
    Column("content_hash", String(64), nullable=False),
    Column("raw_hash", String(64), nullable=True),
    Column("state", String(12), nullable=False),
    Column("published_at", DateTime, nullable=True),
    Column("first_seen_at", DateTime, nullable=False),
    Column("last_seen_at", DateTime, nullable=False),
    UniqueConstraint("source", "guid_key", name="uq_source_items_guid"),
    UniqueConstraint("link_key", name="uq_source_items_link"),
)
"""Every item nashr has seen, once: by (source, GUID) and by normalised link. `content_hash` is
of what readers would see; `raw_hash` of the item as the feed gave it, checked first, so an
unchanged item costs no parsing of its HTML."""


def source_from_row(row: Any) -> Source:
    spec = SourceSpec(
        name=row.name,
        url=row.url,
        every=int(row.every),
        section=row.section,
        tags=tuple(row.tags or ()),
        excerpt_only=bool(row.excerpt_only),
        backfill=bool(row.backfill),
    )
    return Source(
        spec=spec,
        paused=bool(row.paused),
        created_at=row.created_at,
        next_fetch_at=row.next_fetch_at,
        first_fetch_at=row.first_fetch_at,
        last_fetch_at=row.last_fetch_at,
        last_ok_at=row.last_ok_at,
        last_new_at=row.last_new_at,
        last_outcome=FetchOutcome(row.last_outcome) if row.last_outcome else None,
        last_error=row.last_error,
        failures=int(row.failures),
        items_seen=int(row.items_seen),
        articles_published=int(row.articles_published),
        etag=row.etag,
        last_modified=row.last_modified,
    )
