"""A newsroom's rush on `POST /articles`: the real uvicorn server on PostgreSQL, loaded from
loopback at a fixed rate, then as fast as it goes; without workers, then with them beside it.

Run from the repository root: `.venv/bin/python bench/ingest.py [--rate 200 --seconds 30]`.

The fixed-rate load is open-loop: each request is due at its own moment and its latency counts
from that moment, so a slow answer delays the ones behind it and shows in the figures
(no coordinated omission). The peak is closed-loop: 32 connections, each sending as soon as its
last answer came, for `--peak-seconds`.
"""

# ruff: noqa: E402  (the repository root goes on sys.path before its packages are imported)
from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.corpus import DEFAULT_CORPUS, corpus_submissions
from bench.cpu import CpuMeter
from bench.deploy import deployment
from bench.loadgen import closed_loop, open_loop, request_bytes
from bench.report import load_average, percentile


def measure(workers: bool, args: argparse.Namespace, articles: list[dict[str, Any]]) -> None:
    with deployment("rabbitmq", worker=workers, beat=workers, keep=args.keep) as running:
        assert running.api is not None
        base = running.api.base
        host = base.removeprefix("http://")
        requests = [request_bytes(host, "/articles", running.token, a) for a in articles]
        asyncio.run(open_loop(base, requests[:100], 50))  # warm-up
        count = int(args.rate * args.seconds)
        due = [requests[i % len(requests)] for i in range(count)]
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--peak-seconds", type=float, default=10.0)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--keep", action="store_true")
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
    measure(True, args, articles)
    print(f"load average at the end: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
