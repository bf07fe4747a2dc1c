"""What operators ask of the broker: queue depths, and replaying failed versions."""

from __future__ import annotations

from collections.abc import Callable

from config.celery import STEP_QUEUES
from config.settings import Settings
from pipeline.services.runtime import build_services
from tasks.app import create_celery
from tasks.dispatch import Dispatcher
from tasks.jobs import TaskSweeping


def queue_depths(settings: Settings) -> list[tuple[str, int, int]]:
    dispatcher = Dispatcher(create_celery(settings), settings)
    depths = dispatcher.depths(STEP_QUEUES)
    return [(settings.queue(name), *(depths.get(name) or (0, 0))) for name in STEP_QUEUES]


def replay_failed(
    settings: Settings,
    article_id: int | None,
    progress: Callable[[int, int], None] = lambda _done, _total: None,
) -> int:
    """One version at a time (its replay and its send): stopped between two, nothing is
    half-done, and a version replayed but not sent is the sweeper's to send."""
    store = build_services(settings).articles
    dispatcher = Dispatcher(create_celery(settings), settings)
    replayed = 0
    wanted = [
        item
        for item in store.failed(limit=10_000)
        if article_id is None or item.article_id == article_id
    ]
    progress(0, len(wanted))
    for done, item in enumerate(wanted, start=1):
        step = store.replay(item.article_id, item.version)
        if step is not None:
            dispatcher.send(step, item.article_id, item.version)
            replayed += 1
        progress(done, len(wanted))
    return replayed


def broker_sweeping(settings: Settings) -> TaskSweeping:
    """The built-in jobs' bodies for `nashr jobs run`: they ring the broker like a worker."""
    create_celery(settings)
    return TaskSweeping()
