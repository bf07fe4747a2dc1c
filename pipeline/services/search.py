"""Search as readers use it: a query in, a page of live articles out, each with a snippet
whose matching words are marked.

The query is analysed exactly as the publish step analysed the articles
(`pipeline/enrich/search_terms.py`); the store does the matching and the ranking.
"""

from __future__ import annotations

import functools

from pipeline.domain.models import article_path
from pipeline.domain.search import (
    MAX_PAGE,
    PAGE_SIZE,
    SearchFilters,
    SearchPage,
    SearchResult,
)
from pipeline.enrich.search_terms import SearchAnalyser
from pipeline.store.search import SearchStore


@functools.cache
def search_analyser() -> SearchAnalyser:
    """Loaded on first use (the corpus statistics, once per process, shared with the tags)."""
    return SearchAnalyser.load()


class Search:
    def __init__(self, store: SearchStore) -> None:
        self.store = store

    def find(
        self, raw_query: str, page: int = 1, filters: SearchFilters | None = None
    ) -> SearchPage:
        """Page `page` (from 1, at most `MAX_PAGE`) of the live articles matching the query."""
        analyser = search_analyser()
        query = analyser.query(raw_query)
        page = max(1, min(page, MAX_PAGE))
        found = self.store.search(
            query, filters or SearchFilters(), PAGE_SIZE, (page - 1) * PAGE_SIZE
        )
        results = [
            SearchResult(
                id=hit.article_id,
                title=hit.title,
                url=article_path(hit.article_id),
                published_at=hit.published_at,
                section=hit.section,
                snippet=tuple(analyser.snippet(hit.excerpt, query)),
            )
            for hit in found.hits
        ]
        return SearchPage(query=query, total=found.total, page=page, results=results)
