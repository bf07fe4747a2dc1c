"""A whole nashr deployment for tests: migrated database, real worker and beat, in-process API."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from config.celery import STEP_QUEUES
from config.settings import Settings
from ingest.app import create_app
from pipeline.store import ArticleStore, connect
from pipeline.store.migrate import upgrade
from pipeline.store.tokens import Role, TokenStore
from tests.services import (
    ROOT,
    Worker,
    postgres_database,
    rabbitmq_vhost,
    redis_database,
    unique_name,
    wait_until,
)

SEED_ARTICLE: dict[str, Any] = json.loads((ROOT / "examples" / "seed-article.json").read_text())
BACKENDS = ("embedded", "postgres-rabbitmq", "postgres-redis")


@dataclass
class RunningSystem:
    settings: Settings
    env: dict[str, str]
    client: TestClient
    editor_token: str
    operator_token: str
    workers: list[Worker] = field(default_factory=list)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.editor_token}"}

    @property
    def store(self) -> ArticleStore:
        return ArticleStore(connect(self.settings.database))

    def submit(self, payload: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post("/articles", json=payload, headers=self.auth)
        assert response.status_code == 202, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def status(self, article_id: int) -> dict[str, Any]:
        response = self.client.get(f"/articles/{article_id}", headers=self.auth)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def wait_for(
        self, article_id: int, status: str, version: int | None = None, timeout: float = 90
    ) -> dict[str, Any]:
        def reached() -> dict[str, Any] | None:
            found = self.status(article_id)
            if found["status"] == status and (version is None or found["version"] == version):
                return found
            return None

        try:
            return wait_until(reached, timeout, f"article {article_id} to be {status}")
        except AssertionError as exc:
            logs = "\n".join(w.log_tail() for w in self.workers)
            raise AssertionError(f"{exc}; last status {self.status(article_id)}\n{logs}") from None

    def get(self, path: str) -> httpx.Response:
        response: httpx.Response = self.client.get(path)
        return response


def _backend_urls(stack: ExitStack, backend: str, prefix: str) -> tuple[str | None, str | None]:
    if backend == "embedded":
        return None, None
    database = stack.enter_context(postgres_database())
    if backend == "postgres-rabbitmq":
        return database, stack.enter_context(rabbitmq_vhost())
    return database, stack.enter_context(redis_database(prefix))


@contextmanager
def running_system(
    data_dir: Path,
    backend: str,
    *,
    workers: int = 1,
    beat: bool = True,
    api_broker_url: str | None = None,
    extra_env: dict[str, str] | None = None,
    beats: int = 1,
    concurrency: int = 2,
    worker_args: tuple[str, ...] = (),
    database_via: Callable[[str], str] | None = None,
    broker_via: Callable[[str], str] | None = None,
) -> Iterator[RunningSystem]:
    """Start a deployment; `api_broker_url` lets the API talk to another broker (a dead one).

    `database_via` and `broker_via` rewrite the service URLs that workers and beat (and, for the
    broker, the API) connect to, so a test can put a fault proxy in between; migrations, tokens
    and `RunningSystem.store` keep the real ones.
    """
    prefix = unique_name("t")
    with ExitStack() as stack:
        database_url, broker_url = _backend_urls(stack, backend, prefix)
        values = {
            "NASHR_DATA_DIR": str(data_dir),
            "NASHR_QUEUE_PREFIX": prefix,
            "NASHR_SITE_URL": "http://testserver",
            "NASHR_STUCK_AFTER_SECONDS": "3",
            "NASHR_SWEEP_INTERVAL_SECONDS": "1",
            "NASHR_WORKER_CONCURRENCY": "2",
            "NASHR_TASK_MAX_RETRIES": "3",
            **(extra_env or {}),
        }
        if database_url:
            values["NASHR_DATABASE_URL"] = database_url
        if broker_url:
            values["NASHR_BROKER_URL"] = broker_url
        env = {k: v for k, v in os.environ.items() if not k.startswith("NASHR_")} | values
        worker_env = dict(env)
        if database_via is not None and database_url:
            worker_env["NASHR_DATABASE_URL"] = database_via(database_url)
        if broker_via is not None and broker_url:
            worker_env["NASHR_BROKER_URL"] = broker_via(broker_url)
        settings = Settings(
            **{k.removeprefix("NASHR_").lower(): v for k, v in values.items()}  # type: ignore[arg-type]
        )
        upgrade(settings.database)
        tokens = TokenStore(connect(settings.database))
        editor = tokens.create("test-editor", Role.EDITOR)
        operator = tokens.create("test-operator", Role.OPERATOR)
        started: list[Worker] = []
        queues = ",".join(settings.queue(q) for q in STEP_QUEUES)
        for index in range(workers):
            started.append(
                Worker(
                    ["worker", "-Q", queues, "-c", str(concurrency), "-n", f"{prefix}-{index}@%h",
                     "--without-gossip", "--without-mingle", "-l", "INFO", *worker_args],
                    _own_machine(worker_env, data_dir / f"worker-{index}", database_url),
                    data_dir / f"worker-{index}.log",
                )
            )  # fmt: skip
        for index in range(beats if beat else 0):
            suffix = f"-{index}" if index else ""
            started.append(
                Worker(
                    ["beat", "-s", str(data_dir / f"beat-schedule{suffix}"), "-l", "INFO"],
                    _own_machine(worker_env, data_dir / f"beat{suffix}", database_url),
                    data_dir / f"beat{suffix}.log",
                )
            )
        api_settings = settings
        if api_broker_url is not None:
            api_settings = settings.model_copy(update={"broker_url": api_broker_url})
        elif broker_via is not None and broker_url:
            api_settings = settings.model_copy(update={"broker_url": broker_via(broker_url)})
        try:
            with TestClient(create_app(api_settings)) as client:
                yield RunningSystem(settings, env, client, editor, operator, started)
        finally:
            for worker in started:
                worker.stop()


def _own_machine(env: dict[str, str], data_dir: Path, database_url: str | None) -> dict[str, str]:
    """On PostgreSQL each process gets a data dir of its own, as on a machine of its own: they
    share nothing but the database and the broker. The embedded default shares its dir (the
    SQLite file and the filesystem broker live there)."""
    if database_url is None:
        return env
    data_dir.mkdir(parents=True, exist_ok=True)
    return env | {"NASHR_DATA_DIR": str(data_dir)}


def served_paths(system: RunningSystem) -> list[str]:
    """Every output the site serves now: the stored ones, every tag's and section's page and
    feeds, the older pages the first ones link to, robots.txt and every sitemap."""
    import re

    from defusedxml import ElementTree
    from sqlalchemy import select

    from pipeline.domain.models import (
        SECTION_NAMES,
        section_feed_paths,
        section_path,
        tag_feed_paths,
        tag_path,
    )
    from pipeline.store.outputs import OutputStore
    from pipeline.store.schema import article_tags

    store = system.store
    try:
        stored = OutputStore(store.engine).paths()
        with store.engine.connect() as db:
            slugs = db.execute(select(article_tags.c.slug).distinct()).scalars().all()
    finally:
        store.engine.dispose()
    tags = [path for slug in slugs for path in (tag_path(slug), *tag_feed_paths(slug))]
    sections = [
        p for name in SECTION_NAMES for p in (section_path(name), *section_feed_paths(name))
    ]
    listings = ["/", *(tag_path(slug) for slug in slugs), *map(section_path, SECTION_NAMES)]
    older = {
        link
        for path in listings
        for link in re.findall(r'<a href="([^"]+)" rel="next">', system.get(path).text)
    }
    crawled = ["/robots.txt", "/sitemap.xml"]
    index = ElementTree.fromstring(system.get("/sitemap.xml").content)
    base = system.settings.site_url
    crawled += [
        (loc.text or "").removeprefix(base) for loc in index.iter() if loc.tag.endswith("loc")
    ]
    return sorted({*stored, *tags, *sections, *older, *crawled} - {"/index.html"} | {"/"})
