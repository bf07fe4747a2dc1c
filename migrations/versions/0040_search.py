"""search: one row per live article, with nashr's own terms indexed for full-text search

PostgreSQL: a `tsvector` built with the `simple` configuration from terms nashr has already
folded and stemmed (and their neighbouring pairs, for phrases), under a GIN index. SQLite: an
FTS5 table beside it, keyed by article id.

Revision ID: 0040
Revises: 0030
Create Date: 2026-12-07 03:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0040"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_documents",
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("articles.id"), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("section", sa.String(20), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column("excerpt", sa.Text(), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        # lead: the headline and the first words, what relevance is computed from; kept in
        # the row (MAIN), so ranking a thousand matches reads no out-of-line value
        op.execute("ALTER TABLE search_documents ADD COLUMN lead tsvector NOT NULL")
        op.execute("ALTER TABLE search_documents ALTER COLUMN lead SET STORAGE MAIN")
        # search_index: the terms (and term pairs) under GIN, in rows of a few dozen bytes:
        # a common word's thousands of matches are found, dated and counted from a few
        # hundred pages, and the kilobytes of terms stay out of line, read by nothing but the
        # index. No date index: walking it would read every row's terms.
        op.execute(
            "CREATE TABLE search_index ("
            " article_id integer PRIMARY KEY REFERENCES articles (id),"
            " published_at timestamp without time zone NOT NULL,"
            " section varchar(20),"
            " terms tsvector NOT NULL) WITH (toast_tuple_target = 128)"
        )
        op.execute("ALTER TABLE search_index ALTER COLUMN terms SET STORAGE EXTERNAL")
        op.execute("CREATE INDEX ix_search_index_terms ON search_index USING gin (terms)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5("
            "terms, tokenize = 'unicode61 remove_diacritics 0')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE search_index")
    else:
        op.execute("DROP TABLE search_fts")
    op.drop_table("search_documents")
