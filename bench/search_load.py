"""Search's share of `bench/growth.py`: a query workload drawn from corpus headlines, the
cost of indexing one article, and a quick way to fill the index to a size without running
every article through the pipeline (`--search-only`)."""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import insert

from pipeline.domain.models import SECTION_LABELS
from pipeline.enrich import arabic
from pipeline.enrich.search_terms import SearchAnalyser
from pipeline.services.runtime import Services
from pipeline.store.database import transaction, utcnow
from pipeline.store.schema import articles
from pipeline.store.search import index_document

QUERIES = 300
SEED = 14


def query_workload(corpus: list[dict[str, Any]], count: int = QUERIES) -> list[str]:
    """One word (half), two words (a third) or a quoted pair of adjacent words, from headlines."""
    chooser = random.Random(SEED)
    runs = []
    for article in corpus:
        words = [w for w in arabic.tokenize(article["title"]) if not arabic.is_stop(w)]
        words = [w for w in words if len(w) >= 3]
        if len(words) >= 2:
            runs.append(words)
    queries = []
    for n in range(count):
        words = chooser.choice(runs)
        at = chooser.randrange(len(words) - 1)
        if n % 6 < 3:
            queries.append(words[at])
        elif n % 6 < 5:
            queries.append(f"{chooser.choice(words)} {chooser.choice(words)}")
        else:
            queries.append(f'"{words[at]} {words[at + 1]}"')
    return queries


@dataclass(frozen=True)
class QueryFigures:
    p50: float
    p95: float
    p99: float
    worst: float
    worst_query: str
    mean_total: float


def time_queries(services: Services, queries: list[str]) -> QueryFigures:
    """Each query once through the search service (analysis, count, rank, snippets), warm."""
    for query in queries[:20]:
        services.search.find(query)
    times: list[tuple[float, str]] = []
    totals = []
    for query in queries:
        started = time.perf_counter()
        found = services.search.find(query)
        times.append(((time.perf_counter() - started) * 1000, query))
        totals.append(found.total)
    ordered = sorted(t for t, _ in times)
    cut = statistics.quantiles(ordered, n=100)
    worst = max(times)
    return QueryFigures(cut[49], cut[94], cut[98], worst[0], worst[1], statistics.mean(totals))


def time_indexing(analyser: SearchAnalyser, corpus: list[dict[str, Any]]) -> tuple[float, float]:
    """Median and p99 milliseconds to turn one article into its search document (pure part)."""
    times = []
    for n, article in enumerate(corpus):
        paragraphs = [p for p in article["body"].split("\n") if p.strip()]
        started = time.perf_counter()
        analyser.document(n, 1, article["title"], paragraphs, "politics")
        times.append((time.perf_counter() - started) * 1000)
    cut = statistics.quantiles(times, n=100)
    return cut[49], cut[98]


class IndexFiller:
    """Search rows (and their bare article rows) for corpus articles, cycled, in batches."""

    def __init__(self, services: Services, corpus: list[dict[str, Any]]) -> None:
        self.services = services
        analyser = SearchAnalyser.load()
        sections = [name for name in SECTION_LABELS if name != "general"]
        self.documents = []
        for n, article in enumerate(corpus):
            paragraphs = [p for p in article["body"].split("\n") if p.strip()]
            section = sections[n % len(sections)]
            self.documents.append(analyser.document(0, 1, article["title"], paragraphs, section))
        self.count = 0

    def add(self, n: int, batch: int = 1000) -> None:
        engine = self.services.articles.engine
        while n > 0:
            size = min(batch, n)
            now = utcnow()
            with transaction(engine) as db:
                ids = (
                    db.execute(
                        insert(articles).returning(articles.c.id),
                        [
                            {
                                "current_version": 1,
                                "live_version": 1,
                                "first_published_at": now,
                                "created_at": now,
                                "updated_at": now,
                            }
                            for _ in range(size)
                        ],
                    )
                    .scalars()
                    .all()
                )
                for article_id in ids:
                    doc = self.documents[self.count % len(self.documents)]
                    copy = replace(doc, article_id=article_id, title=f"{doc.title} ({self.count})")
                    index_document(db, copy, now)
                    self.count += 1
            n -= size
