"""The Celery app, built from Settings: queues, routes, JSON only, the beat schedule."""

from __future__ import annotations

from celery import Celery
from kombu.entity import Exchange, Queue

from config.celery import FETCH_QUEUE, MAX_PRIORITY, STEP_QUEUES, celery_config
from config.settings import Settings
from tasks.dispatch import FETCH_TASK

TASK_MODULES = ["tasks.steps", "tasks.jobs", "tasks.sources", "tasks.log_context"]


def create_celery(settings: Settings) -> Celery:
    app = Celery("nashr", set_as_current=True)
    app.conf.update(celery_config(settings))
    # task events leave a worker in batches (tasks/event_batches.py); imported by workers only
    app.conf.worker_consumer = "tasks.event_batches:BatchingConsumer"
    if settings.embedded_broker:
        for folder in ("messages", "control"):
            (settings.broker_dir / folder).mkdir(parents=True, exist_ok=True)
    priorities = settings.broker.startswith(("amqp", "pyamqp"))
    app.conf.task_queues = [
        Queue(
            settings.queue(name),
            Exchange(settings.queue(name), type="direct"),
            routing_key=settings.queue(name),
            max_priority=MAX_PRIORITY if priorities else None,
        )
        for name in STEP_QUEUES
    ]
    app.conf.task_routes = (
        {
            f"nashr.{name}": {"queue": settings.queue(name), "routing_key": settings.queue(name)}
            for name in STEP_QUEUES
            if name not in ("schedule", FETCH_QUEUE)
        }
        | {
            f"nashr.{job}": {
                "queue": settings.queue("schedule"),
                "routing_key": settings.queue("schedule"),
            }
            for job in ("sweep", "refresh", "job")
        }
        | {
            FETCH_TASK: {
                "queue": settings.queue(FETCH_QUEUE),
                "routing_key": settings.queue(FETCH_QUEUE),
            }
        }
        | {
            # the listing rebuild makes versions live: it goes with the ticker step
            "nashr.rebuild": {
                "queue": settings.queue("ticker"),
                "routing_key": settings.queue("ticker"),
            }
        }
    )
    # jobs (the sweeper and the refresh among them) live in the database: each due run is
    # claimed there, so any number of beats send it once
    app.conf.beat_scheduler = "tasks.scheduler:DatabaseScheduler"
    app.conf.beat_schedule = {}
    app.conf.include = TASK_MODULES
    return app
