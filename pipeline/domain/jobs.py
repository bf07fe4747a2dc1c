"""Scheduled jobs as values: a schedule (every N seconds, or cron), an action, the next due time.

Pure: the store keeps jobs, the scheduler claims their due runs, the services run the actions.
A job's due times are its schedule's slots; after a downtime the next slot is the first one
after now, so a missed window runs once, not once per slot it missed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from croniter import croniter

from pipeline.domain.errors import NashrError

MIN_EVERY_SECONDS = 1.0
MAX_EVERY_SECONDS = 366 * 24 * 3600.0
MAX_EXPIRE_HOURS = 24 * 366
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
_SLUG_MAX_BYTES = 120


class JobError(NashrError):
    """A job that cannot be stored as asked: the message says which part and why."""


class Action(StrEnum):
    REPUBLISH = "republish"
    REBUILD_TAG = "rebuild-tag"
    REBUILD_SITE = "rebuild-site"
    EXPIRE_TICKER = "expire-ticker"
    SWEEP = "sweep"
    REFRESH = "refresh"


BUILT_IN_ACTIONS = frozenset({Action.SWEEP, Action.REFRESH})
"""Actions only the built-in jobs carry; operators cannot add them."""


class RunOutcome(StrEnum):
    CLAIMED = "claimed"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SUPERSEDED = "superseded"
    """Claimed, never started, and a later slot of the same job was claimed: that one runs."""


@dataclass(frozen=True)
class Schedule:
    every_seconds: float | None = None
    cron: str | None = None

    def __post_init__(self) -> None:
        if (self.every_seconds is None) == (self.cron is None):
            raise JobError("schedule: give exactly one of --every SECONDS or --cron EXPRESSION")
        if self.every_seconds is not None and not (0 < self.every_seconds <= MAX_EVERY_SECONDS):
            raise JobError(
                f"schedule: --every must be between {MIN_EVERY_SECONDS:g} and "
                f"{MAX_EVERY_SECONDS:g} seconds"
            )
        if self.cron is not None:
            check_cron(self.cron)

    def check_for_operators(self) -> Schedule:
        """Jobs operators add run at most once a second (the built-in sweeper follows its
        setting, which may be shorter)."""
        if self.every_seconds is not None and self.every_seconds < MIN_EVERY_SECONDS:
            raise JobError(
                f"schedule: --every must be between {MIN_EVERY_SECONDS:g} and "
                f"{MAX_EVERY_SECONDS:g} seconds"
            )
        return self

    def describe(self) -> str:
        if self.cron is not None:
            return f"cron {self.cron}"
        return f"every {self.every_seconds:g}s"

    def first_due(self, now: datetime) -> datetime:
        """The first slot from now on: an interval job is due at once, a cron job at its next
        matching minute."""
        if self.cron is not None:
            return _cron_next(self.cron, now)
        return now

    def next_due(self, due: datetime, now: datetime) -> datetime:
        """The slot after `due` that is still ahead of `now`: however long nashr was away, the
        slots it missed are folded into the one run that claims this."""
        if self.cron is not None:
            return _cron_next(self.cron, max(due, now))
        assert self.every_seconds is not None
        step = timedelta(seconds=self.every_seconds)
        following = due + step
        if following <= now:
            missed = (now - following) // step + 1
            following += step * missed
        return following


def check_cron(expression: str) -> str:
    """Five fields, as crontab has them; anything else is refused with croniter's reason."""
    text = expression.strip()
    if len(text) > 120 or len(text.split()) != 5 or not text.isascii():
        raise JobError(
            f"schedule: cron expression {expression[:60]!r} must have five fields "
            "(minute hour day-of-month month day-of-week)"
        )
    if not croniter.is_valid(text):
        raise JobError(f"schedule: cron expression {text!r} does not parse")
    return text


def _cron_next(expression: str, after: datetime) -> datetime:
    found: datetime = croniter(expression, after).get_next(datetime)
    return found


@dataclass(frozen=True)
class JobAction:
    action: Action
    argument: str | None = None

    def __post_init__(self) -> None:
        check_argument(self.action, self.argument)

    def describe(self) -> str:
        return f"{self.action.value} {self.argument}" if self.argument else self.action.value

    @property
    def article_id(self) -> int:
        assert self.action is Action.REPUBLISH and self.argument is not None
        return int(self.argument)

    @property
    def hours(self) -> float:
        assert self.action is Action.EXPIRE_TICKER and self.argument is not None
        return float(self.argument)


def check_argument(action: Action, argument: str | None) -> None:
    if action in (Action.REBUILD_SITE, Action.SWEEP, Action.REFRESH):
        if argument is not None:
            raise JobError(f"action: {action.value} takes no argument")
        return
    if argument is None or not argument.strip():
        raise JobError(f"action: {action.value} needs an argument")
    if action is Action.REPUBLISH:
        if not argument.isascii() or not argument.isdigit() or not 0 < int(argument) < 2**31:
            raise JobError(f"action: --republish needs an article id, not {argument[:40]!r}")
    elif action is Action.EXPIRE_TICKER:
        try:
            hours = float(argument)
        except ValueError:
            raise JobError(
                f"action: --expire-ticker needs a number of hours, not {argument[:40]!r}"
            ) from None
        if not 0 < hours <= MAX_EXPIRE_HOURS:
            raise JobError(
                f"action: --expire-ticker hours must be above 0, at most {MAX_EXPIRE_HOURS}"
            )
    elif action is Action.REBUILD_TAG and (
        len(argument.encode("utf-8")) > _SLUG_MAX_BYTES
        or any(ch.isspace() or ch in "/?#<>\"'\\" or not ch.isprintable() for ch in argument)
    ):
        raise JobError("action: --rebuild-tag needs a tag slug as `nashr tag` prints it")


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise JobError(
            "name: 1-80 characters of lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


@dataclass(frozen=True)
class Job:
    name: str
    schedule: Schedule
    action: JobAction
    paused: bool
    built_in: bool
    next_run_at: datetime | None
    last_run_at: datetime | None
    runs: int

    def as_json(self) -> dict[str, object]:
        """What `nashr jobs list --json` and GET /ops/jobs print for it."""
        return {
            "name": self.name,
            "schedule": self.schedule.describe(),
            "action": self.action.describe(),
            "paused": self.paused,
            "next_run_at": _iso(self.next_run_at),
            "last_run_at": _iso(self.last_run_at),
            "runs": self.runs,
            "built_in": self.built_in,
        }


@dataclass(frozen=True)
class JobRun:
    id: int
    job: str
    due_at: datetime
    trigger: str
    outcome: RunOutcome
    claimed_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    detail: str | None

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "job": self.job,
            "due_at": _iso(self.due_at),
            "trigger": self.trigger,
            "outcome": self.outcome.value,
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "error": self.error,
            "detail": self.detail,
        }


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.isoformat() + ("Z" if moment.tzinfo is None else "")
