"""What operators ask of the broker: queue depths, and replaying failed versions."""

from __future__ import annotations

from config.celery import STEP_QUEUES
from config.settings import Settings
from ops.wiring import make_store
from tasks.app import create_celery
from tasks.dispatch import Dispatcher


def queue_depths(settings: Settings) -> list[tuple[str, int, int]]:
    app = create_celery(settings)
    depths = []
    with app.connection_for_read() as connection:
        channel = connection.default_channel
        for name in STEP_QUEUES:
            queue = settings.queue(name)
            try:
                _, waiting, consumers = channel.queue_declare(queue=queue, passive=True)
            except Exception:  # a queue nobody declared yet holds nothing
                waiting, consumers = 0, 0
                channel = connection.channel()
            depths.append((queue, int(waiting), int(consumers)))
    return depths


def replay_failed(settings: Settings, article_id: int | None) -> int:
    store = make_store(settings)
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
