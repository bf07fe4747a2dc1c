"""Cost stays flat as the archive grows: publish, rebuild and tag pages at 1,000, 10,000 and
100,000 live articles, and a real worker's memory at each size.

Run from the repository root: `.venv/bin/python bench/growth.py [--sizes 1000,10000,100000]`.
`--search-only` fills only the search index (and bare article rows) to each size, and times
search alone: the query workload's p50/p95/p99 and the cost of indexing one article.

The archive is filled through the store's own code, as the steps write it (accept, the three
compare-and-set moves, the publisher's one transaction, the listing rebuild that makes them
live), from corpus articles cycled with their own enrichment, so tags overlap as in real news.
At each size it times, over repeated trials: the publish step's body for one more article, one
full rebuild of the site's listings, and the first render of the busiest tag's page (nothing
cached), and a workload of headline queries through the search service. Then a real worker
(prefork, 2 processes) publishes a batch through the broker and its resident memory is read:
the same corpus articles at every size (at the first, twice: the first round warms it), so
the figures compare the same work over a larger archive.
"""

# ruff: noqa: E402  (the repository root goes on sys.path before its packages are imported)
from __future__ import annotations

import argparse
import signal
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select

from bench.corpus import DEFAULT_CORPUS, corpus_submissions
from bench.deploy import deployment
from bench.processes import BenchError, wait_until
from bench.report import load_average
from bench.search_load import IndexFiller, query_workload, time_indexing, time_queries
from config.celery import STEP_QUEUES
from pipeline.domain.models import Submission
from pipeline.domain.source import attach_source
from pipeline.domain.states import Status, Step
from pipeline.domain.validate import validate
from pipeline.enrich.search_terms import SearchAnalyser
from pipeline.enrich.step import Models, enrich
from pipeline.services.runtime import Services, build_services
from pipeline.store.database import reading, transaction, utcnow
from pipeline.store.schema import article_tags
from pipeline.store.search import index_document
from tasks.app import create_celery
from tasks.dispatch import Dispatcher

SAME_NEWEST = 60
"""More than a feed or the home page lists: every listing shows the same articles at every size."""


class Loader:
    """Articles taken to `live` through the store, as a worker would, without the broker."""

    def __init__(self, services: Services, corpus: list[dict[str, Any]]) -> None:
        self.services = services
        models = Models.load()
        self.prepared = []
        for article in corpus:
            submission = Submission.model_validate(article)
            clean = validate(submission)
            found = enrich(clean, models, 0.4)
            self.prepared.append((submission, clean, found, attach_source(clean)))
        self.count = 0
        self.trial = 0

    def add(self, n: int, first: int | None = None) -> None:
        """`n` more live articles, cycling through the corpus from where the last call ended,
        or from corpus article `first`."""
        store = self.services.articles
        for i in range(n):
            at = self.count if first is None else first + i
            submission, clean, found, link = self.prepared[at % len(self.prepared)]
            title = f"{clean.title} ({self.count})"
            accepted = store.accept(submission.model_copy(update={"title": title}))
            key = (accepted.id, accepted.version)
            content = clean.model_copy(update={"title": title}).model_dump(mode="json")
            assert store.advance(*key, Step.VALIDATE, Status.VALIDATED, content=content)
            tags = [t.model_dump(mode="json") for t in found.all_tags]
            section = found.section.model_dump(mode="json")
            assert store.advance(*key, Step.ENRICH, Status.ENRICHED, tags=tags, section=section)
            source = link.model_dump(mode="json")
            assert store.advance(*key, Step.SOURCE, Status.SOURCED, source=source)
            record = store.load(*key)
            assert record is not None and self.services.publisher.publish(record)
            self.count += 1
            if self.count % 1000 == 0:
                self.services.listings.rebuild()
            if self.count % 10_000 == 0:
                vacuum(self.services)  # as autovacuum would keep up with a real newsroom
        self.services.listings.rebuild()

    def same_newest(self) -> None:
        """The same corpus articles on top at every size, so the listings rebuilt (whose cost
        is mostly rendering their entries) differ only in the archive beneath them."""
        self.add(SAME_NEWEST, first=0)
        self.trial = 0

    def ready(self) -> Any:
        """One more article, taken as far as the publish step's input: one of the same few at
        every size."""
        before = self.count
        store = self.services.articles
        submission, clean, found, link = self.prepared[self.trial % SAME_NEWEST]
        self.trial += 1
        accepted = store.accept(submission.model_copy(update={"title": f"تجربة {before}"}))
        key = (accepted.id, accepted.version)
        assert store.advance(*key, Step.VALIDATE, Status.VALIDATED, content=clean.model_dump())
        tags = [t.model_dump(mode="json") for t in found.all_tags]
        assert store.advance(*key, Step.ENRICH, Status.ENRICHED, tags=tags)
        assert store.advance(*key, Step.SOURCE, Status.SOURCED, source=link.model_dump())
        self.count += 1
        return store.load(*key)


def _timed(action: Any, trials: int) -> float:
    """Median milliseconds of `trials` runs."""
    times = []
    for _ in range(trials):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def busiest_tag(services: Services) -> str:
    with reading(services.articles.engine) as db:
        row = db.execute(
            select(article_tags.c.slug, func.count())
            .group_by(article_tags.c.slug)
            .order_by(func.count().desc())
            .limit(1)
        ).first()
    assert row is not None
    return str(row[0])


def worker_rss_mb(
    running: Any, services: Services, loader: Loader, batch: int, rounds: int = 1
) -> float:
    """Resident memory of the real worker after it has published the same `batch` corpus
    articles again (under new titles), `rounds` times. The same articles at every size: the
    worker's per-process word caches then hold the same words at every size, so what differs
    is the archive beneath, not how many distinct words the worker has happened to meet."""
    dispatcher = Dispatcher(create_celery(running.settings), running.settings)
    for _ in range(rounds):
        live_before = services.articles.count_by_status().get("live", 0)
        for i in range(batch):
            submission, clean, _, _ = loader.prepared[i % len(loader.prepared)]
            accepted = services.articles.accept(
                submission.model_copy(update={"title": f"{clean.title} [{loader.count}]"})
            )
            loader.count += 1
            dispatcher.send(Step.VALIDATE, accepted.id, accepted.version)
        wanted = live_before + batch

        def all_live(wanted: int = wanted) -> bool:
            return services.articles.count_by_status().get("live", 0) >= wanted

        wait_until(all_live, 300, "the worker's batch to be live")
    return float(running.worker.rss_mb())


def index_write_ms(services: Services, filler: IndexFiller, trials: int = 200) -> float:
    """Median milliseconds of writing one article's search row in a transaction of its own
    (the publish transaction pays this once, beside its other writes)."""
    times = []
    for n in range(trials):
        document = filler.documents[n % len(filler.documents)]
        row = replace(document, article_id=n + 1, version=2)
        started = time.perf_counter()
        with transaction(services.articles.engine) as db:
            index_document(db, row, utcnow())
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def vacuum(services: Services, table: str = "") -> None:
    """What autovacuum does on a database that grows: dead row versions reclaimed (an article's
    version row is rewritten at every step, so a fill leaves five dead ones per article) and
    statistics for the planner. A bulk fill outruns autovacuum, and a PostgreSQL may run with it
    off (this machine's does): without this, every index keeps the dead entries and the figures
    measure the bloat, not the archive."""
    with services.articles.engine.connect() as db:
        db.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
            f"VACUUM ANALYZE {table}".strip()
        )


def search_only(args: argparse.Namespace, sizes: list[int]) -> int:
    """The index filled directly to each size; search timed alone."""
    corpus = corpus_submissions(args.corpus)
    queries = query_workload(corpus, args.queries)
    analyser = SearchAnalyser.load()
    time_indexing(analyser, corpus)  # the first pass fills the word caches
    analyse_p50, analyse_p99 = time_indexing(analyser, corpus)
    rows = []
    with deployment(args.broker, keep=args.keep, api=False, worker=False, beat=False) as running:
        services = build_services(running.settings)
        filler = IndexFiller(services, corpus)
        for size in sizes:
            started = time.monotonic()
            filler.add(size - filler.count)
            filled = time.monotonic() - started
            vacuum(services, "search_documents")
            write_ms = index_write_ms(services, filler)
            figures = time_queries(services, queries)
            rows.append((size, figures, write_ms))
            print(
                f"# {size} indexed in {filled:.0f} s; query p50 {figures.p50:.2f} ms, "
                f"p99 {figures.p99:.2f} ms, worst {figures.worst:.1f} ms "
                f"({figures.worst_query}); index write {write_ms:.2f} ms",
                file=sys.stderr,
                flush=True,
            )
        services.close()
    print(f"\nsearch on PostgreSQL; {len(queries)} headline queries, each once, warm")
    print(
        f"analysing one article for the index: p50 {analyse_p50:.2f} ms, p99 {analyse_p99:.2f} ms"
    )
    print(
        f"{'articles':>9} | {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'worst ms':>8} "
        f"{'mean hits':>9} | {'index write ms':>14}"
    )
    for size, figures, write_ms in rows:
        print(
            f"{size:>9} | {figures.p50:>7.2f} {figures.p95:>7.2f} {figures.p99:>7.2f} "
            f"{figures.worst:>8.2f} {figures.mean_total:>9.0f} | {write_ms:>14.2f}"
        )
    print(f"load average at the end: {load_average()}")
    return 0


def _stop_on_sigterm() -> None:
    """A SIGTERM unwinds like Ctrl-C, so the run's database and children are removed."""

    def stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--trials", type=int, default=15)
    parser.add_argument("--worker-batch", type=int, default=200)
    parser.add_argument("--broker", choices=["rabbitmq", "redis"], default="rabbitmq")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--search-only", action="store_true")
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    print(f"command: {' '.join([sys.executable, *sys.argv])}")
    print(f"load average at the start: {load_average()}")
    _stop_on_sigterm()
    if args.search_only:
        return search_only(args, sizes)
    queries = query_workload(corpus_submissions(args.corpus), args.queries)
    rows: list[tuple[int, float, float, float, float]] = []
    with deployment(args.broker, keep=args.keep, api=False) as running:
        services = build_services(running.settings)
        loader = Loader(services, corpus_submissions(args.corpus))
        for size in sizes:
            started = time.monotonic()
            loader.add(size - SAME_NEWEST - services.articles.count_by_status().get("live", 0))
            loader.same_newest()
            filled = time.monotonic() - started
            vacuum(services)
            publish_ms = _timed(lambda: services.publisher.publish(loader.ready()), args.trials)
            services.listings.rebuild()
            rebuild_ms = _timed(services.listings.rebuild, args.trials)
            slug = busiest_tag(services)

            def fresh_tag_page(slug: str = slug) -> None:
                services.pages._rendered.clear()  # nothing cached: the cost of a first read
                if services.pages.tag(slug, "page") is None:
                    raise BenchError(f"no tag page for {slug}")

            tag_ms = _timed(fresh_tag_page, args.trials)
            search = time_queries(services, queries)
            # at the first size the batch goes through once more first: the worker is warm
            rounds = 2 if not rows else 1
            rss = worker_rss_mb(running, services, loader, args.worker_batch, rounds)
            live = services.articles.count_by_status().get("live", 0)
            rows.append((live, publish_ms, rebuild_ms, tag_ms, rss))
            print(
                f"# {live} live: filled in {filled:.0f} s; publish {publish_ms:.2f} ms, "
                f"rebuild {rebuild_ms:.2f} ms, tag page {tag_ms:.2f} ms, worker {rss:.0f} MB, "
                f"search p50 {search.p50:.2f} ms p99 {search.p99:.2f} ms",
                file=sys.stderr,
                flush=True,
            )
        services.close()
    first = rows[0]
    print(f"\ngrowth on PostgreSQL + {args.broker}; medians of {args.trials} trials")
    print(
        f"{'live articles':>13} | {'publish ms':>10} {'rebuild ms':>10} {'tag page ms':>11}"
        f" | {'worker RSS MB':>13} | ratio to the first size"
    )
    for live, publish_ms, rebuild_ms, tag_ms, rss in rows:
        print(
            f"{live:>13} | {publish_ms:>10.2f} {rebuild_ms:>10.2f} {tag_ms:>11.2f}"
            f" | {rss:>13.0f} | publish {publish_ms / first[1]:.2f}, rebuild "
            f"{rebuild_ms / first[2]:.2f}, tag {tag_ms / first[3]:.2f}, RSS {rss / first[4]:.2f}"
        )
    print(f"queues: {', '.join(STEP_QUEUES)}; load average at the end: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
