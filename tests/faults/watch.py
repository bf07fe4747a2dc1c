"""A reader polling the feeds and the ticker during a run: no snapshot may lose a live entry.

With listings sized to hold every article, an entry may only appear, or be replaced by a
newer version of the same article; it never vanishes, never goes back to an older version,
and never shows twice. The ticker may drop its oldest entry only when it is full.
"""

from __future__ import annotations

import json
import re
import threading
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from pipeline.store.outputs import OutputStore
from tests.faults.workload import version_in

ATOM = "{http://www.w3.org/2005/Atom}"
_ID_IN_URL = re.compile(r"/news/(\d+)\.html$")

Entries = list[tuple[int, int | None]]
"""(article id, version shown) in the order a listing gives them."""


def _article_id(url: str) -> int:
    found = _ID_IN_URL.search(url.strip())
    assert found, f"not an article URL: {url!r}"
    return int(found.group(1))


def rss_entries(raw: bytes) -> Entries:
    return [
        (_article_id(item.findtext("guid") or ""), version_in(item.findtext("title") or ""))
        for item in ET.fromstring(raw).iter("item")
    ]


def atom_entries(raw: bytes) -> Entries:
    return [
        (
            _article_id(entry.findtext(f"{ATOM}id") or ""),
            version_in(entry.findtext(f"{ATOM}title") or ""),
        )
        for entry in ET.fromstring(raw).iter(f"{ATOM}entry")
    ]


def json_feed_entries(raw: bytes) -> Entries:
    return [(_article_id(i["id"]), version_in(i["title"])) for i in json.loads(raw)["items"]]


def ticker_entries(raw: bytes) -> Entries:
    return [(int(e["id"]), version_in(e["headline"])) for e in json.loads(raw)]


LISTINGS: dict[str, Callable[[bytes], Entries]] = {
    "/feeds/rss.xml": rss_entries,
    "/feeds/atom.xml": atom_entries,
    "/feeds/feed.json": json_feed_entries,
    "/ticker.json": ticker_entries,
}


@dataclass
class ListingWatcher:
    """Reads each listing whenever it is replaced (each is written whole, in one transaction),
    straight from the outputs every API process serves."""

    outputs: OutputStore
    ticker_size: int
    interval: float = 0.2
    snapshots: int = 0
    duplicates: set[tuple[str, int]] = field(default_factory=set)
    vanished: set[tuple[str, int]] = field(default_factory=set)
    went_back: set[tuple[str, int]] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    _last: dict[str, dict[int, int | None]] = field(default_factory=dict)
    _seen: dict[str, str] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> ListingWatcher:
        self._thread = threading.Thread(target=self._run, name="listing-watcher", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop polling, after judging the final state of every file too."""
        if self._stop.is_set():
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.poll()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.poll()
            except Exception as exc:  # reported at the end, never lost in a thread
                self._note(f"watcher failed: {type(exc).__name__}: {exc}")

    def poll(self) -> None:
        found = self.outputs.get(*LISTINGS)
        for path, parse in LISTINGS.items():
            output = found.get(path)
            if output is None or self._seen.get(path) == output.etag:
                continue  # not written yet, or unchanged since the last poll
            self._seen[path] = output.etag
            self._judge(path, parse(output.body))

    def _judge(self, path: str, entries: Entries) -> None:
        self.snapshots += 1
        counts = Counter(article_id for article_id, _ in entries)
        for article_id, count in counts.items():
            if count > 1 and (path, article_id) not in self.duplicates:
                self.duplicates.add((path, article_id))
                self._note(f"{path}: article {article_id} shown {count} times")
        now = dict(entries)
        before = self._last.get(path, {})
        may_drop = path == "/ticker.json" and len(entries) >= self.ticker_size
        for article_id, version in before.items():
            if article_id not in now:
                if not may_drop and (path, article_id) not in self.vanished:
                    self.vanished.add((path, article_id))
                    self._note(f"{path}: article {article_id} (v{version}) vanished")
            elif (now[article_id] or 0) < (version or 0):
                self.went_back.add((path, article_id))
                self._note(f"{path}: article {article_id} went back v{version}→v{now[article_id]}")
        self._last[path] = now

    def _note(self, problem: str) -> None:
        if len(self.problems) < 50:
            self.problems.append(problem)
