"""A bare Celery chain to hold nashr against: nashr's broker and worker settings, no-op tasks.

Started as `celery -A bench.baseline_tasks worker`; it reads the same NASHR_* variables as
nashr's worker, so `celery_config` gives it the same acks_late, prefetch 4 and JSON. There is no
result backend: the last task of a chain appends `"<chain> <unix time>"` to a file in the data
dir, one O_APPEND write per chain, which the benchmark reads to know when each chain ended.
"""

from __future__ import annotations

import os
import time
from functools import cache
from pathlib import Path
from typing import Any

from celery import Celery, chain
from celery.canvas import Signature
from kombu.entity import Exchange, Queue

from config.celery import celery_config
from config.settings import Settings, get_settings

MAX_CHAIN = 8


def queue_names(settings: Settings, length: int = MAX_CHAIN) -> list[str]:
    """One queue per position in the chain, as nashr has one queue per step."""
    return [settings.queue(f"baseline{i}") for i in range(1, length + 1)]


def done_file(settings: Settings) -> Path:
    return settings.data_dir.resolve() / "baseline-done.txt"


def create_baseline(settings: Settings) -> Celery:
    app = Celery("nashr-baseline", set_as_current=True)
    app.conf.update(celery_config(settings))
    if settings.embedded_broker:
        for folder in ("messages", "control"):
            (settings.broker_dir / folder).mkdir(parents=True, exist_ok=True)
    app.conf.task_queues = [
        Queue(name, Exchange(name, type="direct"), routing_key=name)
        for name in queue_names(settings)
    ]
    done = done_file(settings)

    @app.task(name="bench.step", acks_late=True, ignore_result=True, shared=False)
    def step(payload: dict[str, Any]) -> dict[str, Any]:
        return payload

    @app.task(name="bench.finish", acks_late=True, ignore_result=True, shared=False)
    def finish(payload: dict[str, Any]) -> None:
        line = f"{payload['chain']} {time.time():.6f}\n".encode()
        fd = os.open(done, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)

    return app


def build_chain(app: Celery, settings: Settings, payload: dict[str, Any], length: int) -> Signature:
    """`length` tasks, each on its own queue: length-1 that pass the payload on, then `finish`."""
    if not 2 <= length <= MAX_CHAIN:
        raise ValueError(f"chain length must be 2..{MAX_CHAIN}")
    names = queue_names(settings, length)
    first = app.signature("bench.step", args=(payload,), queue=names[0], routing_key=names[0])
    middle = [app.signature("bench.step", queue=q, routing_key=q) for q in names[1:-1]]
    last = app.signature("bench.finish", queue=names[-1], routing_key=names[-1])
    return chain(first, *middle, last)


@cache
def _worker_app() -> Celery:
    return create_baseline(get_settings())


def __getattr__(name: str) -> Celery:
    """`app` for `celery -A`, built on first use: the benchmark imports this module too."""
    if name == "app":
        return _worker_app()
    raise AttributeError(name)
