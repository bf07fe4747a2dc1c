"""The API in-process on a real database, with real tokens and no workers: for the tests of
what it accepts, refuses and serves."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from config.settings import Settings
from ingest.app import create_app
from pipeline.store import connect
from pipeline.store.migrate import upgrade
from pipeline.store.reports import image_report_readers, image_reports
from pipeline.store.schema import article_versions, articles, metadata, outbox
from pipeline.store.tokens import Role, TokenStore
from tests.services import postgres_database, unique_name

SUBMISSION_TABLES = (articles, article_versions, outbox)
"""What an accepted submission writes to."""


@dataclass
class Api:
    settings: Settings
    app: FastAPI
    client: TestClient
    engine: Engine
    tokens: TokenStore
    editor_token: str
    operator_token: str

    @property
    def editor(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.editor_token}"}

    @property
    def operator(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.operator_token}"}

    def rows(self) -> tuple[int, ...]:
        """Rows in the tables an accepted submission writes to."""
        with self.engine.connect() as db:
            return tuple(
                db.execute(select(func.count()).select_from(table)).scalar_one()
                for table in SUBMISSION_TABLES
            )

    def counts(self) -> dict[str, int]:
        """Rows per table, every table the schema knows (reports included)."""
        with self.engine.connect() as db:
            return {
                table.name: int(db.execute(select(func.count()).select_from(table)).scalar_one())
                for table in metadata.sorted_tables
            }

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table but the reports' own: what a reader must never change."""
        with self.engine.connect() as db:
            return {
                table.name: sorted(tuple(map(repr, row)) for row in db.execute(select(table)))
                for table in metadata.sorted_tables
                if table not in (image_reports, image_report_readers)
            }

    def submission(self, article_id: int, version: int) -> dict[str, Any]:
        """A version's submission as stored."""
        with self.engine.connect() as db:
            stored: dict[str, Any] = db.execute(
                select(article_versions.c.submission).where(
                    article_versions.c.article_id == article_id,
                    article_versions.c.version == version,
                )
            ).scalar_one()
        return stored


@contextmanager
def serving_api(data_dir: Path, database: str = "sqlite", **settings: Any) -> Iterator[Api]:
    """Migrate, make an editor and an operator token, and serve the app in-process."""
    with ExitStack() as stack:
        values: dict[str, Any] = {"data_dir": data_dir, "queue_prefix": unique_name("t")}
        if database == "postgres":
            values["database_url"] = stack.enter_context(postgres_database())
        config = Settings(**(values | settings))
        upgrade(config.database)
        engine = connect(config.database)
        stack.callback(engine.dispose)
        tokens = TokenStore(engine)
        editor = tokens.create("test-editor", Role.EDITOR)
        operator = tokens.create("test-operator", Role.OPERATOR)
        app = create_app(config)
        stack.callback(app.state.articles.engine.dispose)
        client = stack.enter_context(TestClient(app, raise_server_exceptions=False))
        yield Api(config, app, client, engine, tokens, editor, operator)
