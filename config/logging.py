"""Logging set up once per process: key=value in a terminal, JSON lines in production."""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

from config.settings import Settings

task_context: ContextVar[dict[str, object] | None] = ContextVar("task_context", default=None)
"""Fields bound for the task being run (task id, step, article id, version)."""

_RESERVED = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "data"}
"""Record attributes that are not fields; Celery's own `data` repeats what its message says."""


def _fields(record: logging.LogRecord) -> dict[str, object]:
    fields = dict(task_context.get() or {})
    fields.update({k: v for k, v in record.__dict__.items() if k not in _RESERVED})
    return fields


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        base = (
            f"{self.formatTime(record)} {record.levelname:<7} {record.name}: {record.getMessage()}"
        )
        extra = " ".join(f"{k}={v}" for k, v in _fields(record).items())
        text = f"{base} {extra}".rstrip()
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, object] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False, default=str)


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else KeyValueFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    logging.getLogger("httpx").setLevel(logging.WARNING)
