"""Breaking news jumps the line: a `breaking: true` article behind 2,000 queued ordinary ones.

Run from the repository root: `.venv/bin/python bench/breaking.py [--broker rabbitmq|redis]`.

The ordinary articles (corpus articles under new external ids) are all accepted first, so every
step's queue is deep, then one breaking article is submitted; the figure is its submit → `live`
(its page, the home page, the feeds and the ticker), beside how long the ordinary burst took to
clear in the same run. The worker starts only once every article is queued, so the breaking
one is behind all 2,000 at every step's queue; it is timed from the worker's start.
"""

# ruff: noqa: E402  (the repository root goes on sys.path before its packages are imported)
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx

from bench.api import submit_all
from bench.corpus import DEFAULT_CORPUS, corpus_submissions, reused
from bench.deploy import deployment
from bench.processes import BenchError
from bench.report import load_average


def run(broker: str, ahead: int, corpus: Path, keep: bool) -> tuple[float, float, int]:
    """(worker start → breaking live, worker start → every article live, ordinary articles
    that went live before the breaking one)"""
    articles = corpus_submissions(corpus)
    with deployment(broker, keep=keep, worker=False) as running:
        assert running.api is not None
        # every ordinary article is accepted and queued before any worker runs
        submit_all(running.api.base, running.token, reused(articles, ahead, "queued"), clients=16)
        breaking = articles[0] | {
            "title": "عاجل: " + articles[0]["title"],
            "breaking": True,
            "external_id": "breaking-news",
        }
        headers = {"Authorization": f"Bearer {running.token}"}
        with httpx.Client(base_url=running.api.base, headers=headers, timeout=10) as client:
            article_id = client.post("/articles", json=breaking).json()["id"]
            running.start_worker()
            submitted = started = time.monotonic()
            while client.get(f"/articles/{article_id}").json()["status"] != "live":
                if time.monotonic() - submitted > 120:
                    raise BenchError("the breaking article was not live within 120 s")
                time.sleep(0.01)
            breaking_seconds = time.monotonic() - submitted
        live_before = running.store.count_by_status().get("live", 0) - 1
        running.wait_live(ahead + 1, 900)
        return breaking_seconds, time.monotonic() - started, live_before


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--broker", choices=["rabbitmq", "redis", "all"], default="all")
    parser.add_argument("--ahead", type=int, default=2000, help="ordinary articles queued first")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    print(f"command: {' '.join([sys.executable, *sys.argv])}")
    print(f"load average at the start: {load_average()}")
    print(f"{'broker':<9} {'queued':>6} | {'breaking live s':>15} {'ordinary live first':>20} |"
          f" {'all live s':>15}")  # fmt: skip
    for broker in ("rabbitmq", "redis") if args.broker == "all" else (args.broker,):
        seconds, burst, before = run(broker, args.ahead, args.corpus, args.keep)
        print(f"{broker:<9} {args.ahead:>6} | {seconds:>15.2f} {before:>20} | {burst:>15.1f}")
    print(f"load average at the end: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
