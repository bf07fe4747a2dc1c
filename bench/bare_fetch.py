"""The sources benchmark's baselines: the same feeds on the same server, fetched in this thread
with nothing of nashr around them, CPU per fetch read from the thread's own clock.

- `bare`: one httpx client, a conditional GET (a new connection each, as nashr makes), and
  `feedparser.parse` of a 200: the least a poller can do.
- `nashr code`: nashr's own `fetch_feed` and `parse_feed`, without the database, the items'
  submissions or Celery, so the gap between the two rows and the worker's figure says which
  part costs what.

Rounds alternate unconditional and conditional requests, so both kinds of answer are timed
whatever the feeds do meanwhile; each side's 200s and 304s are summed apart.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import feedparser
import httpx

from config.settings import Settings
from pipeline.services.runtime import source_rules
from pipeline.sources.fetch import fetch_feed
from pipeline.sources.parse import parse_feed


@dataclass(frozen=True)
class Sample:
    status: int
    cpu_ms: float
    wall_ms: float


Answer = tuple[int, str | None, str | None]
"""(status, ETag, Last-Modified): the validators to send next time."""
Fetch = Callable[[str, str | None, str | None], Answer]
"""(url, ETag, Last-Modified) -> the answer; a 200's body is parsed."""


def bare_fetcher() -> tuple[Fetch, Callable[[], None]]:
    client = httpx.Client(
        headers={"User-Agent": "bench-bare", "Accept-Encoding": "gzip", "Connection": "close"},
        timeout=20,
    )

    def fetch(url: str, etag: str | None, modified: str | None) -> Answer:
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if modified:
            headers["If-Modified-Since"] = modified
        response = client.get(url, headers=headers)
        if response.status_code == 200:
            feedparser.parse(response.content)
        return (
            response.status_code,
            response.headers.get("ETag", etag),
            response.headers.get("Last-Modified", modified),
        )

    return fetch, client.close


def nashr_code_fetcher(settings: Settings) -> tuple[Fetch, Callable[[], None]]:
    rules = source_rules(settings)

    def fetch(url: str, etag: str | None, modified: str | None) -> Answer:
        fetched = fetch_feed(
            url, etag=etag, last_modified=modified, user_agent="bench-code", policy=rules.policy
        )
        if fetched.status == 200:
            parse_feed(fetched.body, fetched.content_type, base_url=fetched.final_url)
        return fetched.status, fetched.etag, fetched.last_modified

    return fetch, lambda: None


def fetch_rounds(fetch: Fetch, urls: list[str], rounds: int) -> list[Sample]:
    """`rounds` passes over every feed, every other one without validators."""
    validators: dict[str, tuple[str | None, str | None]] = {}
    samples = []
    for round_number in range(rounds):
        conditional = round_number % 2 == 1
        for url in urls:
            etag, modified = validators.get(url, (None, None)) if conditional else (None, None)
            cpu, wall = time.thread_time(), time.perf_counter()
            status, etag, modified = fetch(url, etag, modified)
            samples.append(
                Sample(
                    status,
                    (time.thread_time() - cpu) * 1000,
                    (time.perf_counter() - wall) * 1000,
                )
            )
            validators[url] = (etag, modified)
    return samples
