"""nashr's whole pipeline beside a bare Celery chain, on the same broker, in one run.

Run from the repository root: `.venv/bin/python bench/throughput.py [--broker all]`.
The API is the real uvicorn server `nashr up` runs, fed by clients on loopback; workers and beat
are real `celery` subprocesses started with nashr's own command lines (ops/supervisor.py).
"""

# ruff: noqa: E402  (the repository root goes on sys.path before its packages are imported)
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import asdict
from itertools import pairwise
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


from sqlalchemy import select

from bench.api import ApiServer, submit_all
from bench.baseline_tasks import build_chain, create_baseline, done_file, queue_names
from bench.corpus import DEFAULT_CORPUS, corpus_submissions, reused
from bench.cpu import CpuMeter
from bench.processes import BenchError, Child, wait_until
from bench.profile import Profiler
from bench.report import BrokerResult, Phase, load_average, percentile, print_table, summarize
from config.settings import Settings
from ops.supervisor import beat_command, worker_command
from pipeline.domain.states import STEP_ORDER
from pipeline.store import ArticleStore, connect
from pipeline.store.database import transaction
from pipeline.store.migrate import upgrade
from pipeline.store.schema import step_events
from pipeline.store.tokens import Role, TokenStore
from tests.services import (
    port_open,
    postgres_database,
    rabbitmq_vhost,
    redis_database,
    unique_name,
)

BROKERS = ("rabbitmq", "redis", "embedded")
SERVICES = {"PostgreSQL": 5432, "RabbitMQ": 5672, "Redis": 6379}
NEEDS = {"rabbitmq": ("PostgreSQL", "RabbitMQ"), "redis": ("PostgreSQL", "Redis"), "embedded": ()}


def make_payload(size: int) -> dict[str, Any]:
    """The seed article, its paragraphs repeated until the JSON body is `size` bytes of UTF-8."""
    seed: dict[str, Any] = json.loads((ROOT / "examples" / "seed-article.json").read_text())
    seed.pop("external_id", None)
    paragraphs = seed["body"].split("\n\n")
    index = 0
    while len(json.dumps(seed, ensure_ascii=False).encode()) < size:
        seed["body"] += "\n\n" + paragraphs[index % len(paragraphs)]
        index += 1
    return seed


def make_payloads(args: argparse.Namespace, n: int) -> list[dict[str, Any]]:
    """`corpus`: the corpus's articles in order (reused under new external_ids past its end);
    `seed`: the padded seed article under N titles, the worst case for tag listings."""
    if args.workload == "seed":
        seed = make_payload(args.payload_bytes)
        return [seed | {"title": f"{seed['title']} ({i})"} for i in range(n)]
    articles = corpus_submissions(args.corpus)
    if n <= len(articles):
        return articles[:n]
    return reused(articles, n, unique_name("bench"))


def payload_sizes(payloads: list[dict[str, Any]]) -> str:
    sizes = sorted(len(json.dumps(p, ensure_ascii=False).encode()) for p in payloads)
    return f"{len(sizes)} bodies, median {sizes[len(sizes) // 2]} bytes, max {sizes[-1]}"


def nashr_settings(
    data_dir: Path, prefix: str, database: str | None, broker: str | None
) -> tuple[Settings, dict[str, str]]:
    """Settings for the in-process API and the environment for the workers: the same values."""
    values = {
        "NASHR_DATA_DIR": str(data_dir),
        "NASHR_QUEUE_PREFIX": prefix,
        "NASHR_SITE_URL": "http://testserver",
        "NASHR_WORKER_CONCURRENCY": "2",
        "NASHR_LOG_LEVEL": "INFO",
    }
    if database:
        values["NASHR_DATABASE_URL"] = database
    if broker:
        values["NASHR_BROKER_URL"] = broker
    env = {k: v for k, v in os.environ.items() if not k.startswith("NASHR_")} | values
    settings = Settings(**{k.removeprefix("NASHR_").lower(): v for k, v in values.items()})  # type: ignore[arg-type]
    return settings, env


def run_nashr(
    settings: Settings,
    env: dict[str, str],
    payloads: list[dict[str, Any]],
    args: argparse.Namespace,
) -> Phase:
    """Submit through POST /articles, wait for every article to be live, read step_events."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database)
    store = ArticleStore(connect(settings.database))
    token = TokenStore(store.engine).create("bench-editor", Role.EDITOR)
    worker = Child(worker_command(settings), env, settings.data_dir / "nashr-worker.log")
    beat = Child(beat_command(settings), env, settings.data_dir / "nashr-beat.log")
    api = ApiServer(env, settings.data_dir / "nashr-api.log")
    try:

        def all_live(expected: int) -> bool:
            counts = store.count_by_status()
            if counts.get("rejected") or counts.get("failed"):
                raise BenchError(f"articles went wrong: {counts}\n{worker.tail()}")
            return counts.get("live", 0) >= expected

        worker.wait_ready(60)
        api.wait_ready(60)
        warmup = [p | {"title": f"{p['title']} (تسخين)"} for p in payloads[: args.warmup]]
        submit_all(api.base, token, warmup, clients=1)
        wait_until(lambda: all_live(args.warmup), 60, "warm-up articles to be live")
        worker.mark = worker.log_path.stat().st_size
        n = len(payloads)
        profiler = Profiler.attach(worker, args.profile, "nashr") if args.profile else None
        meter = CpuMeter()
        started = time.monotonic()
        ids = submit_all(api.base, token, payloads, clients=args.clients)
        submit_seconds = time.monotonic() - started
        try:
            wait_until(lambda: all_live(args.warmup + n), args.timeout, f"{n} articles live")
        except BenchError as exc:
            raise BenchError(f"{exc}: {store.count_by_status()}\n{worker.tail()}") from None
        cpu = meter.spent()
        if profiler is not None:
            profiler.report()
        rss = worker.peak_rss_mb()
    finally:
        api.stop()
        beat.stop()
        worker.stop()
    starts, ends, steps = step_times(store, ids)
    phase = summarize(starts, ends, submit_seconds, rss, worker)
    phase.steps_p50_ms = steps
    phase.problems += beat.problems()
    phase.skipped = worker.count("nothing to do")
    phase.swept = worker.count(" swept ")
    phase.cpu_seconds = cpu
    return phase


def step_times(
    store: ArticleStore, ids: list[int]
) -> tuple[list[float], list[float], dict[str, float]]:
    """Accepted (the `ingest` event) and live (the `ticker` done event) per article, and the p50
    of each step's own span: from the previous step's done to its own (queue wait included)."""
    with transaction(store.engine) as db:
        rows = db.execute(
            select(step_events.c.article_id, step_events.c.step, step_events.c.at).where(
                step_events.c.article_id.in_(ids), step_events.c.state == "done"
            )
        ).all()
    at: dict[int, dict[str, float]] = {i: {} for i in ids}
    for article_id, step, when in rows:
        at[article_id][step] = when.timestamp()
    order = ["ingest", *(s.value for s in STEP_ORDER)]
    spans = {
        step: percentile([(at[i][step] - at[i][prev]) * 1000 for i in ids], 50)
        for prev, step in pairwise(order)
    }
    starts = [at[i]["ingest"] for i in ids]
    ends = [at[i]["ticker"] for i in ids]
    return starts, ends, {k: round(v, 1) for k, v in spans.items()}


def run_baseline(
    settings: Settings,
    env: dict[str, str],
    payloads: list[dict[str, Any]],
    args: argparse.Namespace,
) -> Phase:
    """The same payloads through chains of no-op tasks, one queue per position, same settings."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    done = done_file(settings)
    command = [
        sys.executable, "-m", "celery", "-A", "bench.baseline_tasks", "worker",
        "-Q", ",".join(queue_names(settings, args.chain_length)),
        "-c", "2", "-n", f"baseline-{os.getpid()}@%h",
        "--without-gossip", "--without-mingle", "-l", "INFO",
    ]  # fmt: skip
    worker = Child(command, env, settings.data_dir / "baseline-worker.log")
    app = create_baseline(settings)

    def finished() -> dict[str, float]:
        if not done.exists():
            return {}
        pairs = (line.split() for line in done.read_text().splitlines())
        return {chain_id: float(at) for chain_id, at in pairs}

    def send(chain_id: str, payload: dict[str, Any]) -> None:
        build_chain(app, settings, payload | {"chain": chain_id}, args.chain_length).apply_async()

    try:
        worker.wait_ready(60)
        for i in range(args.warmup):
            send(f"w{i}", payloads[i])
        wait_until(lambda: len(finished()) >= args.warmup, 60, "warm-up chains")
        worker.mark = worker.log_path.stat().st_size
        sent: dict[str, float] = {}
        n = len(payloads)
        meter = CpuMeter()
        started = time.monotonic()
        for i, payload in enumerate(payloads):
            sent[str(i)] = time.time()
            send(str(i), payload)
        submit_seconds = time.monotonic() - started
        try:
            wait_until(lambda: len(finished()) >= args.warmup + n, args.timeout, f"{n} chains")
        except BenchError as exc:
            raise BenchError(f"{exc}: {len(finished())} done\n{worker.tail()}") from None
        cpu = meter.spent()
        rss = worker.peak_rss_mb()
    finally:
        worker.stop()
        app.close()
    ends = finished()
    starts = list(sent.values())
    phase = summarize(starts, [ends[k] for k in sent], submit_seconds, rss, worker)
    phase.cpu_seconds = cpu
    return phase


def run_broker(
    broker: str, payloads: list[dict[str, Any]], args: argparse.Namespace
) -> BrokerResult:
    """One broker: its own vhost or Redis db, database, data dir and queue prefix, all removed."""
    missing = [name for name in NEEDS[broker] if not port_open(SERVICES[name])]
    if missing:
        raise BenchError(f"{broker}: {', '.join(missing)} not reachable on 127.0.0.1")
    prefix = unique_name("bench")
    with ExitStack() as stack:
        data = Path(tempfile.mkdtemp(prefix=f"nashr-bench-{broker}-"))
        if args.keep:
            print(f"# {broker}: data and logs kept in {data}", file=sys.stderr)
        else:
            stack.callback(shutil.rmtree, data, ignore_errors=True)
        database = None if broker == "embedded" else stack.enter_context(postgres_database())
        broker_url: str | None = None
        if broker == "rabbitmq":
            broker_url = stack.enter_context(rabbitmq_vhost())
        elif broker == "redis":
            broker_url = stack.enter_context(redis_database(prefix))
        settings, env = nashr_settings(data / "nashr", prefix, database, broker_url)
        nashr = run_nashr(settings, env, payloads, args)
        base_settings, base_env = nashr_settings(data / "baseline", prefix, None, broker_url)
        baseline = run_baseline(base_settings, base_env, payloads, args)
        return BrokerResult(broker, len(payloads), nashr, baseline)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--broker",
        choices=[*BROKERS, "all"],
        default="all",
        help="all = rabbitmq and redis (embedded only when named)",
    )
    parser.add_argument(
        "--articles", type=int, default=None, help="per broker (default: the whole corpus)"
    )
    parser.add_argument(
        "--embedded-articles",
        type=int,
        default=200,
        help="for the embedded broker, unless --articles is given",
    )
    parser.add_argument("--workload", choices=["corpus", "seed"], default="corpus")
    parser.add_argument("--clients", type=int, default=8, help="concurrent POST /articles")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument(
        "--profile", type=Path, default=None, help="py-spy the nashr worker into this folder"
    )
    parser.add_argument("--chain-length", type=int, default=5, help="baseline tasks per chain")
    parser.add_argument("--payload-bytes", type=int, default=5000)
    parser.add_argument("--warmup", type=int, default=4, help="untimed items first, per phase")
    parser.add_argument("--timeout", type=float, default=240, help="deadline per phase, seconds")
    parser.add_argument("--keep", action="store_true", help="keep data dirs and worker logs")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    return parser.parse_args(argv)  # fmt: skip


def _terminate(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for signum in (signal.SIGTERM, signal.SIGINT):  # SIGINT too: a background job ignores it
        signal.signal(signum, _terminate)
    brokers = ["rabbitmq", "redis"] if args.broker == "all" else [args.broker]
    load = load_average()
    results = []
    try:
        for broker in brokers:
            n = args.articles or (args.embedded_articles if broker == "embedded" else 0)
            payloads = make_payloads(args, n or len(corpus_submissions(args.corpus)))
            n = len(payloads)
            print(f"# {broker}: {n} articles, then {n} chains ...", file=sys.stderr, flush=True)
            results.append(run_broker(broker, payloads, args))
    except BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; workers stopped", file=sys.stderr)
        return 130
    if args.json:
        out = [asdict(r) | {"ratio": r.ratio} for r in results]
        loads = {"start": load, "end": load_average()}
        command = [sys.executable, *sys.argv]
        print(json.dumps({"command": command, "load_average": loads, "results": out}, indent=2))
    else:
        print_table(results, args, payload_sizes(make_payloads(args, results[0].articles)), load)
    return 0


if __name__ == "__main__":
    sys.exit(main())
