"""Alembic environment: the URL comes from the caller (nashr up), never from a file."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from pipeline.store.schema import metadata

config = context.config
url = config.get_main_option("sqlalchemy.url")
if not url:
    raise RuntimeError("no database URL given to the migrations")

connectable = create_engine(url)
with connectable.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
connectable.dispose()
