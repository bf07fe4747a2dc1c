"""The API alone on each database, no workers: for tests of what it accepts and refuses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from config.settings import Settings
from ingest.app import create_app
from pipeline.store import connect
from pipeline.store.migrate import upgrade
from pipeline.store.schema import article_versions, articles, outbox
from pipeline.store.tokens import Role, TokenStore
from tests.services import postgres_database, unique_name

WRITTEN_TABLES = (articles, article_versions, outbox)


@dataclass
class Api:
    settings: Settings
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
                for table in WRITTEN_TABLES
            )

    def submission(self, article_id: int, version: int) -> dict[str, Any]:
        with self.engine.connect() as db:
            stored: dict[str, Any] = db.execute(
                select(article_versions.c.submission).where(
                    article_versions.c.article_id == article_id,
                    article_versions.c.version == version,
                )
            ).scalar_one()
        return stored


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with ExitStack() as stack:
        values: dict[str, Any] = {
            "data_dir": tmp_path_factory.mktemp(f"api-{request.param}"),
            "queue_prefix": unique_name("t"),
        }
        if request.param == "postgres":
            values["database_url"] = stack.enter_context(postgres_database())
        settings = Settings(**values)
        upgrade(settings.database)
        engine = connect(settings.database)
        stack.callback(engine.dispose)
        tokens = TokenStore(engine)
        editor = tokens.create("input-editor", Role.EDITOR)
        operator = tokens.create("input-operator", Role.OPERATOR)
        app = create_app(settings)
        stack.callback(app.state.articles.engine.dispose)
        client = stack.enter_context(TestClient(app, raise_server_exceptions=False))
        yield Api(settings, client, engine, tokens, editor, operator)
