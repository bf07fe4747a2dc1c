"""Publishing and listing rebuilds on the real databases: racing publishes keep every entry,
rebuilds coalesce, listings hold only the newest N, takedowns leave every output."""

from __future__ import annotations

import json
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from config.settings import Settings
from ingest.site import PublishedSite
from pipeline.domain.models import CleanArticle, ListingEntry, SourceLink, Submission, Tag
from pipeline.domain.outputs import Output
from pipeline.domain.states import Status, Step
from pipeline.services.listings import Rebuilt
from pipeline.services.runtime import Services, build_services
from pipeline.store import rebuilds
from pipeline.store.database import utcnow
from pipeline.store.migrate import upgrade
from pipeline.store.schema import article_versions
from tests.services import postgres_database

pytestmark = pytest.mark.integration

MOROCCO = Tag(label="المغرب", slug="المغرب")


@pytest.fixture(params=["sqlite", "postgres"])
def services(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Services]:
    with ExitStack() as stack:
        values: dict[str, object] = {
            "data_dir": tmp_path,
            "listing_gap_seconds": 0.2,
            "tag_size": 30,
        }
        if request.param == "postgres":
            values["database_url"] = stack.enter_context(postgres_database())
        settings = Settings(**values)  # type: ignore[arg-type]
        upgrade(settings.database)
        built = build_services(settings)
        yield built
        built.close()


def sourced(
    services: Services, title: str, external_id: str | None = None, tag: Tag = MOROCCO
) -> tuple[int, int]:
    """An article version ready to publish, moved there through the real compare-and-set."""
    submission = Submission(
        title=title,
        body="نص الخبر",
        source_url="https://news.example/a",
        source_name="مصدر",
        external_id=external_id,
    )
    accepted = services.articles.accept(submission)
    clean = CleanArticle(
        title=title, paragraphs=["نص الخبر"], source_url=submission.source_url, source_name="مصدر"
    )
    link = SourceLink(url=submission.source_url, name="مصدر")
    steps: list[tuple[Step, Status, dict[str, Any]]] = [
        (Step.VALIDATE, Status.VALIDATED, {"content": clean.model_dump(mode="json")}),
        (Step.ENRICH, Status.ENRICHED, {"tags": [tag.model_dump(mode="json")]}),
        (Step.SOURCE, Status.SOURCED, {"source": link.model_dump(mode="json")}),
    ]
    for step, target, fields in steps:
        assert services.articles.advance(accepted.id, accepted.version, step, target, **fields)
    return accepted.id, accepted.version


def publish(services: Services, ids: tuple[int, int]) -> bool:
    record = services.articles.load(*ids)
    assert record is not None
    return services.publisher.publish(record)


def find(services: Services, path: str):  # type: ignore[no-untyped-def]
    return PublishedSite(services.outputs, services.pages).find(path)


def get(services: Services, path: str) -> bytes:
    found = find(services, path)
    assert found is not None and found.status == 200, path
    return bytes(found.body)


def rss_titles(services: Services) -> list[str]:
    root = ET.fromstring(get(services, "/feeds/rss.xml"))
    return [item.findtext("title") or "" for item in root.iter("item")]


def test_a_rebuild_that_waits_on_another_never_loses_its_entry(services: Services) -> None:
    # Given an article published, and a rebuild that has read the entries (the first only)
    # and then holds its writes back
    assert publish(services, sourced(services, "الخبر الأول"))
    read, other_done = threading.Event(), threading.Event()
    listings = services.listings

    def stale_rebuild() -> None:
        def held_back(entries: list[ListingEntry]) -> list[Output]:
            outputs = listings._render(entries, Rebuilt())
            read.set()
            # Serialised rebuilds never let the other finish meanwhile: this waits out its
            # deadline, then writes alone, before the other may read.
            other_done.wait(timeout=3)
            return outputs

        listings.store.rebuild(rebuilds.SITE, listings.sizes.feed, held_back)

    def second_rebuild() -> None:
        assert publish(services, sourced(services, "الخبر الثاني"))
        listings.rebuild()
        other_done.set()

    # When a second article is published and rebuilt while the first rebuild waits
    with ThreadPoolExecutor(max_workers=2) as pool:
        stale = pool.submit(stale_rebuild)
        assert read.wait(timeout=20), "the first rebuild never read the entries"
        pool.submit(second_rebuild).result(timeout=60)
        stale.result(timeout=60)

    # Then the feed holds both
    assert set(rss_titles(services)) == {"الخبر الأول", "الخبر الثاني"}


def test_concurrent_publishes_keep_every_entry(services: Services) -> None:
    # Given 24 articles ready to publish
    ready = [sourced(services, f"خبر رقم {n}") for n in range(24)]

    # When eight workers publish them all at once, each rebuilding after its own publish
    def publish_and_rebuild(ids: tuple[int, int]) -> bool:
        published = publish(services, ids)
        services.listings.rebuild()
        return published

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(publish_and_rebuild, ready))

    # Then the feed, the home page and the tag page hold every one of them, all live
    assert sorted(rss_titles(services)) == sorted(f"خبر رقم {n}" for n in range(24))
    home = get(services, "/index.html").decode()
    tag_page = get(services, "/tags/المغرب.html").decode()
    for n in range(24):
        assert f"خبر رقم {n}<" in home and f"خبر رقم {n}<" in tag_page
    assert services.articles.count_by_status() == {"live": 24}


def test_a_rebuild_makes_live_exactly_what_it_shows(services: Services) -> None:
    shown = sourced(services, "خبر منشور")
    assert publish(services, shown)
    waiting = sourced(services, "خبر لم ينشر بعد")

    rebuilt = services.listings.rebuild()

    assert rebuilt.went_live == [shown]
    assert services.articles.status(shown[0]).status == Status.LIVE  # type: ignore[union-attr]
    assert services.articles.status(waiting[0]).status == Status.SOURCED  # type: ignore[union-attr]
    # And a second rebuild moves nothing again
    assert services.listings.rebuild().went_live == []


def test_requests_coalesce_into_one_rebuild(services: Services) -> None:
    listings = services.listings
    # Never built: the first request sends at once; while it is due, others need not send
    assert listings.request() == 0.0
    assert listings.request() is None and listings.request(urgent=True) is None
    listings.rebuild()
    # Just built: the next waits out the gap, breaking news does not
    delay = listings.request()
    assert delay is not None and 0 < delay <= rebuilds.MAX_SPACING
    listings.rebuild()
    assert listings.request(urgent=True) == 0.0


def test_a_rebuild_asked_for_and_lost_is_asked_for_again(services: Services) -> None:
    listings = services.listings
    assert listings.request() == 0.0  # and its message is lost: nothing runs
    assert not listings.lost() and listings.request() is None
    with services.articles.engine.begin() as db:
        db.execute(
            update(rebuilds.rebuilds)
            .where(rebuilds.rebuilds.c.name == rebuilds.SITE)
            .values(due_at=utcnow() - rebuilds.LOST_AFTER * 2)
        )
    assert listings.lost()
    assert listings.request() == 0.0  # taken for lost: this caller sends it again


def test_a_publish_while_a_rebuild_runs_asks_for_a_rebuild_of_its_own(
    services: Services,
) -> None:
    """On PostgreSQL an UPDATE skips, without waiting, a row its snapshot shows as not matching:
    a request made while a rebuild's claim was uncommitted used to find "one is due" and rely
    on a rebuild that had already read past it, leaving the article `published` for a minute.
    (SQLite runs one write transaction at a time: there the publish waits for the rebuild.)"""
    if services.articles.engine.dialect.name != "postgresql":
        pytest.skip("the race is PostgreSQL's: SQLite serialises every write transaction")
    listings = services.listings
    # Given a rebuild asked for, claimed, and running: it has read who waits to go live
    assert listings.request() == 0.0
    read, release = threading.Event(), threading.Event()

    def running_rebuild() -> None:
        def held(entries: list[ListingEntry]) -> list[Output]:
            outputs = listings._render(entries, Rebuilt())
            read.set()
            release.wait(timeout=30)
            return outputs

        listings.store.rebuild(rebuilds.SITE, listings.sizes.feed, held)

    with ThreadPoolExecutor(max_workers=2) as pool:
        running = pool.submit(running_rebuild)
        assert read.wait(timeout=20), "the rebuild never read the entries"
        # When an article is published after that read, and its ticker step asks
        ids = sourced(services, "خبر نشر أثناء إعادة البناء")
        assert publish(services, ids)
        asking = pool.submit(listings.request)
        # Then the ask neither waits on the running rebuild nor relies on it
        delay = asking.result(timeout=5)
        release.set()
        running.result(timeout=30)
    assert delay is not None
    # And the rebuild it sends makes the article live
    assert ids in listings.rebuild().went_live


def test_a_version_left_published_is_rebuilt_by_the_sweep(services: Services) -> None:
    # Given a version published long ago that no rebuild covered, and no rebuild due
    ids = sourced(services, "خبر منسي")
    assert publish(services, ids)
    assert not services.listings.lost()
    with services.articles.engine.begin() as db:
        db.execute(
            update(article_versions)
            .where(article_versions.c.article_id == ids[0])
            .values(updated_at=utcnow() - rebuilds.LOST_AFTER * 2)
        )
    # Then the sweeper takes the rebuild for lost, and the one it asks for makes it live
    assert services.listings.lost()
    assert services.listings.request(urgent=True) == 0.0
    assert ids in services.listings.rebuild().went_live
    assert not services.listings.lost()


def test_publishing_twice_changes_nothing(services: Services) -> None:
    ids = sourced(services, "خبر واحد")
    record = services.articles.load(*ids)
    assert record is not None
    assert services.publisher.publish(record) is True
    services.listings.rebuild()
    feed_before = get(services, "/feeds/atom.xml")

    # When the same message is handled again (the record still says `sourced`)
    assert services.publisher.publish(record) is False
    services.listings.rebuild()

    assert get(services, "/feeds/atom.xml") == feed_before
    assert services.articles.status(ids[0]).status == Status.LIVE  # type: ignore[union-attr]


def test_listings_show_only_the_latest_n(services: Services) -> None:
    sizes = replace(services.listings.sizes, feed=5, ticker=3, home=4)
    object.__setattr__(services.listings, "sizes", sizes)
    for n in range(8):
        assert publish(services, sourced(services, f"عنوان {n}"))
        services.listings.rebuild()
    assert rss_titles(services) == [f"عنوان {n}" for n in (7, 6, 5, 4, 3)]
    ticker = json.loads(get(services, "/ticker.json"))
    assert [entry["headline"] for entry in ticker] == ["عنوان 7", "عنوان 6", "عنوان 5"]
    home = get(services, "/index.html").decode()
    assert "عنوان 4<" in home and "عنوان 3<" not in home


def test_an_older_version_published_late_changes_nothing_readers_see(
    services: Services,
) -> None:
    # Given versions 1 and 2 of one article, with different tags, and version 2 already live
    old = Tag(label="قديم", slug="قديم")
    new = Tag(label="جديد", slug="جديد")
    first = sourced(services, "قديم العنوان", external_id="late-one", tag=old)
    second = sourced(services, "جديد العنوان", external_id="late-one", tag=new)
    assert first[0] == second[0]
    assert publish(services, second)

    # When version 1's publish commits late
    assert publish(services, first)
    services.listings.rebuild()

    # Then readers still get version 2, under version 2's tags only
    page = json.loads(get(services, f"/news/{first[0]}.json"))
    assert page["version"] == 2 and page["title"] == "جديد العنوان"
    assert f"/news/{first[0]}.html" in get(services, "/tags/جديد.html").decode()
    assert find(services, "/tags/قديم.html") is None


def test_an_unpublished_article_leaves_every_output(services: Services) -> None:
    # Given two live articles, listed on the home page, in the feeds, the ticker and a tag page
    kept, gone = (sourced(services, title) for title in ("خبر باق", "خبر يسحب"))
    for ids in (kept, gone):
        assert publish(services, ids)
    services.listings.rebuild()

    def shows(article_id: int) -> dict[str, bool]:
        link = f"/news/{article_id}.html"
        page = find(services, link)
        listings = {
            path: link in get(services, path).decode()
            for path in ("/feeds/rss.xml", "/index.html", "/tags/المغرب.html", "/ticker.json")
        }
        return {"page": page is not None and page.status == 200, **listings}

    assert set(shows(gone[0]).values()) == {True}, shows(gone[0])

    # When the second is taken down, and the rebuild it asks for runs
    taken = services.takedowns.unpublish(gone[0])
    assert taken is not None and taken.versions == 1 and taken.rebuild_delay == 0.0
    services.listings.rebuild()

    # Then its page answers 410, no listing shows it, and the other is untouched
    page = find(services, f"/news/{gone[0]}.html")
    assert page is not None and page.status == 410
    assert set(shows(gone[0]).values()) == {False}
    assert set(shows(kept[0]).values()) == {True}
    assert services.articles.status(gone[0]).status == Status.UNPUBLISHED  # type: ignore[union-attr]
    # And taking it down again moves nothing, but is not an error
    again = services.takedowns.unpublish(gone[0])
    assert again is not None and again.versions == 0
    assert services.takedowns.unpublish(999_999) is None


def test_a_takedown_stops_a_version_still_on_its_way(services: Services) -> None:
    # Given a version waiting in `received`
    submission = Submission(
        title="خبر في الطريق", body="نص", source_url="https://news.example/a", source_name="مصدر"
    )
    accepted = services.articles.accept(submission)

    # When it is taken down
    taken = services.takedowns.unpublish(accepted.id)
    assert taken is not None and taken.versions == 1

    # Then the step that comes later finds nothing to do, and the sweeper does not resend it
    assert not services.articles.advance(
        accepted.id, accepted.version, Step.VALIDATE, Status.VALIDATED
    )
    assert all(item.article_id != accepted.id for item in services.articles.pending(utcnow()))
    # And it never had a page: its address is not found, not gone
    assert find(services, f"/news/{accepted.id}.html") is None


def test_feeds_stay_small_however_long_the_articles(services: Services) -> None:
    # Given ten articles of about 190 KB each (an editor's maximum is 200 KB)
    body = "<p>" + "فقرة طويلة جدا من نص الخبر " * 7000 + "</p>"
    for n in range(10):
        ids = sourced(services, f"خبر طويل {n}")
        record = services.articles.load(*ids)
        assert record is not None and record.content is not None
        content = record.content.model_copy(update={"paragraphs": [body]})
        object.__setattr__(record, "content", content)
        assert services.publisher.publish(record)
    services.listings.rebuild()

    # Then each feed entry carries the summary and a link, and every feed stays small
    cap = services.settings.feed_entry_max_bytes
    for path in ("/feeds/rss.xml", "/feeds/atom.xml", "/feeds/feed.json"):
        feed = get(services, path)
        assert len(feed) < 10 * cap, (path, len(feed))
        assert "اقرأ الخبر كاملا" in feed.decode()
    # And the pages themselves still carry the whole text
    assert len(get(services, f"/news/{ids[0]}.html")) > len(body)
