"""Passwords in the database and broker URLs never reach a log, a CLI message or an HTTP body:
not while the system runs, not when the broker or the database is away, not when a URL is
refused at start. A throwaway PostgreSQL role and RabbitMQ user get a fresh password each run
(with characters that must be percent-encoded), and every output is searched for it."""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient

from config.settings import Settings, redact
from ingest.app import create_app
from pipeline.store import connect
from pipeline.store.migrate import upgrade
from pipeline.store.tokens import Role, TokenStore
from tasks.app import create_celery
from tests.services import (
    ROOT,
    Worker,
    postgres_database,
    rabbitmq_vhost,
    require_service,
    unique_name,
    wait_until,
)
from tests.system import SEED_ARTICLE

pytestmark = pytest.mark.integration

NASHR = shutil.which("nashr", path=str(Path(sys.executable).parent)) or shutil.which("nashr")
DEAD = "127.0.0.1:1"
"""Nothing listens on port 1: a broker or database that is down."""


@dataclass(frozen=True)
class Secrets:
    database_url: str
    broker_url: str
    passwords: tuple[str, ...]

    def urls(self, *, database: str | None = None, broker: str | None = None) -> dict[str, str]:
        """NASHR_* variables with these URLs, the host of either swapped for a dead one."""
        db, mq = self.database_url, self.broker_url
        if database:
            db = db.replace("127.0.0.1:5432", database)
        if broker:
            mq = mq.replace("127.0.0.1:5672", broker)
        return {"NASHR_DATABASE_URL": db, "NASHR_BROKER_URL": mq}

    def assert_absent(self, text: str, where: str) -> None:
        for password in self.passwords:
            for form in {password, quote(password, safe=""), quote(password)}:
                assert form not in text, f"a password is in {where}:\n{_around(text, form)}"


def _around(text: str, needle: str) -> str:
    at = text.find(needle)
    return text[max(0, at - 300) : at + 100]


def _password() -> str:
    # "@", "/", "%" and ":" must be percent-encoded in a URL: a redactor that trusts a URL
    # parser to find the password would miss half of it.
    return f"Pw-{secrets.token_urlsafe(12)}@/%:x"


@contextmanager
def _postgres_role(database_url: str) -> Iterator[tuple[str, str]]:
    import psycopg
    from psycopg import sql

    role, password = unique_name("nashr_sec_"), _password()
    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(database_url, autocommit=True) as db:
        db.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(password)
            )
        )
        db.execute(
            sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                sql.Identifier(name), sql.Identifier(role)
            )
        )
        db.execute(sql.SQL("GRANT ALL ON SCHEMA public TO {}").format(sql.Identifier(role)))
    try:
        yield f"postgresql://{role}:{quote(password, safe='')}@127.0.0.1:5432/{name}", password
    finally:
        with psycopg.connect(database_url, autocommit=True) as db:
            db.execute(sql.SQL("REASSIGN OWNED BY {} TO postgres").format(sql.Identifier(role)))
            db.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            db.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


@contextmanager
def _rabbitmq_user(vhost_url: str) -> Iterator[tuple[str, str]]:
    ctl = shutil.which("rabbitmqctl")
    if ctl is None:
        pytest.skip("rabbitmqctl is needed to make a RabbitMQ user with a password")
    vhost = vhost_url.rsplit("/", 1)[1]
    user, password = unique_name("nashr-sec-"), _password()

    def run(*args: str) -> None:
        subprocess.run([ctl, *args], check=True, capture_output=True, timeout=60)

    run("add_user", user, password)
    try:
        run("set_permissions", "-p", vhost, user, ".*", ".*", ".*")
        yield f"amqp://{user}:{quote(password, safe='')}@127.0.0.1:5672/{vhost}", password
    finally:
        subprocess.run([ctl, "delete_user", user], capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def secret_urls() -> Iterator[Secrets]:
    require_service("PostgreSQL", 5432)
    with ExitStack() as stack:
        database, db_password = stack.enter_context(
            _postgres_role(stack.enter_context(postgres_database()))
        )
        broker, mq_password = stack.enter_context(_rabbitmq_user(
            stack.enter_context(rabbitmq_vhost())
        ))  # fmt: skip
        yield Secrets(database, broker, (db_password, mq_password))


def _env(data_dir: Path, urls: dict[str, str], **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("NASHR_")}
    return base | {
        "NASHR_DATA_DIR": str(data_dir),
        "NASHR_QUEUE_PREFIX": unique_name("t"),
        "NASHR_LOG_LEVEL": "DEBUG",
        "NASHR_SWEEP_INTERVAL_SECONDS": "1",
        **urls,
        **extra,
    }


def _settings(env: dict[str, str]) -> Settings:
    return Settings(
        **{k.removeprefix("NASHR_").lower(): v for k, v in env.items() if k.startswith("NASHR_")}  # type: ignore[arg-type]
    )


def _free_port() -> int:
    import socket

    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def _nashr_up(data_dir: Path, env: dict[str, str]) -> Iterator[tuple[str, Path]]:
    """`nashr up` as operators run it: API, worker and beat, every line they print in one log."""
    assert NASHR is not None
    port = _free_port()
    log = data_dir / "up.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [NASHR, "up", "--port", str(port)],
            cwd=data_dir,
            env=env | {"NASHR_SITE_URL": f"http://127.0.0.1:{port}"},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:

            def healthy() -> bool:
                if process.poll() is not None:
                    pytest.fail(f"nashr up exited: {log.read_text(errors='replace')[-3000:]}")
                try:
                    return httpx.get(f"{base}/health", timeout=1).status_code == 200
                except httpx.HTTPError:
                    return False

            wait_until(healthy, 90, "nashr up to answer /health")
            yield base, log
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _cli(env: dict[str, str], *args: str) -> str:
    assert NASHR is not None
    done = subprocess.run(
        [NASHR, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    return f"$ nashr {' '.join(args)} (exit {done.returncode})\n{done.stdout}{done.stderr}"


def _clis(env: dict[str, str], *commands: list[str]) -> list[str]:
    """Several CLI commands at once: each is a second or two of imports, mostly waiting."""
    with ThreadPoolExecutor(max_workers=len(commands)) as pool:
        return list(pool.map(lambda args: _cli(env, *args), commands))


def test_a_running_system_never_prints_its_passwords(tmp_path: Path, secret_urls: Secrets) -> None:
    # Given nashr up on PostgreSQL and RabbitMQ, each reached with a password, logging at DEBUG
    env = _env(tmp_path, secret_urls.urls())
    with _nashr_up(tmp_path, env) as (base, log):
        token = TokenStore(connect(_settings(env).database)).create("creds", Role.EDITOR)
        headers = {"Authorization": f"Bearer {token}"}

        # When an article goes all the way through
        answer = httpx.post(f"{base}/articles", json=SEED_ARTICLE, headers=headers, timeout=10)
        assert answer.status_code == 202, answer.text
        article = answer.json()["id"]

        def live() -> bool:
            status = httpx.get(f"{base}/articles/{article}", headers=headers, timeout=5).json()
            return bool(status["status"] == "live")

        wait_until(live, 90, "the article to go live")
        outputs = _clis(env, ["queues"], ["status", str(article)], ["jobs"])

    # Then neither the API, the worker, beat nor the CLI printed a password
    text = log.read_text(errors="replace")
    assert "ready" in text.lower() or "celery@" in text, text[-2000:]
    secret_urls.assert_absent(text, "nashr up's output")
    for output in outputs:
        secret_urls.assert_absent(output, output.splitlines()[0])


def test_a_dead_broker_never_makes_anything_print_a_password(
    tmp_path: Path, secret_urls: Secrets
) -> None:
    # Given nashr up whose broker is down (the database is up)
    env = _env(tmp_path, secret_urls.urls(broker=DEAD))
    with _nashr_up(tmp_path, env) as (base, log):
        upgrade(_settings(env).database)
        token = TokenStore(connect(_settings(env).database)).create("dead-broker", Role.EDITOR)

        # When an editor submits: accepted, and the API warns it could not ring the broker
        answer = httpx.post(
            f"{base}/articles",
            json=SEED_ARTICLE,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert answer.status_code == 202, answer.text
        secret_urls.assert_absent(answer.text, "the 202 body")
        wait_until(
            lambda: "broker unreachable" in log.read_text(errors="replace"), 30, "the warning"
        )
        # And the worker and beat retry their connections for a while
        wait_until(
            lambda: log.read_text(errors="replace").count("Trying again") >= 2, 40, "retries"
        )
        outputs = _clis(env, ["queues"], ["retry", "--all"])

    # Then no log line, CLI message or body carried a password
    text = log.read_text(errors="replace")
    assert redact(secret_urls.broker_url.replace("127.0.0.1:5672", DEAD)) in text or (
        ":**@" in text
    ), "the broker is named, with its password masked"
    secret_urls.assert_absent(text, "nashr up's output")
    for output in outputs:
        secret_urls.assert_absent(output, output.splitlines()[0])


def test_a_dead_database_never_makes_anything_print_a_password(
    tmp_path: Path, secret_urls: Secrets, caplog: pytest.LogCaptureFixture
) -> None:
    dead = _env(tmp_path, secret_urls.urls(database=DEAD))
    texts: dict[str, str] = {}

    # Given every CLI command that needs the database, including `up`, which migrates first
    with ThreadPoolExecutor(max_workers=1) as background:
        commands = (["migrate"], ["status", "1"], ["token", "create", "--name", "x", "--role",
                    "editor"], ["token", "list"], ["republish"], ["retry"], ["up"])  # fmt: skip
        cli_outputs = background.submit(_clis, dead, *commands)
        _dead_database_worker(tmp_path, dead, texts)
        texts |= {output.splitlines()[0]: output for output in cli_outputs.result()}

    # And the API, in process: each endpoint that needs the database answers 503 with a reason
    settings = _settings(
        dead | {"NASHR_BROKER_URL": secret_urls.urls(broker=DEAD)["NASHR_BROKER_URL"]}
    )
    with (
        caplog.at_level(logging.DEBUG),
        TestClient(create_app(settings), raise_server_exceptions=False) as client,
    ):
        headers = {"Authorization": "Bearer nashr_anything"}
        for method, path in [("POST", "/articles"), ("GET", "/articles/1"), ("GET", "/health"),
                             ("POST", "/articles/1/images/0/reports")]:  # fmt: skip
            response = client.request(method, path, json=SEED_ARTICLE, headers=headers)
            assert response.status_code == 503, (path, response.text)
            texts[f"{method} {path}"] = response.text
    texts["API log records"] = "\n".join(
        f"{r.getMessage()} {r.__dict__!r} {r.exc_text or ''}" for r in caplog.records
    )

    # Then none of them carries a password
    assert len(texts) >= 12
    for where, text in texts.items():
        secret_urls.assert_absent(text, where)


def _dead_database_worker(tmp_path: Path, dead: dict[str, str], texts: dict[str, str]) -> None:
    """A worker whose database is down gets a task: it retries, and logs why."""
    worker = Worker(
        ["worker", "-Q", _settings(dead).queue("validate"), "-c", "1", "-n", f"{unique_name()}@%h",
         "--without-gossip", "--without-mingle", "-l", "DEBUG"],
        dead | {"NASHR_TASK_MAX_RETRIES": "1"},
        tmp_path / "worker.log",
    )  # fmt: skip
    try:
        create_celery(_settings(dead)).send_task(
            "nashr.validate", args=[1, 1], queue=_settings(dead).queue("validate")
        )
        wait_until(
            lambda: "database unavailable" in worker.log_path.read_text(errors="replace"),
            60,
            "the worker to meet the dead database",
        )
    finally:
        worker.stop()
    texts["worker log"] = worker.log_path.read_text(errors="replace")


REFUSED_URLS = {
    "db-scheme": ("NASHR_DATABASE_URL", "mysql://root:{pw}@127.0.0.1/nashr"),
    "db-port": ("NASHR_DATABASE_URL", "postgresql://nashr:{pw}@127.0.0.1:54x2/nashr"),
    "db-unencoded": ("NASHR_DATABASE_URL", "postgresql://nashr:{raw}@127.0.0.1:5432/nashr"),
    "broker-scheme": ("NASHR_BROKER_URL", "kafka://nashr:{pw}@127.0.0.1:9092"),
    "broker-port": ("NASHR_BROKER_URL", "amqp://nashr:{pw}@127.0.0.1:notaport//"),
    "broker-unencoded": ("NASHR_BROKER_URL", "amqp://nashr:{raw}@127.0.0.1:5672//"),
}


def test_a_refused_url_is_named_without_its_password(tmp_path: Path) -> None:
    """Refused at start, naming the variable: the error never quotes the value (pydantic would),
    and a password with unencoded "@" or "/" is refused rather than misread."""
    password = _password()
    runs: list[tuple[str, str, list[str], dict[str, str]]] = []
    for name, (variable, url) in REFUSED_URLS.items():
        raw = url.format(pw=quote(password, safe=""), raw=password)
        with pytest.raises(ValueError) as refused:
            Settings(**{variable.removeprefix("NASHR_").lower(): raw})  # type: ignore[arg-type]
        assert password not in str(refused.value) and quote(password, safe="") not in str(
            refused.value
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("NASHR_")}
        env |= {"NASHR_DATA_DIR": str(tmp_path / name), variable: raw}
        assert NASHR is not None
        # Each rule is checked in process above; each way of printing the error once here
        if name in ("db-port", "db-unencoded", "broker-scheme"):
            runs.append((name, variable, [NASHR, "migrate"], env))
        if name == "broker-unencoded":  # a worker reads the same settings, prints its own way
            celery = [sys.executable, "-m", "celery", "-A", "tasks.worker", "inspect", "ping"]
            runs.append((name, variable, celery, env))

    def attempt(run: tuple[str, str, list[str], dict[str, str]]) -> tuple[str, str, int, str]:
        name, variable, command, env = run
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
        )
        return name, variable, done.returncode, done.stdout + done.stderr

    with ThreadPoolExecutor(max_workers=4) as pool:
        for name, variable, code, output in pool.map(attempt, runs):
            assert code != 0, (name, output)
            assert variable.removeprefix("NASHR_").lower() in output, (name, output)
            for form in (password, quote(password, safe=""), password.split("@")[1]):
                assert form not in output, (name, output)


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("amqp://guest:guest@127.0.0.1:5672//", "amqp://guest:***@127.0.0.1:5672//"),
        ("redis://:s3cret@127.0.0.1:6379/0", "redis://***@127.0.0.1:6379/0"),
        ("postgresql://u:p%40ss@h/db", "postgresql://u:***@h/db"),
        ("postgresql://u:p@ss@h/db", "postgresql://u:***@h/db"),
        ("amqp://u:pa/ss@h//", "amqp://u:***@h//"),
        ("amqp://u:pa#ss?x@h//", "amqp://u:***@h//"),
        ("redis://onlyatoken@h:6379/0", "redis://***@h:6379/0"),
        ("filesystem://", "filesystem://"),
        ("redis://h:6379/0?name=a@b", "redis://h:6379/0?name=a@b"),
    ],
)
def test_redact_masks_every_spelling_of_a_password(url: str, masked: str) -> None:
    assert redact(url) == masked
