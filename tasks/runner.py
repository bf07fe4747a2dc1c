"""The one way a step runs: load, guard, compute, save, hand on; retry only what may pass."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from celery import Task

from pipeline.domain.errors import (
    ArticleRejected,
    BrokerUnavailable,
    PermanentError,
    TransientError,
)
from pipeline.domain.states import STEP_INPUT, Status, Step, next_step
from pipeline.store.articles import VersionRecord
from tasks.runtime import Runtime, get_runtime

log = logging.getLogger(__name__)

StepBody = Callable[[Runtime, VersionRecord], bool]
"""Does the step's work and its compare-and-set save; True when this run moved the version."""

STEP_OPTIONS: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
    "max_retries": None,  # bounded by Settings.task_max_retries in run_step
}


def backoff_seconds(retries: int, jitter: Callable[[], float] = random.random) -> float:
    """Exponential, capped at a minute, with up to half of it added at random: workers that
    failed together (a database restart) do not all come back in the same instant."""
    base = float(min(60, 2**retries))
    return base + base * 0.5 * jitter()


def run_step(task: Task, step: Step, article_id: int, version: int, body: StepBody) -> None:
    _run(task, get_runtime(), step, article_id, version, body)


def _run(
    task: Task, runtime: Runtime, step: Step, article_id: int, version: int, body: StepBody
) -> None:
    articles = runtime.articles
    try:
        record = articles.load(article_id, version, step)
        if record is None or record.stale or record.status != STEP_INPUT[step]:
            log.info("nothing to do", extra={"reason": _why_skipped(record, step)})
            return
        moved = body(runtime, record)
    except ArticleRejected as exc:
        articles.advance(article_id, version, step, Status.REJECTED, reasons=exc.reasons)
        log.info("rejected", extra={"reasons": exc.reasons})
        return
    except TransientError as exc:
        if task.request.retries >= runtime.settings.task_max_retries:
            _fail(runtime, step, article_id, version, f"retries exhausted: {exc}")
            return
        log.warning("transient failure, will retry", extra={"error": str(exc)})
        _note_retry(runtime, step, article_id, version, str(exc))
        raise task.retry(exc=exc, countdown=backoff_seconds(task.request.retries)) from None
    except PermanentError as exc:
        _fail(runtime, step, article_id, version, str(exc))
        return
    except Exception as exc:
        _fail(runtime, step, article_id, version, f"{type(exc).__name__}: {exc}")
        raise
    following = next_step(step)
    if moved and following is not None:
        # the commit is done: a lost send is the sweeper's to make good, never a retry here
        try:
            runtime.dispatcher.send(following, article_id, version, urgent=record.breaking)
        except BrokerUnavailable:
            log.warning("broker unreachable: the sweeper sends the next step")


def _why_skipped(record: VersionRecord | None, step: Step) -> str:
    if record is None:
        return "unknown version"
    if record.stale:
        return f"stale (current is {record.current_version})"
    return f"status is {record.status}, {step} needs {STEP_INPUT[step]}"


def _note_retry(runtime: Runtime, step: Step, article_id: int, version: int, error: str) -> None:
    with suppress(TransientError):  # the database is what fails; the retry still goes ahead
        runtime.articles.record_retry(article_id, version, step, error)


def _fail(runtime: Runtime, step: Step, article_id: int, version: int, error: str) -> None:
    log.error("step failed", extra={"error": error})
    try:
        runtime.articles.fail(article_id, version, step, error)
    except TransientError:
        log.error("could not record the failure; the sweeper will send the step again")
