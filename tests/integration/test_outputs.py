"""Listing rebuilds: concurrent publishes never lose one another's entry; views cost O(N shown)."""

from __future__ import annotations

import itertools
import json
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest

from pipeline.models import (
    CleanArticle,
    SiteInfo,
    SourceLink,
    Submission,
    Tag,
    article_json_path,
    article_path,
    tag_path,
)
from pipeline.outputs import Outputs, OutputSizes
from pipeline.states import Status, Step
from pipeline.store import ArticleStore, connect
from pipeline.store.database import utcnow
from pipeline.store.files import SiteFiles
from pipeline.store.migrate import upgrade
from tests.services import postgres_database

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ArticleStore]:
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'nashr.sqlite'}"
        else:
            url = stack.enter_context(postgres_database()).replace(
                "postgresql://", "postgresql+psycopg://"
            )
        upgrade(url)
        engine = connect(url)
        yield ArticleStore(engine)
        engine.dispose()


def _sourced(store: ArticleStore, title: str) -> tuple[int, int]:
    """An article version ready to publish, moved there through the real compare-and-set."""
    submission = Submission(
        title=title, body="نص الخبر", source_url="https://news.example/a", source_name="مصدر"
    )
    accepted = store.accept(submission)
    clean = CleanArticle(
        title=title, paragraphs=["نص الخبر"], source_url=submission.source_url, source_name="مصدر"
    )
    tag = Tag(label="المغرب", slug="المغرب")
    link = SourceLink(url=submission.source_url, name="مصدر")
    for step, target, fields in [
        (Step.VALIDATE, Status.VALIDATED, {"content": clean.model_dump(mode="json")}),
        (Step.ENRICH, Status.ENRICHED, {"tags": [tag.model_dump(mode="json")]}),
        (Step.SOURCE, Status.SOURCED, {"source": link.model_dump(mode="json")}),
    ]:
        assert store.advance(accepted.id, accepted.version, step, target, **fields)
    return accepted.id, accepted.version


class StaleFirstOutputs(Outputs):
    """The first rebuild reads the database, then holds its files back until another publish
    has written: the interleaving that loses an entry unless rebuilds are serialised."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.calls = itertools.count()
        self.first_read = threading.Event()
        self.other_wrote = threading.Event()

    def _snapshot(self):  # type: ignore[no-untyped-def]
        taken = super()._snapshot()
        if next(self.calls) == 0:
            self.first_read.set()
            # Serialised rebuilds never get here while another holds the lock: the wait ends
            # at its deadline and this rebuild goes on, alone.
            self.other_wrote.wait(timeout=3)
        return taken

    def _write_feeds(self, tags, now, written) -> None:  # type: ignore[no-untyped-def]
        super()._write_feeds(tags, now, written)
        if len(now.latest) == 2:
            self.other_wrote.set()


def test_two_racing_publishes_both_reach_the_feed(store: ArticleStore, tmp_path: Path) -> None:
    first, second = _sourced(store, "الخبر الأول"), _sourced(store, "الخبر الثاني")
    outputs = StaleFirstOutputs(store, SiteFiles(tmp_path / "site"), SiteInfo(), OutputSizes())

    def publish(ids: tuple[int, int]) -> bool:
        record = store.load(*ids)
        assert record is not None
        return outputs.publish(record)

    with ThreadPoolExecutor(max_workers=2) as pool:
        started = pool.submit(publish, first)
        assert outputs.first_read.wait(timeout=10), "the first rebuild never read the database"
        assert pool.submit(publish, second).result() and started.result()

    rss = ET.fromstring((tmp_path / "site" / "feeds" / "rss.xml").read_bytes())
    titles = {item.findtext("title") for item in rss.iter("item")}
    assert titles == {"الخبر الأول", "الخبر الثاني"}


def test_concurrent_publishes_keep_every_entry(store: ArticleStore, tmp_path: Path) -> None:
    # Given 24 articles ready to publish
    ready = [_sourced(store, f"خبر رقم {n}") for n in range(24)]
    outputs = Outputs(store, SiteFiles(tmp_path / "site"), SiteInfo(), OutputSizes(tag=30))

    # When eight workers publish them all at once
    def publish(ids: tuple[int, int]) -> bool:
        record = store.load(*ids)
        assert record is not None
        return outputs.publish(record)

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(publish, ready))

    # Then the feed, the home page and the tag page hold every one of them
    rss = ET.fromstring((tmp_path / "site" / "feeds" / "rss.xml").read_bytes())
    guids = {guid.text for guid in rss.iter("guid")}
    assert guids == {f"http://127.0.0.1:8000/news/{article_id}.html" for article_id, _ in ready}
    home = (tmp_path / "site" / "index.html").read_text()
    tag_page = (tmp_path / "site" / "tags" / "المغرب.html").read_text()
    for n in range(24):
        assert f"خبر رقم {n}<" in home and f"خبر رقم {n}<" in tag_page


def test_publishing_twice_changes_nothing(store: ArticleStore, tmp_path: Path) -> None:
    ids = _sourced(store, "خبر واحد")
    outputs = Outputs(store, SiteFiles(tmp_path / "site"), SiteInfo(), OutputSizes())
    record = store.load(*ids)
    assert record is not None
    assert outputs.publish(record) is True
    feed_before = (tmp_path / "site" / "feeds" / "atom.xml").read_bytes()

    # When the same message is handled again (the record still says `sourced`)
    assert outputs.publish(record) is False

    assert (tmp_path / "site" / "feeds" / "atom.xml").read_bytes() == feed_before
    assert store.status(ids[0]) is not None
    assert store.status(ids[0]).status == Status.PUBLISHED  # type: ignore[union-attr]


def test_listings_show_only_the_latest_n(store: ArticleStore, tmp_path: Path) -> None:
    outputs = Outputs(
        store, SiteFiles(tmp_path / "site"), SiteInfo(), OutputSizes(feed=5, ticker=3, home=4)
    )
    for n in range(8):
        record = store.load(*_sourced(store, f"عنوان {n}"))
        assert record is not None and outputs.publish(record)
        assert outputs.go_live(record)
    rss = ET.fromstring((tmp_path / "site" / "feeds" / "rss.xml").read_bytes())
    titles = [item.findtext("title") for item in rss.iter("item")]
    assert titles == [f"عنوان {n}" for n in (7, 6, 5, 4, 3)]
    ticker = json.loads((tmp_path / "site" / "ticker.json").read_text())
    assert [entry["headline"] for entry in ticker] == ["عنوان 7", "عنوان 6", "عنوان 5"]


def test_an_older_version_published_late_changes_nothing_readers_see(
    store: ArticleStore, tmp_path: Path
) -> None:
    # Given versions 1 and 2 of one article, with different tags, and version 2 already live
    submission = Submission(
        title="النسخة", body="نص", source_url="https://news.example/a", source_name="مصدر",
        external_id="late-one",
    )  # fmt: skip
    first, second = store.accept(submission), store.accept(submission)
    for accepted, slug in ((first, "قديم"), (second, "جديد")):
        clean = CleanArticle(
            title=f"{slug} العنوان", paragraphs=["نص"], source_url=submission.source_url,
            source_name="مصدر",
        )  # fmt: skip
        link = SourceLink(url=submission.source_url, name="مصدر")
        for step, target, fields in [
            (Step.VALIDATE, Status.VALIDATED, {"content": clean.model_dump(mode="json")}),
            (
                Step.ENRICH,
                Status.ENRICHED,
                {"tags": [Tag(label=slug, slug=slug).model_dump(mode="json")]},
            ),
            (Step.SOURCE, Status.SOURCED, {"source": link.model_dump(mode="json")}),
        ]:
            assert store.advance(accepted.id, accepted.version, step, target, **fields)
    assert store.advance(second.id, second.version, Step.PUBLISH, Status.PUBLISHED)

    # When version 1's publish commits late
    assert store.advance(first.id, first.version, Step.PUBLISH, Status.PUBLISHED)

    # Then readers still get version 2, under version 2's tags only
    live = store.published(first.id)
    assert live is not None and live.version == 2 and live.title == "جديد العنوان"
    assert [a.id for a in store.latest_published(10, tag_slug="جديد")] == [first.id]
    assert store.latest_published(10, tag_slug="قديم") == []


def test_an_unpublished_article_leaves_every_view(store: ArticleStore, tmp_path: Path) -> None:
    # Given two live articles, listed on the home page, in the feeds, the ticker and a tag page
    outputs = Outputs(store, SiteFiles(tmp_path / "site"), SiteInfo(), OutputSizes())
    kept, gone = (_sourced(store, title) for title in ("خبر باق", "خبر يسحب"))
    for ids in (kept, gone):
        record = store.load(*ids)
        assert record is not None and outputs.publish(record)
    files = outputs.files
    tag_page = tag_path("المغرب")

    def shows(article_id: int) -> dict[str, bool]:
        ticker = json.loads(files.read("/ticker.json") or b"[]")
        return {
            "page": files.read(article_path(article_id)) is not None,
            "json": files.read(article_json_path(article_id)) is not None,
            "rss": f"/news/{article_id}.html" in (files.read("/feeds/rss.xml") or b"").decode(),
            "home": f"/news/{article_id}.html" in (files.read("/index.html") or b"").decode(),
            "tag": f"/news/{article_id}.html" in (files.read(tag_page) or b"").decode(),
            "ticker": article_id in [entry["id"] for entry in ticker],
        }

    assert shows(gone[0]) == dict.fromkeys(shows(gone[0]), True), shows(gone[0])

    # When the second is taken down and the due takedowns are done
    assert store.unpublish(gone[0]) == 1
    assert store.published(gone[0]) is None
    assert outputs.take_down_due(limit=10) == [gone[0]]

    # Then no view shows it, the other is untouched, and nothing is left due
    assert set(shows(gone[0]).values()) == {False}
    assert set(shows(kept[0]).values()) == {True}
    assert outputs.take_down_due(limit=10) == []
    assert store.status(gone[0]).status == Status.UNPUBLISHED  # type: ignore[union-attr]
    # And taking it down again moves nothing, but is not an error
    assert store.unpublish(gone[0]) == 0
    assert store.unpublish(999_999) is None


def test_a_takedown_stops_a_version_still_on_its_way(store: ArticleStore, tmp_path: Path) -> None:
    # Given an article live at version 1, and its version 2 half way through the steps
    outputs = Outputs(store, SiteFiles(tmp_path / "site"), SiteInfo(), OutputSizes())
    article_id, version = _sourced(store, "خبر بنسختين")
    record = store.load(article_id, version)
    assert record is not None and outputs.publish(record)
    submission = Submission(
        title="خبر بنسختين", body="نص", source_url="https://news.example/a", source_name="مصدر"
    )
    second = store.accept(submission.model_copy(update={"external_id": None}))
    assert second.id != article_id  # a different article: no external id

    # When it is taken down while its version waits in `received`
    assert store.unpublish(second.id) == 1

    # Then the step that comes later finds nothing to do, and the sweeper does not resend it
    assert not store.advance(second.id, second.version, Step.VALIDATE, Status.VALIDATED)
    assert all(item.article_id != second.id for item in store.pending(utcnow()))
    # And the live article is untouched
    assert store.published(article_id) is not None
