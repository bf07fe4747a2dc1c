"""The articles a fault run puts in flight, and what the run must end up publishing.

Articles are small (a short title, two short paragraphs, one editor tag) so that publishing
stays cheap. The title carries the version ("خبر 17 ن 3"), so every feed entry, ticker
headline and page says which version it shows.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from pipeline.store.schema import IS_CURRENT_VERSION, article_versions, articles, outbox
from tests.system import RunningSystem

ARTICLES = 200
"""Distinct articles in flight in every run; every listing is sized to hold them all."""

LISTING_SIZES = {"NASHR_FEED_SIZE": "500", "NASHR_TICKER_SIZE": "200"}
"""Nothing drops off a feed or the ticker legitimately (the ticker's maximum is 200)."""

_VERSION_IN_TITLE = re.compile(r" ن (\d+)$")


def payload(key: int, version: int, run: str) -> dict[str, Any]:
    """Submission `version` of the run's article `key`; the same external_id makes versions."""
    return {
        "title": f"خبر {key} ن {version}",
        "body": "هذا هو.\n\nوهذا أيضا.",
        "source_url": f"https://news.example/{run}/{key}",
        "source_name": "مصدر",
        "tags": [f"وسم {key % 10}"],
        "external_id": f"{run}-{key}",
    }


def version_in(title: str) -> int | None:
    """The version a title, headline or feed entry shows."""
    found = _VERSION_IN_TITLE.search(title.strip())
    return int(found.group(1)) if found else None


@dataclass
class Workload:
    """What was accepted (202): each article's id and the newest version the ingest answered."""

    system: RunningSystem
    run: str
    latest: dict[int, int] = field(default_factory=dict)
    submissions: int = 0
    _ids: dict[int, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def submit(self, key: int, version: int) -> int:
        answer = self.system.submit(payload(key, version, self.run))
        assert answer["version"] == version, (key, version, answer)
        with self._lock:
            self.submissions += 1
            self._ids[key] = answer["id"]
            self.latest[answer["id"]] = max(version, self.latest.get(answer["id"], 0))
        return int(answer["id"])

    def submit_all(
        self,
        versions: Iterable[tuple[int, int]],
        threads: int = 8,
        per_second: float | None = None,
    ) -> None:
        """Many editors at once, or one article every 1/`per_second` s; the versions of one
        article go in order, from one editor."""
        by_key: dict[int, list[int]] = {}
        for key, version in versions:
            by_key.setdefault(key, []).append(version)

        def one_editor(key: int) -> None:
            for version in sorted(by_key[key]):
                self.submit(key, version)

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=threads) as pool:
            sent = []
            for index, key in enumerate(by_key):
                if per_second is not None:
                    time.sleep(max(0.0, started + index / per_second - time.monotonic()))
                sent.append(pool.submit(one_editor, key))
            for done in sent:
                done.result()

    def keys(self) -> dict[int, int]:
        """Article id to key, for the articles whose first answer has come back."""
        with self._lock:
            return {article_id: key for key, article_id in self._ids.items()}

    def undispatched(self) -> int:
        """Outbox rows whose message never reached the broker: the sweeper's to send."""
        engine = self.system.store.engine
        try:
            with engine.connect() as db:
                return int(
                    db.execute(
                        select(func.count())
                        .select_from(outbox)
                        .where(outbox.c.dispatched_at.is_(None))
                    ).scalar_one()
                )
        finally:
            engine.dispose()

    def current(self) -> list[tuple[int, int, str]]:
        """(article id, current version, its status) as the store has them now."""
        engine = self.system.store.engine
        try:
            with engine.connect() as db:
                rows = db.execute(
                    select(
                        articles.c.id, articles.c.current_version, article_versions.c.status
                    ).join(article_versions, IS_CURRENT_VERSION)
                ).all()
        finally:
            engine.dispose()
        return [(row[0], row[1], row[2]) for row in rows]

    @property
    def articles(self) -> int:
        return len(self.latest)
