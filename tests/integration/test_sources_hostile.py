"""Hostile feeds end to end: each gets a clear error on its own source, and nothing else is
affected: a good source beside them publishes as usual, and no hostile item reaches readers
with its script.

On the embedded default and on PostgreSQL with RabbitMQ, through the real worker and beat.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.feed_server import FeedServer
from tests.services import wait_until
from tests.sources_harness import (
    add,
    all_live,
    article_ids,
    first_fetch,
    fixture,
    listed,
)
from tests.system import RunningSystem

pytestmark = pytest.mark.integration

HOSTILE: dict[str, tuple[str, str]] = {
    # name: (path, what the operator reads in last_error)
    "xxe": ("/xxe.xml", "declares the entity 'xxe' pointing at file:///etc/passwd"),
    "laughs": ("/laughs.xml", "declares the entity 'lol'"),
    "huge": ("/huge.xml", "body over 5 MB"),
    "bomb": ("/bomb.xml", "body over 5 MB"),
    "badbytes": ("/badbytes.xml", "invalid encoding: byte 0xda at line 4"),
    "html": ("/page.html", "not a feed"),
    "deep": ("/deep.json", "nested"),
    "metadata": ("/to-metadata", "redirect to 169.254.169.254 refused: link-local"),
    "private": ("/to-private", "redirect to 10.0.0.1 refused: private"),
    "broken": ("/broken.xml", "parse error at line"),
}


@pytest.fixture(scope="module", autouse=True)
def outlets(feed_server: FeedServer) -> None:
    feed_server.feed("/good.json", fixture("feed.json"), "application/feed+json")
    feed_server.feed("/xxe.xml", fixture("hostile-xxe.xml"))
    feed_server.feed("/laughs.xml", fixture("hostile-billion-laughs.xml"))
    feed_server.huge("/huge.xml", 100_000_000)
    feed_server.gzip_bomb("/bomb.xml")
    feed_server.feed("/badbytes.xml", fixture("hostile-invalid-encoding.xml"))
    feed_server.feed("/page.html", fixture("hostile-not-a-feed.html"), "text/html")
    feed_server.feed("/deep.json", fixture("hostile-deep.json"), "application/json")
    feed_server.redirect("/to-metadata", "http://169.254.169.254/latest/meta-data/")
    feed_server.redirect("/to-private", "http://10.0.0.1/feed.xml")
    # cut off mid-document (at a character, so it is the XML that is broken, not the UTF-8)
    feed_server.feed("/broken.xml", fixture("wordpress-rss.xml").decode()[:3000])
    feed_server.feed("/script.xml", fixture("hostile-script.xml"))


def test_each_hostile_feed_fails_its_own_source_with_a_clear_error(
    sources_system: RunningSystem, feed_server: FeedServer, sources_engine: Engine
) -> None:
    for name, (path, _) in HOSTILE.items():
        add(sources_system, feed_server, name, path, backfill=True)
    add(sources_system, feed_server, "good", "/good.json", backfill=True)
    for name in [*HOSTILE, "good"]:
        first_fetch(sources_engine, name)
    shown = listed(sources_system)
    report = {name: shown[name]["last_error"] for name in HOSTILE}
    print(json.dumps(report, ensure_ascii=False, indent=2))  # the README quotes these
    for name, (_, expected) in HOSTILE.items():
        assert expected in (report[name] or ""), (name, report[name])
        assert article_ids(sources_engine, name) == []
    assert shown["good"]["last_error"] is None and shown["good"]["articles_published"] == 5
    ids = article_ids(sources_engine, "good")
    assert len(ids) == 5
    all_live(sources_system, ids)


def test_the_server_never_saw_a_request_to_the_private_address(feed_server: FeedServer) -> None:
    # the redirects were answered by the loopback server; nothing fetched what they named
    assert feed_server.counts("/to-metadata").requests >= 1
    assert feed_server.counts("/latest/meta-data/").requests == 0


def test_items_with_script_publish_as_text_without_it(
    sources_system: RunningSystem, feed_server: FeedServer, sources_engine: Engine
) -> None:
    add(sources_system, feed_server, "script", "/script.xml", backfill=True)
    fetch = first_fetch(sources_engine, "script")
    assert fetch.outcome == "ok" and fetch.published == 2, fetch
    ids = article_ids(sources_engine, "script")
    all_live(sources_system, ids)
    for article_id in ids:
        page = sources_system.get(f"/news/{article_id}.html").text
        document: dict[str, Any] = sources_system.get(f"/news/{article_id}.json").json()
        body = " ".join(document["paragraphs"]) + document["title"]
        for marker in ("<script", "onerror", "javascript:", "\u202e", "\u2066"):
            assert marker not in body, (marker, body)
        assert "alert(" not in page.split("</header>", 1)[-1].split("<footer", 1)[0]


def test_a_hostile_source_waits_longer_each_time_it_fails(
    sources_system: RunningSystem, sources_engine: Engine
) -> None:
    shown = listed(sources_system)["huge"]
    assert shown["failures"] >= 1

    def later() -> bool:
        return bool(listed(sources_system)["huge"]["next_fetch_at"])

    wait_until(later, 10, "a next fetch time")
    # with one failure it waits twice its period (an hour here) from its last try
    last = datetime.fromisoformat(str(shown["last_fetch_at"]).removesuffix("Z"))
    following = datetime.fromisoformat(
        str(listed(sources_system)["huge"]["next_fetch_at"]).removesuffix("Z")
    )
    assert (following - last).total_seconds() >= 2 * 3600 - 1
