"""Shared fixtures: the API alone on each database, no workers, for tests of what it accepts and
refuses; and for the sources tests, a loopback feed server beside a whole deployment."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from pipeline.store import connect
from tests.api import Api, serving_api
from tests.feed_server import FeedServer
from tests.system import RunningSystem, running_system


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with serving_api(tmp_path_factory.mktemp(f"api-{request.param}"), request.param) as api:
        yield api


@pytest.fixture(scope="module")
def feed_server() -> Iterator[FeedServer]:
    """The outlets' side: each test module registers the feeds it serves."""
    with FeedServer() as running:
        yield running


@pytest.fixture(scope="module", params=["embedded", "postgres-rabbitmq"])
def sources_system(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    feed_server: FeedServer,
) -> Iterator[RunningSystem]:
    data_dir = tmp_path_factory.mktemp(f"sources-{request.param}")
    env = {"NASHR_SOURCES_ALLOW_PRIVATE": "127.0.0.0/8"}
    with running_system(data_dir, request.param, beats=2, extra_env=env) as running:
        yield running


@pytest.fixture(scope="module")
def sources_engine(sources_system: RunningSystem) -> Iterator[Engine]:
    found = connect(sources_system.settings.database)
    yield found
    found.dispose()
