"""The search index: one row per live article, written in the transaction that makes a version
live and removed in the one that takes the article down, so the index never shows a version
readers cannot read.

PostgreSQL keeps the terms in a `tsvector` (`simple` configuration: the terms are nashr's own,
already folded and stemmed) under a GIN index, ranked by `ts_rank`; SQLite keeps them in an FTS5
table ranked by BM25. Every value reaches the database as a bound parameter, and a query's
terms are letters and digits only (`pipeline/enrich/search_terms.py`), so no query operator of
either engine can come from a reader.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    Integer,
    String,
    Text,
    bindparam,
    delete,
    text,
)
from sqlalchemy.dialects import sqlite

from pipeline.domain.search import SearchDocument, SearchFilters, SearchHit, SearchQuery
from pipeline.domain.search import SearchResults as Results
from pipeline.store.database import reading
from pipeline.store.schema import search_documents

_UPSERT_PG = text(
    """
    INSERT INTO search_documents
        (article_id, version, title, section, published_at, excerpt, terms)
    VALUES (:article_id, :version, :title, :section, :published_at, :excerpt,
            to_tsvector('simple', :terms))
    ON CONFLICT (article_id) DO UPDATE SET
        version = excluded.version, title = excluded.title, section = excluded.section,
        published_at = excluded.published_at, excerpt = excluded.excerpt, terms = excluded.terms
    """
)
_INSERT_SQLITE = sqlite.insert(search_documents)
_UPSERT_SQLITE = _INSERT_SQLITE.on_conflict_do_update(
    index_elements=["article_id"],
    set_={
        name: _INSERT_SQLITE.excluded[name]
        for name in ("version", "title", "section", "published_at", "excerpt")
    },
)
_FTS_DELETE = text("DELETE FROM search_fts WHERE rowid = :article_id")
_FTS_INSERT = text("INSERT INTO search_fts (rowid, terms) VALUES (:article_id, :terms)")
_DELETE = delete(search_documents).where(search_documents.c.article_id == bindparam("article_id"))


def index_document(db: Connection, document: SearchDocument, published_at: datetime) -> None:
    """The article's row now holds this version's words and no other's."""
    values = {
        "article_id": document.article_id,
        "version": document.version,
        "title": document.title,
        "section": document.section,
        "published_at": published_at,
        "excerpt": document.excerpt,
        "terms": document.terms,
    }
    if db.dialect.name == "postgresql":
        db.execute(_UPSERT_PG, values)
        return
    db.execute(_UPSERT_SQLITE, {k: v for k, v in values.items() if k != "terms"})
    db.execute(_FTS_DELETE, values)
    db.execute(_FTS_INSERT, values)


def remove_document(db: Connection, article_id: int) -> None:
    """Taken down: the article is no result from this transaction's commit on."""
    db.execute(_DELETE, {"article_id": article_id})
    if db.dialect.name != "postgresql":
        db.execute(_FTS_DELETE, {"article_id": article_id})


def _tsquery(query: SearchQuery) -> str:
    parts = [f"'{term}'" for term in query.terms]
    parts += ["(" + " <-> ".join(f"'{term}'" for term in phrase) + ")" for phrase in query.phrases]
    return " & ".join(parts)


def _fts5_query(query: SearchQuery) -> str:
    parts = [f'"{term}"' for term in query.terms]
    parts += ['"' + " ".join(phrase) + '"' for phrase in query.phrases]
    return " AND ".join(parts)


def _filters(filters: SearchFilters, params: dict[str, Any]) -> str:
    clauses = []
    if filters.section is not None:
        clauses.append("d.section = :section")
        params["section"] = filters.section
    if filters.since is not None:
        clauses.append("d.published_at >= :since")
        params["since"] = filters.since
    if filters.until is not None:
        clauses.append("d.published_at <= :until")
        params["until"] = filters.until
    if filters.tag is not None:
        clauses.append(
            "EXISTS (SELECT 1 FROM article_tags t"
            " WHERE t.article_id = d.article_id AND t.slug = :tag)"
        )
        params["tag"] = filters.tag
    return "".join(f" AND {clause}" for clause in clauses)


def _typed(sql: str) -> Any:
    """Time bounds bound as the column's own type: SQLite compares the stored text form."""
    statement = text(sql)
    bounds = [bindparam(name, type_=DateTime) for name in ("since", "until") if f":{name}" in sql]
    return statement.bindparams(*bounds) if bounds else statement


class SearchStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def search(
        self, query: SearchQuery, filters: SearchFilters, limit: int, offset: int
    ) -> Results:
        """Live articles with every term and phrase, the most relevant first, then the newest."""
        if query.empty:
            return Results(total=0)
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        with reading(self.engine) as db:
            if db.dialect.name == "postgresql":
                params["q"] = _tsquery(query)
                match = "d.terms @@ to_tsquery('simple', :q)"
                source = "search_documents d"
                rank = "ts_rank(d.terms, to_tsquery('simple', :q)) DESC"
            else:
                params["q"] = _fts5_query(query)
                match = "search_fts MATCH :q"
                source = "search_fts JOIN search_documents d ON d.article_id = search_fts.rowid"
                rank = "bm25(search_fts)"
            where = match + _filters(filters, params)
            total = db.execute(_typed(f"SELECT count(*) FROM {source} WHERE {where}"), params)
            count = int(total.scalar_one())
            if count <= offset:
                return Results(total=count)
            statement = _typed(
                "SELECT d.article_id, d.title, d.section, d.published_at, d.excerpt"
                f" FROM {source} WHERE {where}"
                f" ORDER BY {rank}, d.published_at DESC, d.article_id DESC"
                " LIMIT :limit OFFSET :offset"
            ).columns(
                article_id=Integer, title=Text, section=String, published_at=DateTime, excerpt=Text
            )
            rows = db.execute(statement, params).all()
        hits = [SearchHit(row[0], row[1], row[2], row[3], row[4]) for row in rows]
        return Results(total=count, hits=hits)
