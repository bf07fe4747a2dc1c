"""Bring a database to the newest schema with Alembic; `nashr up` calls this before starting."""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config

import migrations

_ALEMBIC = threading.Lock()
"""Alembic keeps the running migration in module globals (`alembic.context`), so two upgrades
in one process at once (two databases, two threads) would run in each other's context."""


def upgrade(database_url: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    with _ALEMBIC:
        command.upgrade(config, "head")
