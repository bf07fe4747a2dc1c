"""Every task's log lines carry its id and name, and a step's its article and version too:
bound before the task runs (`task_prerun`), so beat jobs and rebuilds get them as steps do."""

from __future__ import annotations

from typing import Any

from celery.signals import task_postrun, task_prerun

from config.logging import task_context
from pipeline.domain.states import Step
from pipeline.store.events import acting_worker

STEP_TASKS = {f"nashr.{step.value}": step for step in Step}


def fields_for(task_id: str, task_name: str, args: tuple[Any, ...]) -> dict[str, object]:
    """The fields to bind: a step's arguments are `(article_id, version)`, by contract."""
    fields: dict[str, object] = {"task_id": task_id, "task": task_name}
    step = STEP_TASKS.get(task_name)
    if step is not None and len(args) == 2:
        fields |= {"step": step.value, "article_id": args[0], "version": args[1]}
    return fields


@task_prerun.connect
def bind(task_id: str, task: Any, args: tuple[Any, ...] | None = None, **_: Any) -> None:
    task_context.set(fields_for(task_id, task.name, tuple(args or ())))
    acting_worker.set(getattr(getattr(task, "request", None), "hostname", None))


@task_postrun.connect
def unbind(**_: Any) -> None:
    task_context.set(None)
    acting_worker.set(None)
