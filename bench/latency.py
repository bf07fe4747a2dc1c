"""How long one article takes to reach readers when nashr is idle, and how fast a newsroom's
burst goes live on the embedded default.

Run from the repository root: `.venv/bin/python bench/latency.py [--broker rabbitmq]`.

Idle: articles from the corpus, one at a time, each after the previous is live. For each: submit
→ its page is served (200 from the real API), submit → `live` (on the page, the home page, the
feeds and the ticker), and submit → its first tag page lists it. Beside them, in the same run,
the bare cost of one HTTP round trip to the same API (`GET /health`).

Burst (`--burst`): N corpus articles submitted one after another, then N from 16 clients at
once; the time from the first submission to the last article live.
"""

# ruff: noqa: E402  (the repository root goes on sys.path before its packages are imported)
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx

from bench.api import submit_all
from bench.corpus import DEFAULT_CORPUS, corpus_submissions, reused
from bench.deploy import BROKERS, Deployment, deployment
from bench.processes import BenchError
from bench.report import load_average, percentile


def _poll(client: httpx.Client, check: Any, timeout: float = 30.0) -> float:
    """Seconds until `check(client)` holds, polled every 2 ms."""
    started = time.monotonic()
    while not check(client):
        if time.monotonic() - started > timeout:
            raise BenchError("timed out")
        time.sleep(0.002)
    return time.monotonic() - started


def idle(running: Deployment, articles: list[dict[str, Any]]) -> dict[str, list[float]]:
    assert running.api is not None
    found: dict[str, list[float]] = {"page": [], "live": [], "tag page": [], "round trip": []}
    headers = {"Authorization": f"Bearer {running.token}"}
    with httpx.Client(base_url=running.api.base, headers=headers, timeout=10) as client:
        for article in articles:
            for name, seconds in one_article(client, article).items():
                found[name].append(seconds)
    return found


def one_article(client: httpx.Client, article: dict[str, Any]) -> dict[str, float]:
    """Seconds from its submission to each sight of it; a bare round trip beside them."""
    started = time.monotonic()
    client.get("/health")
    seen = {"round trip": time.monotonic() - started}
    started = time.monotonic()
    answer = client.post("/articles", json=article)
    if answer.status_code != 202:
        raise BenchError(f"POST /articles answered {answer.status_code}: {answer.text}")
    article_id = answer.json()["id"]
    page = f"/news/{article_id}.html"
    _poll(client, lambda c: c.get(page).status_code == 200)
    seen["page"] = time.monotonic() - started
    _poll(client, lambda c: c.get(f"/articles/{article_id}").json()["status"] == "live")
    seen["live"] = time.monotonic() - started
    tags = client.get(f"/news/{article_id}.json").json()["tags"]
    if tags:
        path = "/tags/" + tags[0]["slug"] + ".html"
        _poll(client, lambda c: page in c.get(path).text)
        seen["tag page"] = time.monotonic() - started
    return seen


def burst(running: Deployment, articles: list[dict[str, Any]], clients: int) -> float:
    """Seconds from the first submission to the last of them live."""
    assert running.api is not None
    already = running.store.count_by_status().get("live", 0)
    started = time.monotonic()
    submit_all(running.api.base, running.token, articles, clients=clients)
    running.wait_live(already + len(articles), 300)
    return time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--broker", choices=BROKERS, default="rabbitmq")
    parser.add_argument("--articles", type=int, default=50, help="idle: one at a time")
    parser.add_argument("--burst", type=int, default=0, help="burst size (0: no burst)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    corpus = corpus_submissions(args.corpus)
    print(f"command: {' '.join([sys.executable, *sys.argv])}")
    print(f"load average at the start: {load_average()}")
    with deployment(args.broker, keep=args.keep) as running:
        warm = reused(corpus, 3, "warm")
        submit_all(running.api.base, running.token, warm, clients=1)  # type: ignore[union-attr]
        running.wait_live(3, 60)
        found = idle(running, corpus[: args.articles])
        print(f"\n{args.broker}: {args.articles} articles one at a time, nashr idle")
        print(f"{'':<12} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        for name, values in found.items():
            ms = [v * 1000 for v in values]
            if ms:
                print(
                    f"{name:<12} {percentile(ms, 50):>8.0f} {percentile(ms, 99):>8.0f}"
                    f" {max(ms):>8.0f}"
                )
        if args.burst:
            one = burst(running, reused(corpus, args.burst, "one"), clients=1)
            many = burst(running, reused(corpus, args.burst, "many"), clients=16)
            print(f"\n{args.burst} submitted one after another, all live: {one:.1f} s")
            print(f"{args.burst} from 16 clients at once, all live: {many:.1f} s")
    print(f"load average at the end: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
