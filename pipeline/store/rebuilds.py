"""Coalesced listing rebuilds, shared by every worker process on the site's volume.

A publish asks for a rebuild (a generation number, plus the pages and tags it touched) after
its database commit, then takes the rebuild lock. Whoever holds the lock reads the database
and rebuilds everything asked for so far; a caller whose generation is already built returns
at once. So a burst of publishes costs a few rebuilds, not one each, and no entry is lost:
the rebuild that covers a request reads the database after that request's commit.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from pipeline.errors import TransientError
from pipeline.models import Tag


@dataclass
class RebuildWork:
    """What has been asked for and not yet rebuilt."""

    requested: int = 0
    built: int = 0
    articles: set[int] = field(default_factory=set)
    tags: dict[str, Tag] = field(default_factory=dict)
    feeds: bool = False
    """Whether the feeds must be rebuilt too; the ticker and home page always are."""

    def to_json(self) -> dict[str, Any]:
        return {
            "requested": self.requested,
            "built": self.built,
            "articles": sorted(self.articles),
            "tags": [tag.model_dump(mode="json") for tag in self.tags.values()],
            "feeds": self.feeds,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RebuildWork:
        tags = [Tag.model_validate(t) for t in data.get("tags", [])]
        return cls(
            requested=int(data.get("requested", 0)),
            built=int(data.get("built", 0)),
            articles={int(a) for a in data.get("articles", [])},
            tags={tag.slug: tag for tag in tags},
            feeds=bool(data.get("feeds", False)),
        )


class RebuildQueue:
    def __init__(self, state_dir: Path, lock_timeout: float = 60.0) -> None:
        self.state_dir = state_dir
        self.lock_timeout = lock_timeout
        self._state_path = state_dir / "rebuilds.json"

    def request(
        self, articles: Iterable[int] = (), tags: Iterable[Tag] = (), feeds: bool = True
    ) -> int:
        """Record what needs rebuilding; returns the generation that will include it."""
        with self._state_lock():
            work = self._read()
            work.requested += 1
            work.feeds = work.feeds or feeds
            work.articles.update(articles)
            work.tags.update({tag.slug: tag for tag in tags})
            self._write(work)
            return work.requested

    def requested(self) -> int:
        with self._state_lock():
            return self._read().requested

    @contextmanager
    def turn(self, generation: int) -> Iterator[RebuildWork | None]:
        """Hold the rebuild lock; yields the work to do, or None when `generation` is built."""
        with self._locked("rebuild.lock"):
            with self._state_lock():
                work = self._read()
            if work.built >= generation:
                yield None
                return
            yield work
            self._done(work)

    def _done(self, taken: RebuildWork) -> None:
        """Mark what was rebuilt; requests that arrived meanwhile are left for the next turn."""
        with self._state_lock():
            work = self._read()
            work.built = max(work.built, taken.requested)
            if work.requested == taken.requested:
                # Nothing arrived meanwhile; otherwise everything is kept for the next turn,
                # since a newer request may touch the same page after this rebuild read it.
                work.articles.clear()
                work.tags.clear()
                work.feeds = False
            self._write(work)

    def _state_lock(self) -> AbstractContextManager[None]:
        return self._locked("state.lock")

    @contextmanager
    def _locked(self, name: str) -> Iterator[None]:
        """A lock held too long by someone else is a transient failure: the task retries."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.state_dir / name), timeout=self.lock_timeout)
        try:
            lock.acquire()
        except Timeout:
            raise TransientError(f"{name} is held too long by another process") from None
        try:
            yield
        finally:
            lock.release()

    def _read(self) -> RebuildWork:
        try:
            return RebuildWork.from_json(json.loads(self._state_path.read_text("utf-8")))
        except FileNotFoundError:
            return RebuildWork()

    def _write(self, work: RebuildWork) -> None:
        partial = self._state_path.with_suffix(".part")
        partial.write_text(json.dumps(work.to_json(), ensure_ascii=False), "utf-8")
        partial.replace(self._state_path)
