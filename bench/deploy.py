"""A whole nashr deployment for a benchmark: services, the real API, a worker and beat.

Each run gets its own PostgreSQL database, RabbitMQ vhost or Redis db, queue prefix and data
dir, removed at the end; every process is started with nashr's own command lines.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.api import ApiServer
from bench.processes import BenchError, Child, wait_until
from config.settings import Settings
from ops.supervisor import beat_command, worker_command
from pipeline.store import ArticleStore, connect
from pipeline.store.migrate import upgrade
from pipeline.store.tokens import Role, TokenStore
from tests.services import port_open, postgres_database, rabbitmq_vhost, redis_database, unique_name

BROKERS = ("rabbitmq", "redis", "embedded")
SERVICES = {"PostgreSQL": 5432, "RabbitMQ": 5672, "Redis": 6379}
NEEDS = {"rabbitmq": ("PostgreSQL", "RabbitMQ"), "redis": ("PostgreSQL", "Redis"), "embedded": ()}


def nashr_settings(
    data_dir: Path,
    prefix: str,
    database: str | None,
    broker: str | None,
    extra: dict[str, str] | None = None,
) -> tuple[Settings, dict[str, str]]:
    """Settings for this process and the environment for the children: the same values."""
    values = {
        "NASHR_DATA_DIR": str(data_dir),
        "NASHR_QUEUE_PREFIX": prefix,
        "NASHR_SITE_URL": "http://testserver",
        "NASHR_WORKER_CONCURRENCY": "2",
        "NASHR_LOG_LEVEL": "INFO",
        **(extra or {}),
    }
    if database:
        values["NASHR_DATABASE_URL"] = database
    if broker:
        values["NASHR_BROKER_URL"] = broker
    env = {k: v for k, v in os.environ.items() if not k.startswith("NASHR_")} | values
    settings = Settings(**{k.removeprefix("NASHR_").lower(): v for k, v in values.items()})  # type: ignore[arg-type]
    return settings, env


@contextmanager
def services_for(
    broker: str, keep: bool = False
) -> Iterator[tuple[Path, str, str | None, str | None]]:
    """(data dir, queue prefix, database URL, broker URL) of a fresh, isolated run."""
    missing = [name for name in NEEDS[broker] if not port_open(SERVICES[name])]
    if missing:
        raise BenchError(f"{broker}: {', '.join(missing)} not reachable on 127.0.0.1")
    prefix = unique_name("bench")
    with ExitStack() as stack:
        data = Path(tempfile.mkdtemp(prefix=f"nashr-bench-{broker}-"))
        if keep:
            print(f"# {broker}: data and logs kept in {data}", file=sys.stderr)
        else:
            stack.callback(shutil.rmtree, data, ignore_errors=True)
        database = None if broker == "embedded" else stack.enter_context(postgres_database())
        broker_url: str | None = None
        if broker == "rabbitmq":
            broker_url = stack.enter_context(rabbitmq_vhost())
        elif broker == "redis":
            broker_url = stack.enter_context(redis_database(prefix))
        yield data, prefix, database, broker_url


@dataclass
class Deployment:
    settings: Settings
    env: dict[str, str]
    store: ArticleStore
    token: str
    worker: Child | None = None
    beat: Child | None = None
    api: ApiServer | None = None
    children: list[Child] = field(default_factory=list)

    def start_worker(self) -> Child:
        self.worker = Child(
            worker_command(self.settings), self.env, self.settings.data_dir / "nashr-worker.log"
        )
        self.children.append(self.worker)
        self.worker.wait_ready(60)
        return self.worker

    def all_live(self, expected: int) -> bool:
        counts = self.store.count_by_status()
        if counts.get("rejected") or counts.get("failed"):
            tail = self.worker.tail() if self.worker else ""
            raise BenchError(f"articles went wrong: {counts}\n{tail}")
        return counts.get("live", 0) >= expected

    def wait_live(self, expected: int, timeout: float) -> None:
        try:
            wait_until(lambda: self.all_live(expected), timeout, f"{expected} articles live")
        except BenchError as exc:
            tail = self.worker.tail() if self.worker else ""
            raise BenchError(f"{exc}: {self.store.count_by_status()}\n{tail}") from None


@contextmanager
def deployment(
    broker: str,
    *,
    keep: bool = False,
    worker: bool = True,
    beat: bool = True,
    api: bool = True,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Deployment]:
    with services_for(broker, keep) as (data, prefix, database, broker_url):
        settings, env = nashr_settings(data / "nashr", prefix, database, broker_url, extra_env)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        upgrade(settings.database)
        store = ArticleStore(connect(settings.database))
        token = TokenStore(store.engine).create("bench-editor", Role.EDITOR)
        running = Deployment(settings, env, store, token)
        try:
            if beat:
                running.beat = Child(
                    beat_command(settings), env, settings.data_dir / "nashr-beat.log"
                )
                running.children.append(running.beat)
            if api:
                running.api = ApiServer(env, settings.data_dir / "nashr-api.log")
                running.children.append(running.api.child)
            if worker:
                running.start_worker()
            if running.api:
                running.api.wait_ready(60)
            yield running
        finally:
            for child in reversed(running.children):
                child.stop()
            store.engine.dispose()
