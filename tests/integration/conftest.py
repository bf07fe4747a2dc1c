"""The API alone on each database, no workers: for tests of what it accepts and refuses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api import Api, serving_api


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with serving_api(tmp_path_factory.mktemp(f"api-{request.param}"), request.param) as api:
        yield api
