"""A newsroom's rush on `POST /articles`: the real uvicorn server on PostgreSQL, loaded from
loopback at a fixed rate, then as fast as it goes; without workers, then with them beside it.

Run from the repository root: `.venv/bin/python bench/ingest.py [--rate 200 --seconds 30]`;
`--profile DIR` samples the API alone with py-spy (GIL holder) at the fixed rate and says where
its time went.

The fixed-rate load is open-loop: each request is due at its own moment and its latency counts
from that moment, so a slow answer delays the ones behind it and shows in the figures
(no coordinated omission). The peak is closed-loop: 32 connections, each sending as soon as its
last answer came, for `--peak-seconds`.
"""

# ruff: noqa: E402  (the repository root goes on sys.path before its packages are imported)
from __future__ import annotations

import argparse
import asyncio
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.corpus import DEFAULT_CORPUS, corpus_submissions
from bench.cpu import CpuMeter
from bench.deploy import deployment
from bench.loadgen import closed_loop, open_loop, request_bytes
from bench.profile import collapsed_stacks
from bench.report import load_average, percentile

AREAS: list[tuple[str, tuple[str, ...]]] = [
    ("SQL (SQLAlchemy, psycopg)", ("sqlalchemy/", "psycopg/")),
    ("broker (Celery, kombu, amqp)", ("celery/", "kombu/", "amqp/", "vine/")),
    ("HTTP server (uvicorn, httptools)", ("uvicorn/", "httptools/")),
    ("FastAPI, Starlette", ("fastapi/", "starlette/")),
    ("pydantic, json", ("pydantic", "json/")),
    ("thread hand-offs (anyio, threading, queue)", ("anyio/", "threading.py", "queue.py")),
    ("event loop (asyncio, uvloop)", ("asyncio/", "uvloop")),
    ("nashr's own code", ("ingest/", "pipeline/", "tasks/", "config/")),
]
"""By the innermost frame of a sample: which layer was running."""
STAGES: list[tuple[str, tuple[str, ...]]] = [
    ("token lookup", ("TokenStore.verify",)),
    ("accept statement", ("ArticleStore.accept",)),
    ("outbox sender: send", ("OutboxSender._send",)),
    ("outbox sender: mark sent", ("OutboxSender._mark",)),
]
"""By the outermost nashr call in a sample; the rest is the request's way through the server."""


def measure(workers: bool, args: argparse.Namespace, articles: list[dict[str, Any]]) -> None:
    with deployment("rabbitmq", worker=workers, beat=workers, keep=args.keep) as running:
        assert running.api is not None
        base = running.api.base
        host = base.removeprefix("http://")
        requests = [request_bytes(host, "/articles", running.token, a) for a in articles]
        asyncio.run(open_loop(base, requests[:100], 50))  # warm-up
        count = int(args.rate * args.seconds)
        due = [requests[i % len(requests)] for i in range(count)]
        profile = args.profile / "api.collapsed.txt" if args.profile and not workers else None
        with sampled(running.api.child.process.pid, profile):
            meter = CpuMeter()
            latencies, failures = asyncio.run(open_loop(base, due, args.rate))
            spent = meter.spent()
        rate = asyncio.run(closed_loop(base, requests, args.peak_seconds, 32))
    who = "with a worker and beat beside it" if workers else "API alone"
    print(
        f"{who:<34} | {args.rate:>6.0f} {len(latencies):>6} {failures:>4}"
        f" | {percentile(latencies, 50):>7.1f} {percentile(latencies, 99):>7.1f}"
        f" {max(latencies):>8.1f} | {rate:>9.0f}"
    )
    per_request = spent.get("api (uvicorn)", 0.0) * 1000 / max(1, len(latencies))
    print(f"{'':<34}   CPU s at the fixed rate: {spent}; API {per_request:.1f} ms a request")
    if profile is not None:
        summarise(profile)


@contextmanager
def sampled(pid: int, output: Path | None) -> Iterator[None]:
    """py-spy on the process while the block runs, sampling only the thread holding the GIL:
    what bounds one Python process's rate."""
    if output is None:
        yield
        return
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if spy is None:
        raise SystemExit("--profile needs py-spy (.venv/bin/pip install py-spy)")
    output.parent.mkdir(parents=True, exist_ok=True)
    command = [spy, "record", "--pid", str(pid), "--gil", "--rate", "200", "--format", "raw",
               "--nonblocking", "-o", str(output)]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


def summarise(collapsed: Path) -> None:
    """Samples by stage of the request and by layer of code, as shares of all samples."""
    stages: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    total = 0
    for frames, count in collapsed_stacks(collapsed):
        total += count
        stages[_first(frames, STAGES, "the request through the server")] += count
        areas[_first(frames[::-1], AREAS, "other")] += count
    print(f"# profile ({collapsed}): {total} samples of the API holding the GIL")
    for title, counts in (("stage", stages), ("layer", areas)):
        for name, count in counts.most_common():
            print(f"#   {title} {count / max(1, total):6.1%}  {name}")


def _first(frames: list[str], table: list[tuple[str, tuple[str, ...]]], default: str) -> str:
    for frame in frames:
        for name, needles in table:
            if any(needle in frame for needle in needles):
                return name
    return default


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--peak-seconds", type=float, default=10.0)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--profile", type=Path, help="py-spy the API alone; stacks kept here")
    parser.add_argument("--alone-only", action="store_true", help="skip the run with workers")
    args = parser.parse_args(argv)
    articles = corpus_submissions(args.corpus)
    print(f"command: {' '.join([sys.executable, *sys.argv])}")
    print(f"load average at the start: {load_average()}")
    print(
        "POST /articles on uvicorn (one process, as `nashr up` runs it), PostgreSQL, RabbitMQ; "
        "corpus articles"
    )
    print(
        f"{'':<34} | {'rate/s':>6} {'sent':>6} {'!202':>4} | {'p50 ms':>7} {'p99 ms':>7}"
        f" {'max ms':>8} | {'peak/s':>9}"
    )
    measure(False, args, articles)
    if not args.alone_only:
        measure(True, args, articles)
    print(f"load average at the end: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
