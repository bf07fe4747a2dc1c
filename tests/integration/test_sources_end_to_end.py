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
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from pipeline.domain.models import SITE_FEEDS
from pipeline.store.database import utcnow
from pipeline.store.source_tables import source_fetches, sources
from tests.feed_server import FeedServer
from tests.services import wait_until
from tests.sources_harness import (
    add,
    all_live,
    article_ids,
    cli,
    fetch_now,
    finished,
    first_fetch,
    fixture,
    items,
    listed,
    operator,
)
from tests.system import RunningSystem

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", autouse=True)
def outlets(feed_server: FeedServer, sources_system: RunningSystem) -> None:
    """The feeds as each deployment first finds them (the tests change them as they go)."""
    feed_server.feed("/hespress.xml", fixture("wordpress-rss.xml"))
    feed_server.feed("/hespress-sport.xml", fixture("wordpress-rss-sport.xml"))
    feed_server.feed("/akhbar.xml", fixture("atom.xml"), "application/atom+xml")
    feed_server.feed("/jawhara.json", fixture("feed.json"), "application/feed+json")
    feed_server.feed("/wakala.json", fixture("ninjs.json"), "application/json")


# -- the tests, in the order a newsroom meets them -------------------------------------------------


def test_a_first_fetch_with_backfill_publishes_every_item_once_with_its_source(
    sources_system: RunningSystem, feed_server: FeedServer, sources_engine: Engine
) -> None:
    add(sources_system, feed_server, "hespress", "/hespress.xml", backfill=True, tags=["هسبريس"])
    fetch = first_fetch(sources_engine, "hespress")
    assert fetch.outcome == "ok" and fetch.items == 5 and fetch.published == 5, fetch
    ids = article_ids(sources_engine, "hespress")
    assert len(ids) == 5 == len(set(ids))
    all_live(sources_system, ids)
    page = sources_system.get(f"/news/{ids[0]}.html").text
    assert "انقر هنا لقراءة الخبر من مصدره" in page
    assert "https://hespress.example/politique/101.html" in page
    assert "نُشر في المصدر" in page
    document = sources_system.get(f"/news/{ids[0]}.json").json()
    assert document["source"]["name"] == "hespress"
    assert document["source_published_at"] is not None
    assert "هسبريس" in [tag["label"] for tag in document["tags"]]
    seen = feed_server.headers("/hespress.xml")[0]
    assert seen["user-agent"].startswith("nashr/") and "http://testserver" in seen["user-agent"]
    assert "gzip" in seen["accept-encoding"]
    shown = listed(sources_system)["hespress"]
    assert shown["state"] == "ok" and shown["articles_published"] == 5
    assert shown["items_seen"] == 5 and shown["last_error"] is None


def test_the_next_fetch_is_conditional_and_a_304_changes_nothing(
    sources_system: RunningSystem, feed_server: FeedServer, sources_engine: Engine
) -> None:
    before = feed_server.counts("/hespress.xml")
    fetch = fetch_now(sources_system, sources_engine, "hespress")
    after = feed_server.counts("/hespress.xml")
    assert fetch.outcome == "not_modified" and fetch.http_status == 304
    assert after.not_modified == before.not_modified + 1
    assert after.requests == before.requests + 1
    assert "if-none-match" in feed_server.headers("/hespress.xml")[-1]
    assert len(article_ids(sources_engine, "hespress")) == 5
    assert listed(sources_system)["hespress"]["state"] == "not_modified"


def test_an_item_changed_at_the_outlet_is_a_new_version_of_the_same_article(
    sources_system: RunningSystem, feed_server: FeedServer, sources_engine: Engine
) -> None:
    original = fixture("wordpress-rss.xml").decode()
    first = items(sources_engine, "hespress")[0]
    old_title = sources_system.get(f"/news/{first.article_id}.json").json()["title"]
    new_title = "تحديث: " + old_title
    changed = original.replace(old_title, new_title, 1)
    assert changed != original
    feed_server.feed("/hespress.xml", changed)
    fetch = fetch_now(sources_system, sources_engine, "hespress")
    assert fetch.outcome == "ok" and fetch.updated == 1 and fetch.published == 0, fetch
    sources_system.wait_for(first.article_id, "live", version=2)
    assert sources_system.get(f"/news/{first.article_id}.json").json()["title"] == new_title
    assert len(article_ids(sources_engine, "hespress")) == 5  # no new article
    rss = sources_system.get(SITE_FEEDS["rss"]).text
    assert rss.count(f"/news/{first.article_id}.html</guid>") == 1
    # seen again unchanged: nothing
    again = fetch_now(sources_system, sources_engine, "hespress")
    assert again.updated == 0 and again.published == 0


def test_one_story_in_two_feeds_of_an_outlet_is_one_article(
    sources_system: RunningSystem, feed_server: FeedServer, sources_engine: Engine
) -> None:
    add(
        sources_system,
        feed_server,
        "hespress-sport",
        "/hespress-sport.xml",
        backfill=True,
        section="sport",
    )
    fetch = first_fetch(sources_engine, "hespress-sport")
    assert fetch.outcome == "ok" and fetch.items == 5 and fetch.published == 4, fetch
    ids = article_ids(sources_engine, "hespress-sport")
    assert len(ids) == 4
    all_live(sources_system, ids)
    shared = [
        a
        for a in article_ids(sources_engine, "hespress")
        if "/sport/103.html" in sources_system.get(f"/news/{a}.json").json()["source"]["url"]
    ]
    assert len(shared) == 1
    assert sources_system.get(f"/news/{ids[0]}.json").json()["section"]["name"] == "sport"


def test_items_on_the_feed_before_its_first_fetch_are_not_backfilled(
    sources_system: RunningSystem, feed_server: FeedServer, sources_engine: Engine
) -> None:
    add(sources_system, feed_server, "akhbar", "/akhbar.xml")
    fetch = first_fetch(sources_engine, "akhbar")
    assert fetch.outcome == "ok" and fetch.items == 5 and fetch.published == 0, fetch
    assert article_ids(sources_engine, "akhbar") == []
    assert {row.state for row in items(sources_engine, "akhbar")} == {"baseline"}
    fresh = _atom_with_new_entry(fixture("atom.xml").decode(), "999")
    feed_server.feed("/akhbar.xml", fresh, "application/atom+xml")
    fetch = fetch_now(sources_system, sources_engine, "akhbar")
    assert fetch.published == 1, fetch
    (new_id,) = article_ids(sources_engine, "akhbar")
    sources_system.wait_for(new_id, "live")


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
    sources_system: RunningSystem, feed_server: FeedServer, sources_engine: Engine
) -> None:
    """Each round makes the source due (as its clock would), then waits for the fetch: two
    beats race for every slot, and the server sees one request per slot."""
    for _ in range(4):
        before_rows = len(finished(sources_engine, "akhbar"))
        before = feed_server.counts("/akhbar.xml").requests
        with sources_engine.begin() as db:
            db.execute(
                update(sources).where(sources.c.name == "akhbar").values(next_fetch_at=utcnow())
            )
        wait_until(_more_than(sources_engine, before_rows), 60, "the slot's fetch")
        assert feed_server.counts("/akhbar.xml").requests == before + 1
    with sources_engine.connect() as db:
        due = db.execute(
            select(source_fetches.c.due_at).where(
                source_fetches.c.source == "akhbar", source_fetches.c.trigger == "schedule"
            )
        ).all()
    assert len(due) == len(set(due))
    assert len(article_ids(sources_engine, "akhbar")) == 1


def _more_than(engine: Engine, count: int) -> Callable[[], bool]:
    return lambda: len(finished(engine, "akhbar")) > count


def test_a_worker_killed_mid_fetch_publishes_nothing_twice(
    sources_system: RunningSystem, feed_server: FeedServer, sources_engine: Engine
) -> None:
    feed_server.stall("/jawhara.json", drips=2, interval=0.2)
    add(sources_system, feed_server, "jawhara", "/jawhara.json", backfill=True)

    def running() -> Any:
        with sources_engine.connect() as db:
            return db.execute(
                select(source_fetches).where(
                    source_fetches.c.source == "jawhara", source_fetches.c.outcome == "running"
                )
            ).first()

    wait_until(running, 60, "jawhara's fetch to start")
    worker = next(i for i, w in enumerate(sources_system.workers) if w.args[0] == "worker")
    os.killpg(sources_system.workers[worker].pid, signal.SIGKILL)
    sources_system.workers[worker] = sources_system.workers[worker].restarted()
    feed_server.feed("/jawhara.json", fixture("feed.json"), "application/feed+json")
    fetch = fetch_now(sources_system, sources_engine, "jawhara")
    assert fetch.outcome == "ok" and fetch.published == 5, fetch
    ids = article_ids(sources_engine, "jawhara")
    assert len(ids) == len(set(ids)) == 5
    all_live(sources_system, ids)
    again = fetch_now(sources_system, sources_engine, "jawhara")
    assert again.published == 0 and len(article_ids(sources_engine, "jawhara")) == 5


def test_a_ninjs_item_canceled_by_the_agency_is_taken_down(
    sources_system: RunningSystem, feed_server: FeedServer, sources_engine: Engine
) -> None:
    document = json.loads(fixture("ninjs.json"))
    for item in document:
        item["pubstatus"] = "usable"
    feed_server.feed("/wakala.json", json.dumps(document, ensure_ascii=False), "application/json")
    add(sources_system, feed_server, "wakala", "/wakala.json", backfill=True)
    fetch = first_fetch(sources_engine, "wakala")
    assert fetch.published == 5, fetch
    ids = article_ids(sources_engine, "wakala")
    all_live(sources_system, ids)
    document[0]["pubstatus"] = "canceled"
    feed_server.feed("/wakala.json", json.dumps(document, ensure_ascii=False), "application/json")
    fetch_now(sources_system, sources_engine, "wakala")
    gone = next(
        row.article_id for row in items(sources_engine, "wakala") if row.state == "canceled"
    )
    wait_until(
        lambda: sources_system.get(f"/news/{gone}.html").status_code == 410, 30, "the takedown"
    )
    wait_until(
        lambda: f"/news/{gone}.html" not in sources_system.get(SITE_FEEDS["rss"]).text, 30, "feeds"
    )


def test_a_failing_source_is_shown_measured_and_checked(
    sources_system: RunningSystem, feed_server: FeedServer, sources_engine: Engine
) -> None:
    feed_server.status("/down.xml", 503)
    add(sources_system, feed_server, "down", "/down.xml")
    first_fetch(sources_engine, "down")
    fetch_now(sources_system, sources_engine, "down")
    assert listed(sources_system)["down"]["state"] != "failing"  # two failures are weather
    fetch_now(sources_system, sources_engine, "down")
    shown = listed(sources_system)["down"]
    assert shown["state"] == "failing"
    assert shown["last_error"] == "HTTP 503 Service Unavailable"
    metrics = sources_system.client.get("/metrics", headers=operator(sources_system)).text
    assert 'nashr_source_state{source="down",state="failing"} 1.0' in metrics
    checked = cli(sources_system, "check", "--only", "sources")
    assert checked.returncode == 1 and "down is failing" in checked.stdout
    assert "hespress" not in checked.stdout
    # nothing else was held up: the other sources still answer
    assert listed(sources_system)["hespress"]["state"] in ("ok", "not_modified")
    # paused, it no longer counts against the deployment
    assert cli(sources_system, "sources", "pause", "down").returncode == 0
    assert cli(sources_system, "check", "--only", "sources").returncode == 0


def test_a_source_with_nothing_new_for_the_idle_bound_is_idle(
    sources_system: RunningSystem, sources_engine: Engine
) -> None:
    long_ago = utcnow() - timedelta(hours=25)
    with sources_engine.begin() as db:
        db.execute(
            update(sources)
            .where(sources.c.name == "akhbar")
            .values(last_new_at=long_ago, first_fetch_at=long_ago)
        )
    assert listed(sources_system)["akhbar"]["state"] == "idle"
    metrics = sources_system.client.get("/metrics", headers=operator(sources_system)).text
    assert 'nashr_source_state{source="akhbar",state="idle"} 1.0' in metrics
    checked = cli(sources_system, "check", "--only", "sources")
    assert checked.returncode == 1 and "akhbar is idle" in checked.stdout
    listing = json.loads(cli(sources_system, "sources", "list", "--json").stdout)
    assert next(s for s in listing if s["name"] == "akhbar")["state"] == "idle"
    cli(sources_system, "sources", "remove", "akhbar")
