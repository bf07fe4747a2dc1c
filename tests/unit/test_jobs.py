"""Schedules, actions and names of scheduled jobs: pure, no database."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from pipeline.domain.jobs import (
    Action,
    JobAction,
    JobError,
    Schedule,
    check_cron,
    check_name,
)

T0 = datetime(2026, 12, 7, 3, 0, 0)


def test_an_interval_job_is_due_at_once_then_every_interval() -> None:
    every = Schedule(every_seconds=5)
    assert every.first_due(T0) == T0
    assert every.next_due(T0, T0 + timedelta(seconds=1)) == T0 + timedelta(seconds=5)


def test_slots_missed_during_a_downtime_fold_into_one_run() -> None:
    every = Schedule(every_seconds=5)
    # nashr was away 23 s: the due run is claimed once, and the next slot is the first ahead
    following = every.next_due(T0, T0 + timedelta(seconds=23))
    assert following == T0 + timedelta(seconds=25)


def test_a_slot_exactly_now_is_not_run_twice() -> None:
    every = Schedule(every_seconds=5)
    assert every.next_due(T0, T0 + timedelta(seconds=5)) == T0 + timedelta(seconds=10)


def test_a_cron_job_is_due_at_its_next_matching_minute() -> None:
    cron = Schedule(cron="*/15 * * * *")
    assert cron.first_due(T0 + timedelta(seconds=1)) == datetime(2026, 12, 7, 3, 15)
    late = cron.next_due(datetime(2026, 12, 7, 3, 15), datetime(2026, 12, 7, 5, 2))
    assert late == datetime(2026, 12, 7, 5, 15)


@pytest.mark.parametrize(
    "expression",
    ["", "* * * *", "61 * * * *", "* * * * * *", "a b c d e", "* * 32 * *",
     "٥ * * * *", "*/0 * * * *", "* * * * *\u202e", "<script> * * * *", "*" * 500],
)  # fmt: skip
def test_a_cron_expression_that_does_not_parse_is_refused(expression: str) -> None:
    with pytest.raises(JobError, match="cron expression"):
        Schedule(cron=expression)


def test_a_good_cron_expression_is_kept() -> None:
    assert check_cron(" 0 6 * * 1-5 ") == "0 6 * * 1-5"


@pytest.mark.parametrize("every", [0, -1, 10**9, float("nan"), float("inf")])
def test_an_interval_out_of_bounds_is_refused(every: float) -> None:
    with pytest.raises(JobError, match="--every"):
        Schedule(every_seconds=every)


def test_operators_jobs_run_at_most_once_a_second_the_sweeper_may_run_faster() -> None:
    fast = Schedule(every_seconds=0.5)  # a built-in job at NASHR_SWEEP_INTERVAL_SECONDS=0.5
    with pytest.raises(JobError, match="--every"):
        fast.check_for_operators()
    assert Schedule(every_seconds=1).check_for_operators().every_seconds == 1


def test_a_schedule_needs_exactly_one_kind() -> None:
    with pytest.raises(JobError):
        Schedule()
    with pytest.raises(JobError):
        Schedule(every_seconds=5, cron="* * * * *")


@pytest.mark.parametrize(
    ("action", "argument"),
    [(Action.REPUBLISH, "abc"), (Action.REPUBLISH, "-1"), (Action.REPUBLISH, "٣"),
     (Action.REPUBLISH, str(2**40)), (Action.REPUBLISH, None), (Action.EXPIRE_TICKER, "x"),
     (Action.EXPIRE_TICKER, "0"), (Action.EXPIRE_TICKER, "nan"), (Action.EXPIRE_TICKER, "1e9"),
     (Action.REBUILD_TAG, ""), (Action.REBUILD_TAG, "a b"), (Action.REBUILD_TAG, "<b>x</b>"),
     (Action.REBUILD_TAG, "x" * 200), (Action.REBUILD_TAG, "tag\u202e"),
     (Action.REBUILD_SITE, "extra")],
)  # fmt: skip
def test_an_action_with_a_bad_argument_is_refused(action: Action, argument: str | None) -> None:
    with pytest.raises(JobError, match="action"):
        JobAction(action, argument)


def test_an_arabic_tag_slug_is_a_good_argument() -> None:
    assert JobAction(Action.REBUILD_TAG, "الأمم-المتحدة").describe() == "rebuild-tag الأمم-المتحدة"


@pytest.mark.parametrize(
    "name", ["", "A", "-x", "x" * 81, "ä", "نشر", "a b", "a/b", "<script>", "x\u200f"]
)
def test_a_bad_job_name_is_refused(name: str) -> None:
    with pytest.raises(JobError, match="name"):
        check_name(name)
