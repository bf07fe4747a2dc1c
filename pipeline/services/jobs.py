"""Scheduled jobs: adding them with every check done before anything is stored, and running
the action of a claimed run (on a worker, or in `nashr jobs run`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from pipeline.domain.errors import NashrError
from pipeline.domain.jobs import (
    BUILT_IN_ACTIONS,
    Action,
    Job,
    JobAction,
    JobError,
    Schedule,
    check_name,
)
from pipeline.domain.models import is_article_id
from pipeline.services.listings import SiteListings
from pipeline.services.publishing import Publisher
from pipeline.store.bumps import BumpStore
from pipeline.store.database import utcnow
from pipeline.store.jobs import JobStore

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
"""Called with (done, total) as a long action goes: the CLI draws its bar from it."""

BUILT_IN_SWEEP = "sweep-stuck-articles"
BUILT_IN_REFRESH = "refresh-listings"


class Interrupted(NashrError):
    """A long action stopped between two whole pieces of work (Ctrl-C)."""


class Sweeping(Protocol):
    """The sweeper and the refresh need the broker: the task layer hands them in."""

    def sweep(self) -> tuple[str, int]: ...
    def refresh(self) -> tuple[str, int]: ...


def _quiet(_done: int, _total: int) -> None:
    return None


@dataclass(frozen=True)
class RunResult:
    detail: str
    error: str | None = None
    items: int = 0


class Jobs:
    def __init__(
        self,
        store: JobStore,
        bumps: BumpStore,
        publisher: Publisher,
        listings: SiteListings,
    ) -> None:
        self.store = store
        self.bumps = bumps
        self.publisher = publisher
        self.listings = listings

    def add(self, name: str, schedule: Schedule, action: JobAction) -> Job:
        """Every check first (name, schedule, action, the article); then one insert."""
        check_name(name)
        schedule.check_for_operators()
        if action.action in BUILT_IN_ACTIONS:
            raise JobError(f"action: {action.action.value} belongs to the built-in jobs only")
        if action.action is Action.REPUBLISH and not (
            is_article_id(action.article_id) and self.publisher.live_article(action.article_id)
        ):
            raise JobError(f"action: article {action.article_id} is unknown or not live")
        return self.store.add(name, schedule, action)

    def ensure_built_in(self, sweep_seconds: float, refresh_seconds: float) -> None:
        self.store.ensure_built_in(BUILT_IN_SWEEP, sweep_seconds, Action.SWEEP)
        self.store.ensure_built_in(BUILT_IN_REFRESH, refresh_seconds, Action.REFRESH)

    def run_claimed(
        self, run_id: int, job: str, sweeping: Sweeping | None, progress: Progress = _quiet
    ) -> RunResult | None:
        """Start the run (once, whoever else holds its message), do it, record how it went.
        None when the run was started elsewhere or superseded."""
        action = self.store.start(run_id)
        if action is None:
            return None
        try:
            detail, items = self.perform(action, sweeping, progress)
        except Interrupted as exc:
            self.store.finish(run_id, error=str(exc))
            raise
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            self.store.finish(run_id, error=error)
            log.error("job failed", extra={"job": job, "error": error})
            return RunResult("", error)
        self.store.finish(run_id, detail=detail, items=items)
        log.info("job done", extra={"job": job, "detail": detail})
        return RunResult(detail, items=items)

    def perform(
        self, action: JobAction, sweeping: Sweeping | None, progress: Progress = _quiet
    ) -> tuple[str, int]:
        """What the run did, in words and as a count of what it handled."""
        match action.action:
            case Action.REPUBLISH:
                return self.republish(action.article_id), 1
            case Action.REBUILD_TAG:
                assert action.argument is not None
                count = self._republish_each(self.bumps.live_articles(action.argument), progress)
                return f"{count} article(s) with tag {action.argument} rendered again", count
            case Action.REBUILD_SITE:
                count = self._republish_each(self.bumps.live_articles(), progress)
                self.listings.rebuild()
                return f"{count} article(s) and the listings rendered again", count
            case Action.EXPIRE_TICKER:
                self.listings.rebuild()
                return f"ticker rebuilt without headlines older than {action.hours:g} h", 0
            case Action.SWEEP | Action.REFRESH:
                if sweeping is None:
                    raise JobError(f"{action.action.value} needs the broker")
                if action.action is Action.SWEEP:
                    return sweeping.sweep()
                return sweeping.refresh()
        raise JobError(f"unknown action {action.action}")

    def republish(self, article_id: int) -> str:
        """A new `updated` time, the page, JSON and entry rendered with it, the article first
        in the listings; its URL and GUID stay."""
        now = utcnow()
        if not self.bumps.set_updated(article_id, now):
            raise JobError(f"article {article_id} is not live")
        self.publisher.republish(article_id)
        self.bumps.move_to_top(article_id, now)
        self.listings.rebuild()
        return f"article {article_id} republished at {now.isoformat()}Z"

    def _republish_each(self, article_ids: list[int], progress: Progress) -> int:
        """One whole article at a time: stopped between two, nothing is half-written."""
        done = 0
        progress(0, len(article_ids))
        try:
            for article_id in article_ids:
                self.publisher.republish(article_id)
                done += 1
                progress(done, len(article_ids))
        except KeyboardInterrupt:
            raise Interrupted(f"stopped after {done} of {len(article_ids)} article(s)") from None
        return done
