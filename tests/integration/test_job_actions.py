"""What the jobs do, through real workers and beat: republish brings an article to the top of
the feeds and the ticker with a new updated time at the same URL and GUID; expire-ticker drops
old headlines; rebuild-site renders every page again."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest

from pipeline.domain.jobs import Action, JobAction, Schedule
from pipeline.store import connect
from pipeline.store.jobs import JobStore
from tests.services import wait_until
from tests.system import SEED_ARTICLE, RunningSystem, running_system

pytestmark = pytest.mark.integration

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSystem]:
    with running_system(tmp_path_factory.mktemp("job-actions"), "postgres-rabbitmq") as running:
        yield running


@pytest.fixture(scope="module")
def jobs(system: RunningSystem) -> Iterator[JobStore]:
    store = JobStore(connect(system.settings.database))
    yield store
    store.engine.dispose()


def _atom(system: RunningSystem) -> list[tuple[str, str]]:
    root = ET.fromstring(system.get("/feeds/atom.xml").content)
    return [
        (entry.findtext(f"{ATOM}id") or "", entry.findtext(f"{ATOM}updated") or "")
        for entry in root.iter(f"{ATOM}entry")
    ]


def _rss_guids(system: RunningSystem) -> list[str]:
    root = ET.fromstring(system.get("/feeds/rss.xml").content)
    return [guid.text or "" for guid in root.iter("guid")]


def _ticker(system: RunningSystem) -> list[int]:
    response = system.get("/ticker.json")
    return [] if response.status_code == 404 else [e["id"] for e in response.json()]


def _succeeded(jobs: JobStore, name: str) -> None:
    wait_until(
        lambda: any(r.outcome.value == "succeeded" for r in jobs.history(name)), 60, f"{name} run"
    )


def test_republish_moves_an_article_to_the_top_at_the_same_url_and_guid(
    system: RunningSystem, jobs: JobStore
) -> None:
    # Given two live articles, the second newer
    first = system.submit(
        SEED_ARTICLE | {"external_id": "first", "title": "الخبر الأول في القائمة"}
    )
    system.wait_for(first["id"], "live")
    second = system.submit(SEED_ARTICLE | {"external_id": "second", "title": "الخبر الثاني الأحدث"})
    system.wait_for(second["id"], "live")
    wait_until(lambda: _ticker(system)[:2] == [second["id"], first["id"]], 30, "both on the ticker")
    guids = _rss_guids(system)
    before = dict(_atom(system))
    # When a job republishes the first
    jobs.add("bump-first", Schedule(3600), JobAction(Action.REPUBLISH, str(first["id"])))
    _succeeded(jobs, "bump-first")
    # Then it leads the feeds and the ticker, with its GUID unchanged and a newer updated time
    wait_until(lambda: _ticker(system)[:2] == [first["id"], second["id"]], 30, "first on top")
    assert _rss_guids(system) == [guids[1], guids[0], *guids[2:]]
    after = dict(_atom(system))
    first_id = next(i for i in after if i.endswith(f"/news/{first['id']}.html"))
    assert after[first_id] > before[first_id]
    assert _atom(system)[0][0] == first_id
    page = system.get(f"/news/{first['id']}.json").json()
    assert page["id"] == first["id"]


def test_expire_ticker_drops_headlines_older_than_its_hours(
    system: RunningSystem, jobs: JobStore
) -> None:
    assert _ticker(system)
    # an hour's ten-thousandth: every headline here is older than that
    jobs.add("short-ticker", Schedule(3600), JobAction(Action.EXPIRE_TICKER, "0.0001"))
    _succeeded(jobs, "short-ticker")
    wait_until(lambda: _ticker(system) == [], 30, "an empty ticker")
    assert len(_rss_guids(system)) >= 2  # the feeds keep them
    # When the job is removed, the headlines come back with the next rebuild
    jobs.remove("short-ticker")
    jobs.add("site", Schedule(3600), JobAction(Action.REBUILD_SITE))
    _succeeded(jobs, "site")
    wait_until(lambda: len(_ticker(system)) >= 2, 30, "the ticker back")
