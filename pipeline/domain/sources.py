"""Sources: other outlets' feeds nashr pulls, as values, and what their state means.

Pure: the store keeps sources and the items seen in them, the scheduler claims their due
fetches, the sources service fetches, reads and submits. A source is `failing` after
FAILING_AFTER failed fetches in a row, `idle` when nothing new came for the idle setting,
`not_modified` when its last answer was 304, else `ok`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import get_args

from pipeline.domain.errors import NashrError
from pipeline.domain.models import SectionName
from pipeline.domain.source import http_url_problem

DEFAULT_EVERY_SECONDS = 300
MIN_EVERY_SECONDS = 60
MAX_EVERY_SECONDS = 7 * 24 * 3600
FAILING_AFTER = 3
"""Failed fetches in a row before a source is `failing` (one timeout is weather, three are not)."""
MAX_BACKOFF = timedelta(hours=6)
MAX_SOURCE_TAGS = 10
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")


class SourceError(NashrError):
    """A source that cannot be stored as asked: the message names the part and why."""


class SourceState(StrEnum):
    OK = "ok"
    NOT_MODIFIED = "not_modified"
    FAILING = "failing"
    IDLE = "idle"


class FetchOutcome(StrEnum):
    CLAIMED = "claimed"
    RUNNING = "running"
    OK = "ok"
    NOT_MODIFIED = "not_modified"
    FAILED = "failed"
    SUPERSEDED = "superseded"
    """Claimed, never started, and a later slot of the same source was claimed: that one runs."""


@dataclass(frozen=True)
class SourceSpec:
    """What an operator gives `nashr sources add`, every part checked."""

    name: str
    url: str
    every: int = DEFAULT_EVERY_SECONDS
    section: SectionName | None = None
    tags: tuple[str, ...] = ()
    excerpt_only: bool = False
    backfill: bool = False

    def __post_init__(self) -> None:
        check_source_name(self.name)
        problem = http_url_problem(self.url) if len(self.url) <= 2048 else "at most 2048 chars"
        if problem is None and any(unicodedata.category(ch) in ("Cf", "Cc") for ch in self.url):
            problem = "must not contain invisible or direction-changing characters"
        if problem is not None:
            raise SourceError(f"url: {problem}")
        if not MIN_EVERY_SECONDS <= self.every <= MAX_EVERY_SECONDS:
            raise SourceError(
                f"every: must be between {MIN_EVERY_SECONDS} and {MAX_EVERY_SECONDS} seconds"
            )
        if self.section is not None and self.section not in get_args(SectionName):
            raise SourceError(
                f"section: must be one of {', '.join(get_args(SectionName))}, "
                f"not {self.section[:40]!r}"
            )
        if len(self.tags) > MAX_SOURCE_TAGS:
            raise SourceError(f"tag: at most {MAX_SOURCE_TAGS} tags")
        for tag in self.tags:
            if not tag.strip() or len(tag) > 100 or not tag.isprintable():
                raise SourceError("tag: each tag is 1 to 100 printable characters")


def check_source_name(name: str) -> str:
    if not _NAME.match(name):
        raise SourceError(
            "name: 1-80 characters of lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


@dataclass(frozen=True)
class Source:
    spec: SourceSpec
    paused: bool
    created_at: datetime
    next_fetch_at: datetime
    first_fetch_at: datetime | None = None
    last_fetch_at: datetime | None = None
    last_ok_at: datetime | None = None
    last_new_at: datetime | None = None
    """When the last item nashr had not seen arrived."""
    last_outcome: FetchOutcome | None = None
    last_error: str | None = None
    failures: int = 0
    """Failed fetches in a row."""
    items_seen: int = 0
    articles_published: int = 0
    etag: str | None = None
    last_modified: str | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    def state(self, now: datetime, idle_after: timedelta) -> SourceState:
        if self.failures >= FAILING_AFTER:
            return SourceState.FAILING
        quiet_since = self.last_new_at or self.first_fetch_at or self.created_at
        if self.last_fetch_at is not None and now - quiet_since >= idle_after:
            return SourceState.IDLE
        if self.last_outcome is FetchOutcome.NOT_MODIFIED:
            return SourceState.NOT_MODIFIED
        return SourceState.OK

    def as_json(self, now: datetime, idle_after: timedelta) -> dict[str, object]:
        """What `nashr sources list --json` and GET /ops/sources print for it."""
        return {
            "name": self.name,
            "url": self.spec.url,
            "every": self.spec.every,
            "paused": self.paused,
            "state": self.state(now, idle_after).value,
            "last_fetch_at": _iso(self.last_fetch_at),
            "last_ok_at": _iso(self.last_ok_at),
            "last_error": self.last_error,
            "items_seen": self.items_seen,
            "articles_published": self.articles_published,
            "next_fetch_at": None if self.paused else _iso(self.next_fetch_at),
            "section": self.spec.section,
            "tags": list(self.spec.tags),
            "excerpt_only": self.spec.excerpt_only,
            "failures": self.failures,
        }


def next_fetch(due: datetime, now: datetime, every: int, failures: int) -> datetime:
    """The next slot after a fetch: every `every` seconds while it works; after failures the
    wait doubles each time (every × 2, × 4, …) up to MAX_BACKOFF, so a dead outlet is asked
    rarely and a live one again at once when it answers."""
    step = timedelta(seconds=every)
    if failures > 0:
        step = min(step * 2 ** min(failures, 16), max(MAX_BACKOFF, step))
    following = due + step
    if following <= now:
        missed = (now - following) // step + 1
        following += step * missed
    return following


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.isoformat() + ("Z" if moment.tzinfo is None else "")
