"""Machines that share nothing but the database and the broker: the API, two workers and beat,
each with a data dir of its own, as if each ran on a machine of its own.

Everything readers get is checked through the API process, which never shares a file with a
worker: every article's page and JSON, the home page, the three feeds, the ticker and the tag
pages and feeds of every article.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from config.celery import STEP_QUEUES
from config.settings import Settings
from pipeline.store import connect
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
from tests.system import SEED_ARTICLE

pytestmark = pytest.mark.integration

NASHR = shutil.which("nashr", path=str(Path(sys.executable).parent)) or "nashr"
ARTICLES = 12


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(params=["postgres-rabbitmq", "postgres-redis"])
def machines(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(API base URL, editor token) of a deployment spread over four 'machines'."""
    prefix = unique_name("t")
    with ExitStack() as stack:
        database = stack.enter_context(postgres_database())
        if request.param == "postgres-rabbitmq":
            broker = stack.enter_context(rabbitmq_vhost())
        else:
            broker = stack.enter_context(redis_database(prefix))
        shared = {
            "NASHR_DATABASE_URL": database,
            "NASHR_BROKER_URL": broker,
            "NASHR_QUEUE_PREFIX": prefix,
            "NASHR_SWEEP_INTERVAL_SECONDS": "1",
            "NASHR_STUCK_AFTER_SECONDS": "5",
        }
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("NASHR_")} | shared

        def machine(name: str) -> dict[str, str]:
            data_dir = tmp_path / name
            data_dir.mkdir()
            return base_env | {"NASHR_DATA_DIR": str(data_dir)}

        upgrade(Settings(database_url=database).database)
        engine = connect(Settings(database_url=database).database)
        token = TokenStore(engine).create("topology-editor", Role.EDITOR)
        engine.dispose()
        port = _free_port()
        api_env = machine("api") | {"NASHR_SITE_URL": f"http://127.0.0.1:{port}"}
        log = (tmp_path / "api.log").open("ab")
        stack.callback(log.close)
        api = subprocess.Popen(
            [NASHR, "api", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=api_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        def stop_api() -> None:
            api.terminate()
            try:
                api.wait(timeout=20)
            except subprocess.TimeoutExpired:
                api.kill()
                api.wait()

        stack.callback(stop_api)
        queues = ",".join(f"{prefix}-{q}" for q in STEP_QUEUES)
        processes = [
            Worker(
                ["worker", "-Q", queues, "-c", "2", "-n", f"{prefix}-{n}@%h",
                 "--without-gossip", "--without-mingle", "-l", "INFO"],
                machine(f"worker-{n}") | {"NASHR_SITE_URL": f"http://127.0.0.1:{port}"},
                tmp_path / f"worker-{n}.log",
            )
            for n in range(2)
        ]  # fmt: skip
        beat_env = machine("beat") | {"NASHR_SITE_URL": f"http://127.0.0.1:{port}"}
        processes.append(
            Worker(
                ["beat", "-s", str(tmp_path / "beat" / "schedule"), "-l", "INFO"],
                beat_env,
                tmp_path / "beat.log",
            )
        )
        for process in processes:
            stack.callback(process.stop)
        base = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            try:
                return httpx.get(f"{base}/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(healthy, 60, "the API to answer")
        yield base, token


def test_machines_that_share_only_the_database_and_broker_publish_everything(
    machines: tuple[str, str], tmp_path: Path
) -> None:
    base, token = machines
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
        # Given articles submitted to the API machine
        ids = []
        for n in range(ARTICLES):
            payload = SEED_ARTICLE | {
                "title": f"خبر الآلات المنفصلة رقم {n}",
                "external_id": f"m{n}",
            }
            answer = client.post("/articles", json=payload)
            assert answer.status_code == 202, answer.text
            ids.append(answer.json()["id"])

        # When the workers on their own machines have published them
        def all_live() -> bool:
            return all(client.get(f"/articles/{i}").json()["status"] == "live" for i in ids)

        wait_until(all_live, 120, "every article to be live")

        # Then the API machine serves all of it: pages, JSON, home, feeds, ticker, tag pages
        tags: set[str] = set()
        for article_id in ids:
            page = client.get(f"/news/{article_id}.html")
            assert page.status_code == 200 and "انقر هنا لقراءة الخبر من مصدره" in page.text
            document = client.get(f"/news/{article_id}.json").json()
            tags |= {tag["slug"] for tag in document["tags"]}
        home = client.get("/").text
        rss = ET.fromstring(client.get("/feeds/rss.xml").content)
        guids = {guid.text for guid in rss.iter("guid")}
        atom = client.get("/feeds/atom.xml").text
        json_feed = client.get("/feeds/feed.json").json()
        ticker = {entry["id"] for entry in client.get("/ticker.json").json()}
        fragment = client.get("/ticker.html").text
        for article_id in ids:
            link = f"/news/{article_id}.html"
            assert link in home and f"{base}{link}" in guids and f"{base}{link}" in atom
            assert any(item["id"] == f"{base}{link}" for item in json_feed["items"])
            assert article_id in ticker and link in fragment
        assert tags
        for slug in tags:
            for path in (
                f"/tags/{slug}.html",
                f"/feeds/tags/{slug}.xml",
                f"/feeds/tags/{slug}.atom",
            ):
                assert client.get(path).status_code == 200, path

    # And no machine wrote a site of its own: each data dir holds at most its logs and state
    for folder in ("api", "worker-0", "worker-1", "beat"):
        written = [p for p in (tmp_path / folder).rglob("*") if p.is_file()]
        assert not [p for p in written if p.suffix in (".html", ".xml", ".atom", ".json")], written
