"""Bring a database to the newest schema with Alembic; `nashr up` calls this before starting."""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.exc import OperationalError

import migrations
from pipeline.domain.errors import TransientError

_ALEMBIC = threading.Lock()
"""Alembic keeps the running migration in module globals (`alembic.context`), so two upgrades
in one process at once (two databases, two threads) would run in each other's context."""


def upgrade(database_url: str) -> None:
    """Raises TransientError, naming only the driver's error class (never the URL), when the
    database cannot be reached."""
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    try:
        with _ALEMBIC:
            command.upgrade(config, "head")
    except OperationalError as exc:
        raise TransientError(f"database unavailable: {type(exc.orig).__name__}") from None
