"""The search index: one row per live article, written in the transaction that makes a version
live and removed in the one that takes the article down, so the index never shows a version
readers cannot read.

PostgreSQL keeps each article's terms (nashr's own, already folded and stemmed, parsed with the
`simple` configuration) and every pair of neighbouring terms as lexemes of a position-free
`tsvector` under a GIN index, in `search_index`, whose rows are a few dozen bytes with the
vector out of line. A phrase is the AND of its pairs, so every query is answered by the index
alone: no match is read again from its row. The planner is kept off sequential scans (it does
not count reading the out-of-line vectors, and would filter the whole table for a common
word). Matches are ranked by `ts_rank` over a small vector of the headline (weight A) and the
lead (weight B) kept in `search_documents`, beside what results show. SQLite keeps the terms in
an FTS5 table, phrases by position, ranked by BM25.

Every value reaches the database as a bound parameter, and a query's terms are letters and
digits only (`pipeline/enrich/search_terms.py`), so no operator of either engine can come from
a reader.
"""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    bindparam,
    delete,
    text,
)
from sqlalchemy.dialects import sqlite

from pipeline.domain.search import (
    MAX_RESULTS,
    SearchDocument,
    SearchFilters,
    SearchHit,
    SearchQuery,
)
from pipeline.domain.search import SearchResults as Results
from pipeline.store.database import reading, transaction
from pipeline.store.schema import search_documents

_UPSERT_PG = text(
    """
    INSERT INTO search_documents
        (article_id, version, title, section, published_at, excerpt, lead)
    VALUES (:article_id, :version, :title, :section, :published_at, :excerpt,
            setweight(to_tsvector('simple', :title_terms), 'A')
            || setweight(to_tsvector('simple', :lead_terms), 'B'))
    ON CONFLICT (article_id) DO UPDATE SET
        version = excluded.version, title = excluded.title, section = excluded.section,
        published_at = excluded.published_at, excerpt = excluded.excerpt, lead = excluded.lead
    """
)
_UPSERT_PG_INDEX = text(
    """
    INSERT INTO search_index (article_id, published_at, section, terms)
    VALUES (:article_id, :published_at, :section,
            array_to_tsvector(array_remove(string_to_array(:terms, ' '), ''))
            || array_to_tsvector(string_to_array(:pairs, E'\\n')))
    ON CONFLICT (article_id) DO UPDATE SET
        published_at = excluded.published_at, section = excluded.section, terms = excluded.terms
    """
)
"""The terms go as one text, split on spaces, the word pairs one a line: psycopg dumping a list
of a few hundred strings as an array cost the publish step more than a millisecond. Both are
taken as lexemes as they are, as the query's `CAST(:q AS tsquery)` takes its own; PostgreSQL's
text parser (`to_tsvector`), which gave the same lexemes for all 1,969 corpus articles, is
skipped: 0.11 ms a call with the round trip, against 0.16 to 0.20 through it. An empty term is
dropped, as the parser dropped it."""
_DELETE_PG_INDEX = text("DELETE FROM search_index WHERE article_id = :article_id")
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
    values: dict[str, Any] = {
        "article_id": document.article_id,
        "version": document.version,
        "title": document.title,
        "section": document.section,
        "published_at": published_at,
        "excerpt": document.excerpt,
        "terms": document.terms,
        "title_terms": document.title_terms,
        "lead_terms": document.lead_terms,
    }
    if db.dialect.name == "postgresql":
        values["pairs"] = "\n".join(pairs(document.terms))  # terms are words: no newline
        db.execute(_UPSERT_PG, values)
        db.execute(_UPSERT_PG_INDEX, values)
        return
    db.execute(_UPSERT_SQLITE, {k: v for k, v in values.items() if not k.endswith("terms")})
    db.execute(_FTS_DELETE, values)
    db.execute(_FTS_INSERT, values)


def pairs(terms: str) -> list[str]:
    """Each two neighbouring terms as one lexeme ("وزير من"): what a phrase is matched by."""
    words = terms.split()
    return sorted({f"{first} {second}" for first, second in pairwise(words)})


def remove_document(db: Connection, article_id: int) -> None:
    """Taken down: the article is no result from this transaction's commit on."""
    if db.dialect.name == "postgresql":
        db.execute(_DELETE_PG_INDEX, {"article_id": article_id})
    else:
        db.execute(_FTS_DELETE, {"article_id": article_id})
    db.execute(_DELETE, {"article_id": article_id})


def _tsquery(query: SearchQuery) -> str:
    lexemes = list(query.terms)
    for phrase in query.phrases:
        lexemes += pairs(" ".join(phrase))
    return " & ".join(f"'{lexeme}'" for lexeme in lexemes)


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
        """Live articles with every term and phrase: of the newest `MAX_RESULTS` matches, the
        most relevant first, then the newest. `total` counts up to `MAX_RESULTS`."""
        if query.empty:
            return Results(total=0)
        params: dict[str, Any] = {"limit": limit, "offset": offset, "most": MAX_RESULTS}
        postgres = self.engine.dialect.name == "postgresql"
        with transaction(self.engine) if postgres else reading(self.engine) as db:
            if postgres:  # the GIN bitmap only, for the query's own transaction
                db.exec_driver_sql("SET LOCAL enable_seqscan = off")
            params["q"] = _tsquery(query) if postgres else _fts5_query(query)
            where = "d.terms @@ CAST(:q AS tsquery)" if postgres else "search_fts MATCH :q"
            where += _filters(filters, params)
            statement = _typed(_PG_PAGE.format(where=where) if postgres
                               else _SQLITE_PAGE.format(where=where))  # fmt: skip
            rows = db.execute(statement, params).all()
            if rows:
                count = int(rows[0][0])
            else:
                found = _typed(_COUNT.format(source=_PG_SOURCE if postgres else _SQLITE_SOURCE,
                                             where=where))  # fmt: skip
                count = int(db.execute(found, params).scalar_one())
        hits = [SearchHit(row[1], row[2], row[3], _moment(row[4]), row[5]) for row in rows]
        return Results(total=count, hits=hits)


_PG_SOURCE = "search_index d"
_SQLITE_SOURCE = "search_fts JOIN search_documents d ON d.article_id = search_fts.rowid"
_COUNT = "SELECT count(*) FROM (SELECT 1 FROM {source} WHERE {where} LIMIT :most) AS found"
_PG_PAGE = (
    # the newest matches, from the GIN bitmap over the narrow index rows; ranked on the small
    # headline-and-lead vector; then the page's ten rows read whole
    "WITH c AS MATERIALIZED (SELECT d.article_id, d.published_at"
    " FROM search_index d WHERE {where}"
    " ORDER BY d.published_at DESC, d.article_id DESC LIMIT :most),"
    " top AS (SELECT c.article_id, c.published_at, ts_rank(s.lead, q) AS rank"
    " FROM c JOIN search_documents s ON s.article_id = c.article_id,"
    " CAST(:q AS tsquery) AS q"
    " ORDER BY rank DESC, c.published_at DESC, c.article_id DESC LIMIT :limit OFFSET :offset)"
    " SELECT (SELECT count(*) FROM c), d.article_id, d.title, d.section, d.published_at,"
    " d.excerpt FROM top JOIN search_documents d ON d.article_id = top.article_id"
    " ORDER BY top.rank DESC, top.published_at DESC, top.article_id DESC"
)
_SQLITE_PAGE = (
    "WITH c AS (SELECT d.article_id, d.published_at, bm25(search_fts) AS rank"
    f" FROM {_SQLITE_SOURCE} WHERE {{where}}"
    " ORDER BY d.published_at DESC, d.article_id DESC LIMIT :most)"
    " SELECT (SELECT count(*) FROM c), d.article_id, d.title, d.section, d.published_at,"
    " d.excerpt FROM c JOIN search_documents d ON d.article_id = c.article_id"
    " ORDER BY c.rank, c.published_at DESC, c.article_id DESC LIMIT :limit OFFSET :offset"
)


def _moment(value: Any) -> datetime:
    """SQLite hands back the stored text of a timestamp, PostgreSQL a datetime."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
