"""Log lines inside a task carry the task's fields, bound by Celery's own prerun signal."""

from __future__ import annotations

import logging

from celery.signals import task_postrun, task_prerun

from config.logging import KeyValueFormatter, task_context
from tasks.log_context import fields_for


def _line(message: str) -> str:
    record = logging.makeLogRecord({"name": "nashr", "levelname": "INFO", "msg": message})
    return KeyValueFormatter().format(record)


class _Task:
    def __init__(self, name: str) -> None:
        self.name = name


def test_a_step_binds_its_article_and_version() -> None:
    fields = fields_for("t-1", "nashr.publish", (7, 2))
    assert fields == {
        "task_id": "t-1",
        "task": "nashr.publish",
        "step": "publish",
        "article_id": 7,
        "version": 2,
    }


def test_a_beat_job_binds_its_id_and_name_only() -> None:
    assert fields_for("t-2", "nashr.sweep", ()) == {"task_id": "t-2", "task": "nashr.sweep"}


def test_odd_step_arguments_bind_no_article() -> None:
    assert "article_id" not in fields_for("t-3", "nashr.validate", ("x",))


def test_the_signals_bind_before_and_clear_after_a_task() -> None:
    task = _Task("nashr.refresh")
    task_prerun.send(sender=task, task_id="t-4", task=task, args=(), kwargs={})
    try:
        assert "task_id=t-4 task=nashr.refresh" in _line("refreshed")
    finally:
        task_postrun.send(sender=task, task_id="t-4", task=task, args=(), kwargs={})
    assert task_context.get() is None
    assert "task_id" not in _line("idle")
