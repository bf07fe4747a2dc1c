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
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx

from bench.corpus import DEFAULT_CORPUS, corpus_submissions
from bench.deploy import deployment
from bench.report import load_average, percentile


async def fixed_rate(
    base: str, token: str, articles: list[dict[str, Any]], rate: float, seconds: float
) -> tuple[list[float], int]:
    """Latencies in ms of every request due in the window, and how many were not 202."""
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    failures = 0
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=30
    ) as client:

        async def one(index: int, due: float) -> None:
            nonlocal failures
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            answer = await client.post("/articles", json=articles[index % len(articles)])
            latencies.append((time.monotonic() - due) * 1000)
            failures += answer.status_code != 202

        start = time.monotonic() + 0.5
        count = int(rate * seconds)
        await asyncio.gather(*(one(i, start + i / rate) for i in range(count)))
    return latencies, failures


async def peak(
    base: str, token: str, articles: list[dict[str, Any]], seconds: float, connections: int = 32
) -> float:
    """Requests answered per second with `connections` clients sending back to back."""
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=connections)
    done = 0
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=30
    ) as client:
        deadline = time.monotonic() + seconds

        async def sender(offset: int) -> None:
            nonlocal done
            index = offset
            while time.monotonic() < deadline:
                await client.post("/articles", json=articles[index % len(articles)])
                done += 1
                index += connections

        started = time.monotonic()
        await asyncio.gather(*(sender(i) for i in range(connections)))
        return done / (time.monotonic() - started)


def measure(workers: bool, args: argparse.Namespace, articles: list[dict[str, Any]]) -> None:
    with deployment("rabbitmq", worker=workers, beat=workers, keep=args.keep) as running:
        assert running.api is not None
        asyncio.run(fixed_rate(running.api.base, running.token, articles, 50, 2))  # warm-up
        latencies, failures = asyncio.run(
            fixed_rate(running.api.base, running.token, articles, args.rate, args.seconds)
        )
        rate = asyncio.run(peak(running.api.base, running.token, articles, args.peak_seconds))
    who = "with a worker and beat beside it" if workers else "API alone"
    print(
        f"{who:<34} | {args.rate:>6.0f} {len(latencies):>6} {failures:>4}"
        f" | {percentile(latencies, 50):>7.1f} {percentile(latencies, 99):>7.1f}"
        f" {max(latencies):>8.1f} | {rate:>9.0f}"
    )


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
