"""The Celery configuration as plain values, built from Settings (no Celery import here)."""

from __future__ import annotations

from typing import Any

from config.settings import Settings

PUBLISHING_QUEUES = ("validate", "enrich", "source", "publish", "ticker", "schedule")
FETCH_QUEUE = "fetch"
"""Pulling sources: its own queue (and, in `nashr up` and compose, its own worker), so a slow
outlet never holds a pool process the publishing steps need."""
STEP_QUEUES = (*PUBLISHING_QUEUES, FETCH_QUEUE)
"""Every queue nashr declares; a worker started with no -Q consumes all of them."""
FETCH_THREADS = 8
"""A fetch waits on the network: the fetch worker runs this many at once, in threads."""
MAX_PRIORITY = 9
"""RabbitMQ queues are declared with x-max-priority 9: breaking news goes ahead of the queue."""
REDIS_PRIORITY_STEPS = [0, 3, 6, 9]
"""kombu's Redis transport keeps one list per step and reads the lowest number first."""


def message_priority(settings: Settings, urgent: bool) -> int | None:
    """The priority a step message carries. RabbitMQ delivers the highest number first, kombu's
    Redis transport the lowest, and the embedded broker has none (it runs one machine's work
    in order)."""
    if settings.broker.startswith(("amqp", "pyamqp")):
        return MAX_PRIORITY if urgent else 0
    if settings.broker.startswith(("redis", "rediss")):
        return REDIS_PRIORITY_STEPS[0] if urgent else REDIS_PRIORITY_STEPS[2]
    return None


def celery_config(settings: Settings) -> dict[str, Any]:
    """At-least-once delivery with one message in hand per process; JSON only."""
    config: dict[str, Any] = {
        "broker_url": settings.broker,
        "broker_connection_retry_on_startup": True,
        "broker_connection_timeout": 3,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "event_serializer": "json",
        "result_accept_content": ["json"],
        "task_ignore_result": True,
        "result_backend": None,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 4,
        # a countdown (a listing rebuild held for its gap) fires within 50 ms, not the default 1 s
        "worker_timer_precision": 0.05,
        "worker_hijack_root_logger": False,
        # task events feed /metrics (through the API's receiver) and Flower
        "worker_send_task_events": settings.task_events,
        "task_default_queue": settings.queue("schedule"),
        "task_publish_retry": True,
        "task_publish_retry_policy": {
            "max_retries": 2,
            "interval_start": 0.2,
            "interval_step": 0.5,
            "interval_max": 1.0,
        },
        "timezone": "UTC",
        "enable_utc": True,
    }
    if settings.embedded_broker:
        folder = str(settings.broker_dir / "messages")
        config["broker_transport"] = "tasks.embedded_broker:Transport"
        config["broker_polling_interval"] = 0.01
        config["broker_transport_options"] = {
            "polling_interval": 0.01,
            "data_folder_in": folder,
            "data_folder_out": folder,
            "control_folder": str(settings.broker_dir / "control"),
            "store_processed": False,
        }
    elif settings.broker.startswith(("redis", "rediss")):
        if settings.broker.startswith("redis:"):
            config["broker_transport"] = "tasks.redis_broker:Transport"
        options: dict[str, Any] = {
            "visibility_timeout": 3600,
            "priority_steps": REDIS_PRIORITY_STEPS,
        }
        if settings.queue_prefix:
            # kombu's own keys (unacked, bindings) too, so deployments can share a Redis db
            options["global_keyprefix"] = f"{settings.queue_prefix}:"
        config["broker_transport_options"] = options
    return config
