"""`nashr sources …` as operators type it, on the embedded default: add, list, show, pause,
resume, fetch, remove; and every bad request refused with nothing stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.store import connect
from pipeline.store.sources import SourceStore
from tests.cli import nashr, ok
from tests.feed_server import FeedServer
from tests.sources_harness import fixture

pytestmark = pytest.mark.integration

LOOPBACK = {"NASHR_SOURCES_ALLOW_PRIVATE": "127.0.0.0/8"}
FIELDS = {
    "name", "url", "every", "paused", "state", "last_fetch_at", "last_ok_at", "last_error",
    "items_seen", "articles_published", "next_fetch_at",
}  # fmt: skip


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    ok(nashr(tmp_path, "migrate"))
    return tmp_path


@pytest.fixture(scope="module")
def refusing_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database for the refusals: none of them may store anything."""
    folder = tmp_path_factory.mktemp("sources-refused")
    ok(nashr(folder, "migrate"))
    return folder


@pytest.fixture(scope="module")
def outlet() -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.feed("/rss.xml", fixture("wordpress-rss.xml"))
        server.status("/gone.xml", 410)
        yield server


def _listed(data_dir: Path) -> dict[str, dict[str, object]]:
    found = json.loads("\n".join(ok(nashr(data_dir, "sources", "list", "--json"))))
    return {source["name"]: source for source in found}


def _stored(data_dir: Path) -> list[str]:
    store = SourceStore(connect(f"sqlite:///{data_dir / 'nashr.sqlite'}"))
    try:
        return [source.name for source in store.all()]
    finally:
        store.engine.dispose()


def test_a_source_is_added_listed_fetched_paused_resumed_and_removed(
    data_dir: Path, outlet: FeedServer
) -> None:
    url = outlet.url("/rss.xml")
    added = ok(nashr(data_dir, "sources", "add", "hespress", url, "--tag", "المغرب", "--backfill"))
    assert added == [
        f"source hespress added: {url} every 300s, full text, every item on it now and to come"
    ]
    shown = _listed(data_dir)["hespress"]
    assert set(shown) >= FIELDS
    assert shown["every"] == 300 and shown["paused"] is False and shown["items_seen"] == 0
    assert shown["last_fetch_at"] is None and shown["next_fetch_at"] is not None
    fetched = ok(nashr(data_dir, "sources", "fetch", "hespress", **LOOPBACK))
    assert fetched == [
        "hespress: 5 item(s), 5 new, 5 published, 0 updated, 0 taken down, 0 skipped"
    ]
    again = ok(nashr(data_dir, "sources", "fetch", "hespress", **LOOPBACK))
    assert again == ["hespress: not modified (304)"]
    assert outlet.counts("/rss.xml").not_modified == 1
    shown = _listed(data_dir)["hespress"]
    assert shown["state"] == "not_modified" and shown["articles_published"] == 5
    assert shown["last_ok_at"] is not None
    history = "\n".join(ok(nashr(data_dir, "sources", "show", "hespress")))
    assert "manual" in history and "not_modified" in history and "304" in history
    ok(nashr(data_dir, "sources", "pause", "hespress"))
    shown = _listed(data_dir)["hespress"]
    assert shown["paused"] is True and shown["next_fetch_at"] is None
    ok(nashr(data_dir, "sources", "resume", "hespress"))
    assert _listed(data_dir)["hespress"]["paused"] is False
    table = "\n".join(ok(nashr(data_dir, "sources", "list")))
    assert "hespress" in table and "not_mod" in table
    ok(nashr(data_dir, "sources", "remove", "hespress"))
    assert _stored(data_dir) == []
    # added again, it publishes nothing it published before
    ok(nashr(data_dir, "sources", "add", "hespress", url, "--backfill"))
    refetched = ok(nashr(data_dir, "sources", "fetch", "hespress", **LOOPBACK))
    assert refetched[0].endswith("0 new, 0 published, 0 updated, 0 taken down, 0 skipped")


def test_a_failed_fetch_exits_1_and_says_why(data_dir: Path, outlet: FeedServer) -> None:
    ok(nashr(data_dir, "sources", "add", "gone", outlet.url("/gone.xml")))
    result = nashr(data_dir, "sources", "fetch", "gone", **LOOPBACK)
    assert result.returncode == 1
    assert result.stdout.strip() == "gone: failed: HTTP 410 Gone"
    assert _listed(data_dir)["gone"]["last_error"] == "HTTP 410 Gone"


def test_loopback_is_refused_unless_the_setting_allows_it(
    data_dir: Path, outlet: FeedServer
) -> None:
    ok(nashr(data_dir, "sources", "add", "local", outlet.url("/rss.xml")))
    result = nashr(data_dir, "sources", "fetch", "local")
    assert result.returncode == 1
    assert "127.0.0.1 refused: loopback address" in result.stdout
    assert outlet.counts("/rss.xml").requests == 0 or "local" not in str(outlet.headers("/rss.xml"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Bad Name", "https://a.example/feed"], "name: "),
        (["<script>", "https://a.example/feed"], "name: "),
        (["\u202ebidi", "https://a.example/feed"], "name: "),
        (["ok", "file:///etc/passwd"], "url: "),
        (["ok", "javascript:alert(1)"], "url: "),
        (["ok", ""], "url: "),
        (["ok", "https://a.example/" + "x" * 5000], "url: "),
        (["ok", "https://a.example/feed", "--every", "59"], "every: "),
        (["ok", "https://a.example/feed", "--section", "weather"], "section: "),
        (["ok", "https://a.example/feed", "--tag", ""], "tag: "),
    ],
)
def test_a_bad_source_is_refused_with_its_reason_and_nothing_stored(
    refusing_dir: Path, args: list[str], message: str
) -> None:
    result = nashr(refusing_dir, "sources", "add", *args)
    assert result.returncode == 2, result.stdout
    assert f"nashr: {message}" in result.stderr
    assert _stored(refusing_dir) == []


def test_every_is_a_whole_number_of_seconds(refusing_dir: Path) -> None:
    result = nashr(refusing_dir, "sources", "add", "ok", "https://a.example/f", "--every", "sixty")
    assert result.returncode == 2 and _stored(refusing_dir) == []


def test_a_name_is_taken_once_and_unknown_names_are_said(data_dir: Path) -> None:
    ok(nashr(data_dir, "sources", "add", "twice", "https://a.example/feed"))
    result = nashr(data_dir, "sources", "add", "twice", "https://b.example/feed")
    assert result.returncode == 2 and "exists already" in result.stderr
    for command in ("pause", "fetch"):
        missing = nashr(data_dir, "sources", command, "nobody")
        assert missing.returncode == 2, command
        assert "no source named 'nobody'" in missing.stderr, command
