"""In production the API serves no page that loads scripts from another site."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from config.settings import Settings
from ingest.app import create_app
from pipeline.store.migrate import upgrade

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(("environment", "served"), [("production", False), ("development", True)])
def test_docs_pages_only_outside_production(tmp_path: Path, environment: str, served: bool) -> None:
    settings = Settings(data_dir=tmp_path, environment=environment)  # type: ignore[arg-type]
    upgrade(settings.database)
    with TestClient(create_app(settings)) as client:
        for path in ("/docs", "/redoc"):
            answer = client.get(path)
            assert (answer.status_code == 200 and "cdn" in answer.text) is served, path
            if not served:
                assert answer.status_code == 404
        assert client.get("/openapi.json").status_code == 200
