"""Pulling sources at scale: N outlets' feeds on a loopback server, polled by nashr as one
machine's deployment runs it, beside a bare conditional GET and parse of the same feeds.

Run from the repository root: `.venv/bin/python bench/sources.py [--broker rabbitmq]`.
A publishing worker (the step queues), a fetch worker (`-P threads -c 8` on the fetch queue)
and beat are started with nashr's own command lines (ops/supervisor.py), on a fresh database;
the sources are added (no backfill) and polled for `--minutes`. Figures: fetch lag (started
- due) p50/p99 and per minute, CPU per fetch of the fetch worker, the share of 304s counted by
the server, and whether anything fell behind (see bench/README.md).
"""

# ruff: noqa: E402  (the repository root goes on sys.path before its packages are imported)
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, func, select

from bench.bare_fetch import Sample, bare_fetcher, fetch_rounds, nashr_code_fetcher
from bench.corpus import DEFAULT_CORPUS
from bench.cpu import CpuMeter
from bench.deploy import BROKERS, nashr_settings, services_for
from bench.feeds import FeedPlan, FeedServer, corpus_articles
from bench.fetch_figures import FINISHED, Figures, compute, epoch
from bench.fetch_profile import FetchProfiler
from bench.fetch_report import print_report
from bench.processes import BenchError, Child, wait_until
from bench.report import load_average
from config.celery import FETCH_QUEUE, PUBLISHING_QUEUES
from config.settings import Settings
from ops.supervisor import beat_command, worker_command
from pipeline.domain.sources import SourceSpec
from pipeline.store import ArticleStore, connect
from pipeline.store.migrate import upgrade
from pipeline.store.source_tables import source_fetches, source_items, sources
from pipeline.store.sources import SourceStore

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int, tree: bool = False) -> float:
    """utime + stime of a process (all its threads); with `tree`, its children's too, the
    reaped ones included."""
    fields = _stat(pid)
    if not fields:
        return 0.0
    total = int(fields[11]) + int(fields[12])
    if tree:
        total += int(fields[13]) + int(fields[14])
        for entry in Path("/proc").iterdir():
            child = _stat(int(entry.name)) if entry.name.isdigit() else []
            if child and int(child[1]) == pid:
                total += int(child[11]) + int(child[12])
    return total / TICKS


def _stat(pid: int) -> list[str]:
    try:
        return (Path(f"/proc/{pid}/stat").read_text()).rpartition(")")[2].split()
    except OSError:
        return []


@dataclass
class Nashr:
    """The three processes of one machine's deployment, as `nashr up` starts them."""

    publisher: Child
    fetcher: Child
    beat: Child

    def cpu(self) -> dict[str, float]:
        return {
            "fetch": cpu_seconds(self.fetcher.process.pid),
            "publish": cpu_seconds(self.publisher.process.pid, tree=True),
            "beat": cpu_seconds(self.beat.process.pid),
        }

    def check_alive(self) -> None:
        for child in (self.publisher, self.fetcher, self.beat):
            if child.process.poll() is not None:
                raise BenchError(f"{child.log_path.name} exited:\n{child.tail()}")


@dataclass
class Run:
    """Moments (epoch seconds) and CPU snapshots of one run."""

    start: float = 0.0
    end: float = 0.0
    first_done: float = 0.0
    measured_end: float = 0.0
    drained: float | None = None
    cpu: dict[str, dict[str, float]] = field(default_factory=dict)
    minute_cpu: list[float] = field(default_factory=list)
    minute_load: list[float] = field(default_factory=list)
    steady_fetches: int = 0
    duplicates: int = 0
    articles: int = 0
    live: int = 0
    idle_fetch_cpu_per_minute: float = 0.0
    others_cpu: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    profile: list[str] = field(default_factory=list)


def start_nashr(stack: ExitStack, args: argparse.Namespace) -> tuple[Nashr, Engine, Settings]:
    data, prefix, database, broker = stack.enter_context(services_for(args.broker, args.keep))
    extra = {"NASHR_SOURCES_ALLOW_PRIVATE": "127.0.0.0/8"}
    settings, env = nashr_settings(data / "nashr", prefix, database, broker, extra)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database)
    engine = connect(settings.database)
    stack.callback(engine.dispose)
    logs = settings.data_dir
    children = []
    for name, command in (
        ("worker", worker_command(settings, PUBLISHING_QUEUES)),
        ("fetcher", worker_command(settings, (FETCH_QUEUE,))),
        ("beat", beat_command(settings)),
    ):
        child = Child(command, env, logs / f"nashr-{name}.log")
        stack.callback(child.stop)
        children.append(child)
    publisher, fetcher, beat = children
    publisher.wait_ready(60)
    fetcher.wait_ready(60)
    return Nashr(publisher, fetcher, beat), engine, settings


def add_sources(engine: Engine, server: FeedServer, args: argparse.Namespace) -> None:
    """Through the store, as `nashr sources add NAME URL --every N` does; `--spread` seconds
    between the first and the last (0: all due at the same moment, the worst case)."""
    store = SourceStore(engine)
    began = time.monotonic()
    for feed in range(args.sources):
        if args.spread:
            time.sleep(max(0.0, began + feed * args.spread / args.sources - time.monotonic()))
        name = server.plan.source_name(feed)
        store.add(SourceSpec(name=name, url=server.url(feed), every=args.every))


def count(engine: Engine, query: Any) -> int:
    with engine.connect() as db:
        return int(db.execute(query).scalar_one())


def poll(nashr: Nashr, engine: Engine, run: Run, args: argparse.Namespace) -> FetchProfiler | None:
    """Until the run's end: note when every first fetch has ended (the steady state begins,
    and the profile with it), and the fetch worker's CPU and the load at each minute."""
    finished = select(func.count()).where(source_fetches.c.outcome.in_(FINISHED))
    fetched = select(func.count()).where(sources.c.last_fetch_at.is_not(None))
    profiler = None
    minute_mark = nashr.cpu()["fetch"]
    for minute in range(1, args.minutes + 1):
        while (now := time.time()) < run.start + minute * 60:
            nashr.check_alive()
            if not run.first_done and count(engine, fetched) >= args.sources:
                run.first_done = now
                run.cpu["first_done"] = nashr.cpu()
                if args.profile:
                    profiler = FetchProfiler.attach(nashr.fetcher, args.profile)
            time.sleep(min(1.0, max(0.05, run.start + minute * 60 - now)))
        mark = nashr.cpu()["fetch"]
        run.minute_cpu.append(round(mark - minute_mark, 2))
        run.minute_load.append(round(os.getloadavg()[0], 2))
        minute_mark = mark
        print(
            f"# minute {minute}/{args.minutes}: fetch worker {run.minute_cpu[-1]:.1f} s CPU, "
            f"{count(engine, finished)} fetches ended, load {load_average()}",
            file=sys.stderr,
            flush=True,
        )
    return profiler


def finish(nashr: Nashr, engine: Engine, run: Run, args: argparse.Namespace) -> None:
    """Let the run's last slots end, stop fetching, and let the chain publish what came."""
    due = source_fetches.c.due_at < _naive(run.end)
    unfinished = select(func.count()).where(
        due, source_fetches.c.outcome.in_(("claimed", "running"))
    )
    try:
        wait_until(lambda: count(engine, unfinished) == 0, 2 * args.every + 60, "the last slots")
    except BenchError as exc:
        print(f"# {exc}: {count(engine, unfinished)} fetches unfinished", file=sys.stderr)
    run.measured_end = time.time()
    run.cpu["end"] = nashr.cpu()
    run.steady_fetches = count(
        engine,
        select(func.count()).where(
            source_fetches.c.outcome.in_(("ok", "not_modified", "failed")),
            source_fetches.c.finished_at > _naive(run.first_done),
            source_fetches.c.finished_at <= _naive(run.measured_end),
        ),
    )
    nashr.beat.stop()
    nashr.fetcher.stop()
    run.duplicates = nashr.fetcher.count("fetch already taken")
    run.articles = count(engine, select(func.count()).where(source_items.c.article_id.is_not(None)))
    articles = ArticleStore(engine)
    stopped = time.time()
    try:
        wait_until(
            lambda: articles.count_by_status().get("live", 0) >= run.articles,
            args.drain,
            f"{run.articles} articles live",
        )
        run.drained = round(time.time() - stopped, 1)
    except BenchError as exc:
        print(f"# {exc}: {articles.count_by_status()}", file=sys.stderr)
    run.live = articles.count_by_status().get("live", 0)
    run.cpu["drained"] = nashr.cpu()
    for child in (nashr.publisher, nashr.fetcher, nashr.beat):
        run.problems += [f"{child.log_path.stem}: {line}" for line in child.problems()]
    nashr.publisher.stop()


def _naive(moment: float) -> datetime:
    return datetime.fromtimestamp(moment, UTC).replace(tzinfo=None)


def baselines(server: FeedServer, settings: Settings, rounds: int) -> dict[str, list[Sample]]:
    """Run after nashr has stopped, so neither side's CPU is the other's."""
    urls = [server.url(feed) for feed in range(server.plan.feeds)]
    found = {}
    for name, (fetch, close) in (
        ("bare", bare_fetcher()),
        ("code", nashr_code_fetcher(settings)),
    ):
        try:
            found[name] = fetch_rounds(fetch, urls, rounds)
        finally:
            close()
    return found


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--broker",
        choices=BROKERS,
        default="rabbitmq",
        help="embedded: SQLite and the filesystem broker",
    )
    parser.add_argument("--sources", type=int, default=200, help="feeds on the server")
    parser.add_argument("--items", type=int, default=30, help="items on each feed")
    parser.add_argument("--new-per-minute", type=float, default=2.0, help="per feed")
    parser.add_argument(
        "--arrivals",
        choices=["random", "steady"],
        default="random",
        help="new items at random moments (Poisson) or evenly spaced",
    )
    parser.add_argument("--every", type=int, default=60, help="seconds between fetches (>= 60)")
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument(
        "--spread",
        type=float,
        default=0.0,
        help="seconds over which the sources are added (0: all at once)",
    )
    parser.add_argument(
        "--baseline-rounds",
        type=int,
        default=2,
        help="passes over every feed per baseline, unconditional then conditional",
    )
    parser.add_argument("--drain", type=float, default=600, help="deadline for the chain, s")
    parser.add_argument(
        "--idle",
        type=float,
        default=10,
        help="seconds of the idle fetch worker's CPU measured first",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="py-spy the fetch worker's steady state into this folder",
    )
    parser.add_argument("--keep", action="store_true", help="keep the data dir and the logs")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    return parser.parse_args(argv)  # fmt: skip


def _terminate(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def measure(args: argparse.Namespace) -> tuple[Figures, Run, dict[str, list[Sample]]]:
    articles = corpus_articles(args.corpus)
    plan = FeedPlan(
        articles, args.sources, args.items, args.new_per_minute,
        args.minutes * 60 + args.spread, args.arrivals, args.seed,
    )  # fmt: skip
    run = Run()
    with ExitStack() as stack:
        server = stack.enter_context(FeedServer(plan))
        nashr, engine, settings = start_nashr(stack, args)
        idle = nashr.cpu()["fetch"]
        time.sleep(args.idle)
        run.idle_fetch_cpu_per_minute = (nashr.cpu()["fetch"] - idle) * 60 / args.idle
        meter = CpuMeter()
        run.cpu["start"] = nashr.cpu()
        run.start = time.time()
        run.end = run.start + args.minutes * 60
        add_sources(engine, server, args)
        profiler = poll(nashr, engine, run, args)
        if not run.first_done:
            raise BenchError("the first fetches did not all end within the run")
        finish(nashr, engine, run, args)
        if profiler is not None:
            run.profile = profiler.stop()
        run.others_cpu = {
            k: v
            for k, v in meter.spent().items()
            if k not in ("worker pool", "worker main", "celery beat")
        }
        with engine.connect() as db:
            added = {r.name: epoch(r.created_at) for r in db.execute(select(sources)).all()}
        figures = compute(
            engine, plan, server.answers("nashr"), run.start, run.end, args.every, added
        )
        print("# baselines ...", file=sys.stderr, flush=True)
        samples = baselines(server, settings, args.baseline_rounds)
    return figures, run, samples


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.every < 60:
        print("--every: nashr fetches a source at most once a minute", file=sys.stderr)
        return 2
    for signum in (signal.SIGTERM, signal.SIGINT):  # SIGINT too: a background job ignores it
        signal.signal(signum, _terminate)
    load = load_average()
    print(
        f"# {args.sources} feeds, {args.minutes} minutes on {args.broker} ...",
        file=sys.stderr,
        flush=True,
    )
    try:
        figures, run, samples = measure(args)
    except BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; processes stopped, database and broker removed", file=sys.stderr)
        return 130
    if args.json:
        document = {
            "command": [sys.executable, *sys.argv],
            "load_average": {"start": load, "end": load_average(), "minutes": run.minute_load},
            "figures": asdict(figures),
            "run": asdict(run),
            "baselines": {k: [asdict(s) for s in v] for k, v in samples.items()},
        }
        print(json.dumps(document, indent=2, default=str))
    else:
        print_report(args, figures, run, samples, load)
    return 0


if __name__ == "__main__":
    sys.exit(main())
