"""The tables. Alembic migrations create them; this module is what queries are written against."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
)

metadata = MetaData()

articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("external_id", String(200), nullable=True, unique=True),
    Column("current_version", Integer, nullable=False),
    Column("live_version", Integer, nullable=True),
    Column("first_published_at", DateTime, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)
Index("ix_articles_first_published_at", articles.c.first_published_at)

article_versions = Table(
    "article_versions",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("status", String(20), nullable=False),
    Column("submission", JSON, nullable=False),
    Column("content", JSON, nullable=True),
    Column("tags", JSON, nullable=True),
    Column("section", JSON, nullable=True),
    Column("source", JSON, nullable=True),
    Column("reasons", JSON, nullable=True),
    Column("failed_step", String(20), nullable=True),
    Column("breaking", Boolean, nullable=False, default=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("published_at", DateTime, nullable=True),
    Column("publish_at", DateTime, nullable=True),
)
"""`publish_at`: the embargo of a `scheduled` version, naive UTC like every timestamp here."""
Index(
    "ix_article_versions_status_updated", article_versions.c.status, article_versions.c.updated_at
)

step_events = Table(
    "step_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("article_id", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("step", String(20), nullable=False),
    Column("state", String(20), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("error", Text, nullable=True),
    Column("worker", String(200), nullable=True),
    ForeignKeyConstraint(
        ["article_id", "version"], ["article_versions.article_id", "article_versions.version"]
    ),
)
Index("ix_step_events_article_version", step_events.c.article_id, step_events.c.version)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("article_id", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("step", String(20), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("dispatched_at", DateTime, nullable=True),
)
Index("ix_outbox_pending", outbox.c.dispatched_at, outbox.c.created_at)

article_tags = Table(
    "article_tags",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id"), primary_key=True),
    Column("slug", String(120), primary_key=True),
    Column("label", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("first_published_at", DateTime, nullable=True),
)
"""`first_published_at`: the article's, copied here so a tag's newest N come off one index."""
Index("ix_article_tags_slug", article_tags.c.slug)
Index(
    "ix_article_tags_slug_newest",
    article_tags.c.slug,
    article_tags.c.first_published_at,
    article_tags.c.article_id,
)

search_documents = Table(
    "search_documents",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id"), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("section", String(20), nullable=True),
    Column("published_at", DateTime, nullable=False),
    Column("excerpt", Text, nullable=False),
)
"""One row per live article. Its terms are in a `tsvector` column (PostgreSQL) or the FTS5
table `search_fts` (SQLite), which `pipeline/store/search.py` reaches by SQL of its own."""

tokens = Table(
    "tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("role", String(20), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False),
    Column("revoked_at", DateTime, nullable=True),
)


IS_CURRENT_VERSION = and_(
    articles.c.id == article_versions.c.article_id,
    articles.c.current_version == article_versions.c.version,
)
"""Join condition: the version an article's editors are working on."""

IS_LIVE_VERSION = and_(
    articles.c.id == article_versions.c.article_id,
    articles.c.live_version == article_versions.c.version,
)
"""Join condition: the version readers see."""
