"""What operators ask of the broker: queue depths, and replaying failed versions."""

from __future__ import annotations

from config.celery import STEP_QUEUES
from config.settings import Settings
from ops.wiring import make_services
from tasks.app import create_celery
from tasks.dispatch import Dispatcher
from tasks.jobs import TaskSweeping


def queue_depths(settings: Settings) -> list[tuple[str, int, int]]:
    dispatcher = Dispatcher(create_celery(settings), settings)
    depths = dispatcher.depths(STEP_QUEUES)
    return [(settings.queue(name), *(depths.get(name) or (0, 0))) for name in STEP_QUEUES]


def replay_failed(settings: Settings, article_id: int | None) -> int:
    store = make_services(settings).articles
    dispatcher = Dispatcher(create_celery(settings), settings)
    replayed = 0
    for item in store.failed(limit=10_000):
        if article_id is not None and item.article_id != article_id:
            continue
        step = store.replay(item.article_id, item.version)
        if step is not None:
            dispatcher.send(step, item.article_id, item.version)
            replayed += 1
    return replayed


def broker_sweeping(settings: Settings) -> TaskSweeping:
    """The built-in jobs' bodies for `nashr jobs run`: they ring the broker like a worker."""
    create_celery(settings)
    return TaskSweeping()
