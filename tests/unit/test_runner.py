"""What `tasks/runner.py` does with each outcome of a step body, with a stub task and stores:
rejected, retried, retries exhausted, refused for good, unexpected error, moved, skipped."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

import pytest

from pipeline.domain.errors import (
    ArticleRejected,
    BrokerUnavailable,
    PermanentError,
    TransientError,
)
from pipeline.domain.states import Status, Step
from pipeline.store.records import VersionRecord
from tasks import runner
from tasks.runtime import Runtime

MAX_RETRIES = 3


class Retry(Exception):
    """What the stub task's `retry` raises, as Celery's does."""

    def __init__(self, exc: BaseException, countdown: float) -> None:
        super().__init__(str(exc))
        self.countdown = countdown


@dataclass
class StubTask:
    retries: int = 0

    @property
    def request(self) -> SimpleNamespace:
        return SimpleNamespace(id="task-1", retries=self.retries)

    def retry(self, exc: BaseException, countdown: float) -> Retry:
        return Retry(exc, countdown)


@dataclass
class StubArticles:
    status: Status = Status.VALIDATED
    version: int = 1
    current_version: int = 1
    fail_to_record: bool = False
    advanced: list[tuple[Step, Status, dict[str, Any]]] = field(default_factory=list)
    failed: list[tuple[Step, str]] = field(default_factory=list)
    retried: list[tuple[Step, str]] = field(default_factory=list)

    def load(self, article_id: int, version: int, step: Step) -> VersionRecord:
        return VersionRecord(
            article_id=article_id,
            version=self.version,
            status=self.status,
            current_version=self.current_version,
            live_version=None,
            first_published_at=None,
            submission=None,
            content=None,
            tags=None,
            section=None,
            source=None,
            reasons=None,
            failed_step=None,
            updated_at=datetime.now(UTC),
            breaking=True,
        )

    def advance(self, article_id: int, version: int, step: Step, to: Status, **fields: Any) -> bool:
        self.advanced.append((step, to, fields))
        return True

    def fail(self, article_id: int, version: int, step: Step, error: str) -> None:
        if self.fail_to_record:
            raise TransientError("database down")
        self.failed.append((step, error))

    def record_retry(self, article_id: int, version: int, step: Step, error: str) -> None:
        if self.fail_to_record:
            raise TransientError("database down")
        self.retried.append((step, error))


@dataclass
class StubDispatcher:
    down: bool = False
    sent: list[tuple[Step, int, int, bool]] = field(default_factory=list)

    def send(self, step: Step, article_id: int, version: int, urgent: bool = False) -> None:
        if self.down:
            raise BrokerUnavailable("no broker")
        self.sent.append((step, article_id, version, urgent))


@dataclass
class World:
    articles: StubArticles = field(default_factory=StubArticles)
    dispatcher: StubDispatcher = field(default_factory=StubDispatcher)

    @property
    def runtime(self) -> Runtime:
        settings = SimpleNamespace(task_max_retries=MAX_RETRIES)
        stub = SimpleNamespace(
            articles=self.articles, dispatcher=self.dispatcher, settings=settings
        )
        return cast(Runtime, stub)

    def run(self, body: runner.StepBody, task: StubTask | None = None) -> None:
        runner._run(cast(Any, task or StubTask()), self.runtime, Step.ENRICH, 7, 1, body)


def raising(error: BaseException) -> runner.StepBody:
    def body(runtime: Runtime, record: VersionRecord) -> bool:
        raise error

    return body


def test_a_step_that_moves_the_version_sends_the_next_step_urgently_when_breaking() -> None:
    world = World()
    world.run(lambda runtime, record: True)
    assert world.dispatcher.sent == [(Step.SOURCE, 7, 1, True)]


def test_a_step_that_did_not_move_the_version_sends_nothing() -> None:
    world = World()
    world.run(lambda runtime, record: False)
    assert world.dispatcher.sent == []


def test_a_lost_send_after_the_commit_is_left_to_the_sweeper() -> None:
    world = World(dispatcher=StubDispatcher(down=True))
    world.run(lambda runtime, record: True)  # no exception: the commit stands
    assert world.articles.failed == []


@pytest.mark.parametrize(
    ("articles", "why"),
    [
        (StubArticles(status=Status.RECEIVED), "wrong status"),
        (StubArticles(version=1, current_version=2), "stale"),
    ],
)
def test_a_version_not_ready_for_the_step_is_skipped_without_running_it(
    articles: StubArticles, why: str
) -> None:
    world = World(articles=articles)
    world.run(raising(AssertionError(f"ran although {why}")))
    assert articles.advanced == [] and articles.failed == [] and world.dispatcher.sent == []


def test_a_rejected_article_is_moved_to_rejected_with_its_reasons() -> None:
    world = World()
    world.run(raising(ArticleRejected(["title: empty"])))
    assert world.articles.advanced == [
        (Step.ENRICH, Status.REJECTED, {"reasons": ["title: empty"]})
    ]
    assert world.dispatcher.sent == []


def test_a_transient_error_is_noted_and_retried_with_backoff() -> None:
    world = World()
    with pytest.raises(Retry) as retry:
        world.run(raising(TransientError("database busy")), StubTask(retries=2))
    assert world.articles.retried == [(Step.ENRICH, "database busy")]
    assert 4.0 <= retry.value.countdown <= 6.0  # 2**2 plus up to half again
    assert world.articles.failed == []


def test_a_retry_goes_ahead_when_even_noting_it_fails() -> None:
    world = World(articles=StubArticles(fail_to_record=True))
    with pytest.raises(Retry):
        world.run(raising(TransientError("database down")))


def test_retries_exhausted_fail_the_version_and_stop_retrying() -> None:
    world = World()
    world.run(raising(TransientError("still busy")), StubTask(retries=MAX_RETRIES))
    assert world.articles.failed == [(Step.ENRICH, "retries exhausted: still busy")]


def test_a_permanent_error_fails_the_version_without_a_retry() -> None:
    world = World()
    world.run(raising(PermanentError("output refused")))
    assert world.articles.failed == [(Step.ENRICH, "output refused")]


def test_an_unexpected_error_fails_the_version_and_is_raised_for_celery_to_log() -> None:
    world = World()
    with pytest.raises(KeyError):
        world.run(raising(KeyError("content")))
    assert world.articles.failed == [(Step.ENRICH, "KeyError: 'content'")]


def test_a_failure_that_cannot_be_recorded_is_left_to_the_sweeper() -> None:
    world = World(articles=StubArticles(fail_to_record=True))
    world.run(raising(PermanentError("output refused")))  # logged, not raised
    assert world.articles.failed == []


@pytest.mark.parametrize("retries", [0, 1, 5, 6, 20])
def test_backoff_grows_to_a_minute_with_up_to_half_again_of_jitter(retries: int) -> None:
    base = min(60, 2**retries)
    assert runner.backoff_seconds(retries, jitter=lambda: 0.0) == base
    assert runner.backoff_seconds(retries, jitter=lambda: 1.0) == base * 1.5
