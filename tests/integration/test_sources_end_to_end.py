"""Sources end to end: real worker and two beats pull feeds from a loopback server shaped like
real outlets' (WordPress RSS, Atom, JSON Feed, ninjs) and publish each item once.

On the embedded default and on PostgreSQL with RabbitMQ. The server counts what it answered,
so 304s and "one fetch per slot" are counted on its side, not taken from nashr's word.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from pipeline.domain.models import SITE_FEEDS
from pipeline.store import connect
from pipeline.store.database import utcnow
from pipeline.store.source_tables import source_fetches, source_items, sources
from tests.cli import NASHR
from tests.feed_server import FeedServer
from tests.services import ROOT, wait_until
from tests.system import RunningSystem, running_system

pytestmark = pytest.mark.integration

FEEDS = ROOT / "tests" / "fixtures" / "feeds"
FINISHED = ("ok", "not_modified", "failed", "superseded")


def fixture(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


@pytest.fixture(scope="module")
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        running.feed("/hespress.xml", fixture("wordpress-rss.xml"))
        running.feed("/hespress-sport.xml", fixture("wordpress-rss-sport.xml"))
        running.feed("/akhbar.xml", fixture("atom.xml"), "application/atom+xml")
        running.feed("/jawhara.json", fixture("feed.json"), "application/feed+json")
        running.feed("/wakala.json", fixture("ninjs.json"), "application/json")
        yield running


@pytest.fixture(scope="module", params=["embedded", "postgres-rabbitmq"])
def system(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, server: FeedServer
) -> Iterator[RunningSystem]:
    data_dir = tmp_path_factory.mktemp(f"sources-{request.param}")
    env = {"NASHR_SOURCES_ALLOW_PRIVATE": "127.0.0.0/8"}
    with running_system(data_dir, request.param, beats=2, extra_env=env) as running:
        yield running


@pytest.fixture(scope="module")
def engine(system: RunningSystem) -> Iterator[Engine]:
    found = connect(system.settings.database)
    yield found
    found.dispose()


# -- helpers ---------------------------------------------------------------------------------


def add(system: RunningSystem, server: FeedServer, name: str, path: str, **extra: Any) -> None:
    body = {"name": name, "url": server.url(path), "every": 60} | extra
    answer = system.client.post("/ops/sources", json=body, headers=_operator(system))
    assert answer.status_code == 201, answer.text


def _operator(system: RunningSystem) -> dict[str, str]:
    return {"Authorization": f"Bearer {system.operator_token}"}


def finished(engine: Engine, name: str) -> list[Any]:
    with engine.connect() as db:
        return list(
            db.execute(
                select(source_fetches)
                .where(source_fetches.c.source == name, source_fetches.c.outcome.in_(FINISHED))
                .order_by(source_fetches.c.id)
            ).all()
        )


def first_fetch(engine: Engine, name: str) -> Any:
    return wait_until(lambda: (finished(engine, name) or [None])[0], 60, f"{name}'s first fetch")


def fetch_now(system: RunningSystem, engine: Engine, name: str) -> Any:
    """POST /ops/sources/{name}/fetch, then the fetch's row once it has ended."""
    answer = system.client.post(f"/ops/sources/{name}/fetch", headers=_operator(system))
    assert answer.status_code == 202, answer.text
    fetch_id = answer.json()["fetch_id"]

    def ended() -> Any:
        with engine.connect() as db:
            row = db.execute(select(source_fetches).where(source_fetches.c.id == fetch_id)).one()
        return row if row.outcome in FINISHED else None

    return wait_until(ended, 60, f"fetch {fetch_id} of {name}")


def items(engine: Engine, name: str) -> list[Any]:
    with engine.connect() as db:
        return list(
            db.execute(
                select(source_items)
                .where(source_items.c.source == name)
                .order_by(source_items.c.id)
            ).all()
        )


def article_ids(engine: Engine, name: str) -> list[int]:
    return [row.article_id for row in items(engine, name) if row.article_id is not None]


def all_live(system: RunningSystem, ids: list[int], version: int | None = None) -> None:
    for article_id in ids:
        system.wait_for(article_id, "live", version=version)


def listed(system: RunningSystem) -> dict[str, dict[str, Any]]:
    answer = system.client.get("/ops/sources", headers=_operator(system))
    assert answer.status_code == 200, answer.text
    return {source["name"]: source for source in answer.json()}


def cli(system: RunningSystem, *args: str) -> subprocess.CompletedProcess[str]:
    assert NASHR is not None
    return subprocess.run(
        [NASHR, *args], env=system.env, capture_output=True, text=True, timeout=120, cwd=ROOT
    )


# -- the tests, in the order a newsroom meets them -------------------------------------------------


def test_a_first_fetch_with_backfill_publishes_every_item_once_with_its_source(
    system: RunningSystem, server: FeedServer, engine: Engine
) -> None:
    add(system, server, "hespress", "/hespress.xml", backfill=True, tags=["هسبريس"])
    fetch = first_fetch(engine, "hespress")
    assert fetch.outcome == "ok" and fetch.items == 5 and fetch.published == 5, fetch
    ids = article_ids(engine, "hespress")
    assert len(ids) == 5 == len(set(ids))
    all_live(system, ids)
    page = system.get(f"/news/{ids[0]}.html").text
    assert "انقر هنا لقراءة الخبر من مصدره" in page
    assert "https://hespress.example/politique/101.html" in page
    assert "نُشر في المصدر" in page
    document = system.get(f"/news/{ids[0]}.json").json()
    assert document["source"]["name"] == "hespress"
    assert document["source_published_at"] is not None
    assert "هسبريس" in [tag["label"] for tag in document["tags"]]
    seen = server.headers("/hespress.xml")[0]
    assert seen["user-agent"].startswith("nashr/") and "http://testserver" in seen["user-agent"]
    assert "gzip" in seen["accept-encoding"]
    shown = listed(system)["hespress"]
    assert shown["state"] == "ok" and shown["articles_published"] == 5
    assert shown["items_seen"] == 5 and shown["last_error"] is None


def test_the_next_fetch_is_conditional_and_a_304_changes_nothing(
    system: RunningSystem, server: FeedServer, engine: Engine
) -> None:
    before = server.counts("/hespress.xml")
    fetch = fetch_now(system, engine, "hespress")
    after = server.counts("/hespress.xml")
    assert fetch.outcome == "not_modified" and fetch.http_status == 304
    assert after.not_modified == before.not_modified + 1
    assert after.requests == before.requests + 1
    assert "if-none-match" in server.headers("/hespress.xml")[-1]
    assert len(article_ids(engine, "hespress")) == 5
    assert listed(system)["hespress"]["state"] == "not_modified"


def test_an_item_changed_at_the_outlet_is_a_new_version_of_the_same_article(
    system: RunningSystem, server: FeedServer, engine: Engine
) -> None:
    original = fixture("wordpress-rss.xml").decode()
    first = items(engine, "hespress")[0]
    old_title = system.get(f"/news/{first.article_id}.json").json()["title"]
    new_title = "تحديث: " + old_title
    changed = original.replace(old_title, new_title, 1)
    assert changed != original
    server.feed("/hespress.xml", changed)
    fetch = fetch_now(system, engine, "hespress")
    assert fetch.outcome == "ok" and fetch.updated == 1 and fetch.published == 0, fetch
    system.wait_for(first.article_id, "live", version=2)
    assert system.get(f"/news/{first.article_id}.json").json()["title"] == new_title
    assert len(article_ids(engine, "hespress")) == 5  # no new article
    rss = system.get(SITE_FEEDS["rss"]).text
    assert rss.count(f"/news/{first.article_id}.html</guid>") == 1
    # seen again unchanged: nothing
    again = fetch_now(system, engine, "hespress")
    assert again.updated == 0 and again.published == 0


def test_one_story_in_two_feeds_of_an_outlet_is_one_article(
    system: RunningSystem, server: FeedServer, engine: Engine
) -> None:
    add(system, server, "hespress-sport", "/hespress-sport.xml", backfill=True, section="sport")
    fetch = first_fetch(engine, "hespress-sport")
    assert fetch.outcome == "ok" and fetch.items == 5 and fetch.published == 4, fetch
    ids = article_ids(engine, "hespress-sport")
    assert len(ids) == 4
    all_live(system, ids)
    shared = [
        a
        for a in article_ids(engine, "hespress")
        if "/sport/103.html" in system.get(f"/news/{a}.json").json()["source"]["url"]
    ]
    assert len(shared) == 1
    assert system.get(f"/news/{ids[0]}.json").json()["section"]["name"] == "sport"


def test_items_on_the_feed_before_its_first_fetch_are_not_backfilled(
    system: RunningSystem, server: FeedServer, engine: Engine
) -> None:
    add(system, server, "akhbar", "/akhbar.xml")
    fetch = first_fetch(engine, "akhbar")
    assert fetch.outcome == "ok" and fetch.items == 5 and fetch.published == 0, fetch
    assert article_ids(engine, "akhbar") == []
    assert {row.state for row in items(engine, "akhbar")} == {"baseline"}
    fresh = _atom_with_new_entry(fixture("atom.xml").decode(), "999")
    server.feed("/akhbar.xml", fresh, "application/atom+xml")
    fetch = fetch_now(system, engine, "akhbar")
    assert fetch.published == 1, fetch
    (new_id,) = article_ids(engine, "akhbar")
    system.wait_for(new_id, "live")


def _atom_with_new_entry(feed: str, number: str) -> str:
    moment = (utcnow() + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    entry = (
        f"<entry><id>tag:akhbar.example,2026:entry-{number}</id>"
        f"<title>خبر جديد رقم {number} عن الانتخابات الجهوية</title>"
        f'<link rel="alternate" href="https://akhbar.example/a/{number}"/>'
        f"<updated>{moment}</updated><published>{moment}</published>"
        '<content type="html">&lt;p&gt;أعلنت الهيئة المستقلة عن موعد الانتخابات.&lt;/p&gt;'
        "</content></entry>"
    )
    return re.sub(r"(<entry[ >])", entry + r"\1", feed, count=1)


def test_two_beats_fetch_each_slot_once(
    system: RunningSystem, server: FeedServer, engine: Engine
) -> None:
    """Each round makes the source due (as its clock would), then waits for the fetch: two
    beats race for every slot, and the server sees one request per slot."""
    for _ in range(4):
        before_rows = len(finished(engine, "akhbar"))
        before = server.counts("/akhbar.xml").requests
        with engine.begin() as db:
            db.execute(
                update(sources).where(sources.c.name == "akhbar").values(next_fetch_at=utcnow())
            )
        wait_until(
            lambda n=before_rows: len(finished(engine, "akhbar")) > n,
            60,
            "the slot's fetch",  # type: ignore[misc]
        )
        assert server.counts("/akhbar.xml").requests == before + 1
    with engine.connect() as db:
        due = db.execute(
            select(source_fetches.c.due_at).where(
                source_fetches.c.source == "akhbar", source_fetches.c.trigger == "schedule"
            )
        ).all()
    assert len(due) == len(set(due))
    assert len(article_ids(engine, "akhbar")) == 1


def test_a_worker_killed_mid_fetch_publishes_nothing_twice(
    system: RunningSystem, server: FeedServer, engine: Engine
) -> None:
    server.stall("/jawhara.json", drips=2, interval=0.2)
    add(system, server, "jawhara", "/jawhara.json", backfill=True)

    def running() -> Any:
        with engine.connect() as db:
            return db.execute(
                select(source_fetches).where(
                    source_fetches.c.source == "jawhara", source_fetches.c.outcome == "running"
                )
            ).first()

    wait_until(running, 60, "jawhara's fetch to start")
    worker = next(i for i, w in enumerate(system.workers) if w.args[0] == "worker")
    os.killpg(system.workers[worker].pid, signal.SIGKILL)
    system.workers[worker] = system.workers[worker].restarted()
    server.feed("/jawhara.json", fixture("feed.json"), "application/feed+json")
    fetch = fetch_now(system, engine, "jawhara")
    assert fetch.outcome == "ok" and fetch.published == 5, fetch
    ids = article_ids(engine, "jawhara")
    assert len(ids) == len(set(ids)) == 5
    all_live(system, ids)
    again = fetch_now(system, engine, "jawhara")
    assert again.published == 0 and len(article_ids(engine, "jawhara")) == 5


def test_a_ninjs_item_canceled_by_the_agency_is_taken_down(
    system: RunningSystem, server: FeedServer, engine: Engine
) -> None:
    document = json.loads(fixture("ninjs.json"))
    for item in document:
        item["pubstatus"] = "usable"
    server.feed("/wakala.json", json.dumps(document, ensure_ascii=False), "application/json")
    add(system, server, "wakala", "/wakala.json", backfill=True)
    fetch = first_fetch(engine, "wakala")
    assert fetch.published == 5, fetch
    ids = article_ids(engine, "wakala")
    all_live(system, ids)
    document[0]["pubstatus"] = "canceled"
    server.feed("/wakala.json", json.dumps(document, ensure_ascii=False), "application/json")
    fetch_now(system, engine, "wakala")
    gone = next(row.article_id for row in items(engine, "wakala") if row.state == "canceled")
    wait_until(lambda: system.get(f"/news/{gone}.html").status_code == 410, 30, "the takedown")
    wait_until(lambda: f"/news/{gone}.html" not in system.get(SITE_FEEDS["rss"]).text, 30, "feeds")


def test_a_failing_source_is_shown_measured_and_checked(
    system: RunningSystem, server: FeedServer, engine: Engine
) -> None:
    server.status("/down.xml", 503)
    add(system, server, "down", "/down.xml")
    first_fetch(engine, "down")
    fetch_now(system, engine, "down")
    assert listed(system)["down"]["state"] != "failing"  # two failures are weather
    fetch_now(system, engine, "down")
    shown = listed(system)["down"]
    assert shown["state"] == "failing"
    assert shown["last_error"] == "HTTP 503 Service Unavailable"
    metrics = system.client.get("/metrics", headers=_operator(system)).text
    assert 'nashr_source_state{source="down",state="failing"} 1.0' in metrics
    checked = cli(system, "check", "--only", "sources")
    assert checked.returncode == 1 and "down is failing" in checked.stdout
    assert "hespress" not in checked.stdout
    # nothing else was held up: the other sources still answer
    assert listed(system)["hespress"]["state"] in ("ok", "not_modified")
    # paused, it no longer counts against the deployment
    assert cli(system, "sources", "pause", "down").returncode == 0
    assert cli(system, "check", "--only", "sources").returncode == 0


def test_a_source_with_nothing_new_for_the_idle_bound_is_idle(
    system: RunningSystem, engine: Engine
) -> None:
    long_ago = utcnow() - timedelta(hours=25)
    with engine.begin() as db:
        db.execute(
            update(sources)
            .where(sources.c.name == "akhbar")
            .values(last_new_at=long_ago, first_fetch_at=long_ago)
        )
    assert listed(system)["akhbar"]["state"] == "idle"
    metrics = system.client.get("/metrics", headers=_operator(system)).text
    assert 'nashr_source_state{source="akhbar",state="idle"} 1.0' in metrics
    checked = cli(system, "check", "--only", "sources")
    assert checked.returncode == 1 and "akhbar is idle" in checked.stdout
    listing = json.loads(cli(system, "sources", "list", "--json").stdout)
    assert next(s for s in listing if s["name"] == "akhbar")["state"] == "idle"
    cli(system, "sources", "remove", "akhbar")
