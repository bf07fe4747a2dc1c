"""The whole chain on each backend: the seed article from POST /articles to page, feeds, ticker."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pipeline.domain.models import Submission
from pipeline.domain.states import Step
from tests.services import wait_until
from tests.system import BACKENDS, SEED_ARTICLE, RunningSystem, running_system, served_paths

pytestmark = pytest.mark.integration

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module", params=BACKENDS)
def system(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningSystem]:
    data_dir = tmp_path_factory.mktemp(f"nashr-{request.param}")
    with running_system(data_dir, request.param) as running:
        yield running


def _rss_guids(system: RunningSystem) -> list[str]:
    root = ET.fromstring(system.get("/feeds/rss.xml").content)
    return [guid.text or "" for guid in root.iter("guid")]


def _atom_ids(system: RunningSystem) -> list[str]:
    root = ET.fromstring(system.get("/feeds/atom.xml").content)
    return [entry.findtext(f"{ATOM}id") or "" for entry in root.iter(f"{ATOM}entry")]


def _ticker_ids(system: RunningSystem) -> list[int]:
    response = system.get("/ticker.json")
    if response.status_code == 404:  # no article has gone live yet
        return []
    return [entry["id"] for entry in response.json()]


def test_seed_article_reaches_page_feeds_and_ticker(system: RunningSystem) -> None:
    # Given the seed article, When an editor submits it
    accepted = system.submit(SEED_ARTICLE)
    assert accepted["status"] == "received" and accepted["version"] == 1

    # Then it goes live
    status = system.wait_for(accepted["id"], "live")
    assert [s["step"] for s in status["steps"] if s["state"] == "done"][-5:] == [
        "validate", "enrich", "source", "publish", "ticker",
    ]  # fmt: skip

    # And its page is an RTL Arabic page with its paragraphs, tags and source link
    page = system.get(status["urls"]["page"])
    assert page.status_code == 200
    html = page.text
    assert '<html dir="rtl" lang="ar"' in html
    assert SEED_ARTICLE["title"] in html
    assert html.count("<p") >= 7
    assert "انقر هنا لقراءة الخبر من مصدره" in html
    assert 'rel="nofollow noopener"' in html
    assert "utm_source" not in html
    assert "/tags/" in html

    document = system.get(status["urls"]["json"]).json()
    assert document["version"] == 1 and len(document["paragraphs"]) == 7
    assert document["source"]["url"] == "https://news.example/souss-delegation-belgium-france"
    assert len(document["tags"]) >= 3

    # And it is in both feeds and on the ticker, once
    page_url = f"http://testserver{status['urls']['page']}"
    assert _rss_guids(system).count(page_url) == 1
    assert sum(1 for i in _atom_ids(system) if i.endswith(f"/news/{accepted['id']}.html")) == 1
    assert _ticker_ids(system).count(accepted["id"]) == 1
    assert SEED_ARTICLE["title"] in system.get("/").text


def test_resubmission_makes_a_new_version_not_a_new_article(system: RunningSystem) -> None:
    external_id = f"seed-{system.settings.queue_prefix}"
    first = system.submit(SEED_ARTICLE | {"external_id": external_id})
    system.wait_for(first["id"], "live", version=1)

    # When the editor sends the same external_id with a corrected title
    corrected = SEED_ARTICLE | {"external_id": external_id, "title": "وفد جهة سوس ماسة في بلجيكا"}
    second = system.submit(corrected)

    # Then it is version 2 of the same article, and readers see version 2 only, once
    assert second["id"] == first["id"] and second["version"] == 2
    status = system.wait_for(first["id"], "live", version=2)
    page = system.get(status["urls"]["page"]).text
    assert "وفد جهة سوس ماسة في بلجيكا" in page
    assert system.get(status["urls"]["json"]).json()["version"] == 2
    page_url = f"http://testserver/news/{first['id']}.html"
    assert _rss_guids(system).count(page_url) == 1
    assert sum(1 for i in _atom_ids(system) if i.endswith(f"/news/{first['id']}.html")) == 1
    assert _ticker_ids(system).count(first["id"]) == 1
    headlines = [entry["headline"] for entry in system.get("/ticker.json").json()]
    assert SEED_ARTICLE["title"] not in headlines or headlines.count(SEED_ARTICLE["title"]) == 1


def test_rejected_article_lists_every_reason_and_publishes_nothing(system: RunningSystem) -> None:
    bad = SEED_ARTICLE | {"title": "   ", "body": "\n\n \n", "source_url": "ftp://news.example/x"}
    accepted = system.submit(bad)
    status = system.wait_for(accepted["id"], "rejected")
    reasons = " ".join(status["reasons"])
    assert "title" in reasons and "body" in reasons and "source_url" in reasons
    assert system.get(status["urls"]["page"]).status_code == 404
    assert accepted["id"] not in _ticker_ids(system)


def test_a_message_delivered_twice_changes_nothing(system: RunningSystem) -> None:
    accepted = system.submit(SEED_ARTICLE | {"title": "خبر يصل مرتين إلى العمال"})
    status = system.wait_for(accepted["id"], "live")
    dispatcher = system.client.app.state.dispatcher  # type: ignore[attr-defined]

    # When every step's message arrives again, long after the first delivery
    for step in Step:
        dispatcher.send(step, accepted["id"], 1)
    marker = system.submit(SEED_ARTICLE | {"title": "خبر بعد الرسائل المكررة"})
    system.wait_for(marker["id"], "live")

    # Then the article is still live once, with the same step history
    again = system.status(accepted["id"])
    assert again["status"] == "live"
    assert len([s for s in again["steps"] if s["state"] == "done"]) == len(
        [s for s in status["steps"] if s["state"] == "done"]
    )
    assert _ticker_ids(system).count(accepted["id"]) == 1
    assert _rss_guids(system).count(f"http://testserver/news/{accepted['id']}.html") == 1


def test_stale_version_never_overwrites_a_newer_one(system: RunningSystem) -> None:
    external_id = f"stale-{system.settings.queue_prefix}"
    first = system.submit(SEED_ARTICLE | {"external_id": external_id, "title": "النسخة الأولى"})
    system.wait_for(first["id"], "live", version=1)
    system.submit(SEED_ARTICLE | {"external_id": external_id, "title": "النسخة الثانية"})
    status = system.wait_for(first["id"], "live", version=2)

    # When version 1's publish message turns up late
    dispatcher = system.client.app.state.dispatcher  # type: ignore[attr-defined]
    dispatcher.send(Step.PUBLISH, first["id"], 1)
    dispatcher.send(Step.TICKER, first["id"], 1)
    marker = system.submit(SEED_ARTICLE | {"title": "خبر بعد رسالة متأخرة"})
    system.wait_for(marker["id"], "live")

    # Then the page still shows version 2
    assert "النسخة الثانية" in system.get(status["urls"]["page"]).text
    assert "النسخة الأولى" not in system.get(status["urls"]["page"]).text


@pytest.mark.parametrize("backend", ["embedded", "postgres-rabbitmq"])
def test_submission_while_the_broker_is_down_is_published_when_it_is_back(
    tmp_path: Path, backend: str
) -> None:
    # Given an API whose broker cannot be reached (nothing listens on port 9)
    dead_broker = "amqp://guest:guest@127.0.0.1:9//"
    with running_system(tmp_path, backend, api_broker_url=dead_broker) as system:
        # When an editor submits, the ingest still answers 202
        accepted = system.submit(SEED_ARTICLE)
        # Then the sweeper finds the outbox row and the article is published
        status = system.wait_for(accepted["id"], "live", timeout=120)
        assert system.get(status["urls"]["page"]).status_code == 200
        assert json.loads(system.get("/ticker.json").text)[0]["id"] == accepted["id"]


def test_a_lost_message_is_sent_again_by_the_sweeper(system: RunningSystem) -> None:
    # Given a version whose first message the broker lost: stored, marked sent, never delivered
    accepted = system.store.accept(
        Submission.model_validate(SEED_ARTICLE | {"title": "رسالة ضاعت"})
    )
    system.store.mark_dispatched([accepted.outbox_id])

    # Then the sweeper finds it stuck in `received` and the article still goes live
    status = system.wait_for(accepted.id, "live", timeout=120)
    assert system.get(status["urls"]["page"]).status_code == 200
    assert _ticker_ids(system).count(accepted.id) == 1


def test_on_redis_kombu_keeps_its_own_keys_under_the_queue_prefix(system: RunningSystem) -> None:
    if not system.settings.broker.startswith("redis"):
        pytest.skip("Redis only: other brokers keep no keys of their own")
    import redis

    # Given a deployment with a queue prefix that has run an article through the chain
    system.wait_for(
        system.submit({**SEED_ARTICLE, "title": "مقال لفحص مفاتيح Redis"})["id"], "live"
    )

    # Then kombu's bindings are under the prefix, so another deployment in the same db and
    # the cleanup after it never touch them
    client = redis.Redis.from_url(system.settings.broker)
    try:
        bindings = [key.decode() for key in client.scan_iter("*_kombu.binding.*")]
    finally:
        client.close()
    ours = [key for key in bindings if system.settings.queue_prefix in key]
    assert ours
    assert all(key.startswith(f"{system.settings.queue_prefix}:") for key in ours), ours


def test_an_image_readers_report_enough_is_hidden_without_an_editor(system: RunningSystem) -> None:
    # Given a live article with two images
    images = [
        {"url": "https://news.example/img/report-a.jpg", "caption": "أ"},
        {"url": "https://news.example/img/report-b.jpg", "caption": "ب"},
    ]
    payload = {**SEED_ARTICLE, "title": "مقال بصورتين للإبلاغ", "images": images}
    status = system.wait_for(system.submit(payload)["id"], "live")
    page_path, json_path = status["urls"]["page"], status["urls"]["json"]
    assert "report-a.jpg" in system.get(page_path).text

    # When as many readers as the threshold report the first one (one of them twice)
    threshold = system.settings.image_report_threshold
    url = f"/articles/{status['id']}/images/0/reports"
    for n in [*range(threshold), 0]:
        reader = TestClient(system.client.app, client=(f"198.51.100.{n + 1}", 50000))
        assert reader.post(url).status_code == 202

    # Then the sweeper republishes the article without it: page, JSON and feed
    def hidden_everywhere() -> bool:
        page, data = system.get(page_path).text, system.get(json_path).json()
        feed = system.get("/feeds/rss.xml").text
        return (
            "report-a.jpg" not in page + json.dumps(data) + feed
            and "report-b.jpg" in page
            and [image["url"] for image in data["images"]] == [images[1]["url"]]
        )

    wait_until(lambda: hidden_everywhere() or None, 60, "the reported image to be hidden")
    reports = system.status(status["id"])["image_reports"]
    assert reports == [{"index": 0, "count": threshold, "over_threshold": True, "hidden": True}]


def test_an_editor_takes_an_article_down_and_can_publish_it_again(system: RunningSystem) -> None:
    # Given a live article
    external_id = f"takedown-{system.settings.queue_prefix}"
    payload = SEED_ARTICLE | {"external_id": external_id, "title": "خبر سيسحب ثم يعاد نشره"}
    first = system.submit(payload)
    status = system.wait_for(first["id"], "live")
    page_url = f"http://testserver/news/{first['id']}.html"
    assert page_url in _rss_guids(system) and first["id"] in _ticker_ids(system)

    # When an editor takes it down
    response = system.client.post(f"/articles/{first['id']}/unpublish", headers=system.auth)
    assert response.status_code == 202, response.text
    assert response.json() == {"id": first["id"], "status": "unpublished", "versions_taken_down": 1}

    # Then within a sweep its page is gone and no feed or ticker holds it
    def gone() -> bool:
        return (
            system.get(status["urls"]["page"]).status_code == 410
            and page_url not in _rss_guids(system)
            and not any(i.endswith(f"/news/{first['id']}.html") for i in _atom_ids(system))
            and first["id"] not in _ticker_ids(system)
        )

    wait_until(lambda: gone() or None, 60, "the article to leave every view")
    assert system.status(first["id"])["status"] == "unpublished"

    # And a new version from the editor publishes it again, once
    second = system.submit(payload | {"title": "خبر أعيد نشره بعد تصحيحه"})
    assert second["id"] == first["id"]
    system.wait_for(first["id"], "live", version=second["version"])
    assert "خبر أعيد نشره بعد تصحيحه" in system.get(status["urls"]["page"]).text
    assert _rss_guids(system).count(page_url) == 1


def test_a_takedown_leaves_no_served_output_carrying_the_article(system: RunningSystem) -> None:
    # Given an early article, then several more published while it was live (their pages were
    # written while its headline was on the ticker)
    headline = f"خبر يسحب بأمر قضائي {system.settings.queue_prefix}"
    early = system.submit(SEED_ARTICLE | {"title": headline})
    system.wait_for(early["id"], "live")
    later = [
        system.submit(SEED_ARTICLE | {"title": f"خبر نشر بعده {n} {system.settings.queue_prefix}"})
        for n in range(3)
    ]
    for accepted in later:
        system.wait_for(accepted["id"], "live")
    assert headline in system.get(f"/news/{later[-1]['id']}.html").text  # on its ticker

    # When the early one is taken down
    response = system.client.post(f"/articles/{early['id']}/unpublish", headers=system.auth)
    assert response.status_code == 202, response.text

    # Then within a sweep no served output carries its headline or its link: no page, no
    # listing, no feed, no ticker inside another page
    link = f"/news/{early['id']}."

    def carriers() -> list[str]:
        found = []
        for path in served_paths(system):
            body = system.get(path).text
            if headline in body or link in body:
                found.append(path)
        return found

    wait_until(lambda: not carriers() or None, 60, "no output to carry the taken-down article")
    gone = system.get(f"/news/{early['id']}.html")
    assert gone.status_code == 410 and "لم يعد هذا الخبر متاحا" in gone.text
    assert gone.headers["content-type"] == "text/html; charset=utf-8"
    scanned = set(served_paths(system))
    assert {"/robots.txt", "/sitemap.xml", "/news-sitemap.xml", "/sitemaps/listings.xml"} <= scanned
    assert {"/sections/politics.html", "/feeds/sections/politics.json"} <= scanned
    assert any(path.startswith("/sitemaps/20") for path in scanned)
    assert any(f"/news/{a['id']}.html" in served_paths(system) for a in later)


def test_an_embargoed_article_appears_at_its_time_and_not_before(system: RunningSystem) -> None:
    # Given an article embargoed until a few seconds from now (given in Rabat's offset)
    rabat = timezone(timedelta(hours=1))
    publish_at = datetime.now(rabat) + timedelta(seconds=8)
    payload = SEED_ARTICLE | {"title": "خبر محجوز حتى موعده", "publish_at": publish_at.isoformat()}
    article_id = system.submit(payload)["id"]

    # When the chain has run as far as it may
    held = system.wait_for(article_id, "scheduled", timeout=60)

    # Then it waits in `scheduled`, with its time, and no view shows it
    assert abs(datetime.fromisoformat(held["publish_at"]) - publish_at) < timedelta(seconds=1)
    assert system.get(f"/news/{article_id}.html").status_code == 404
    assert f"/news/{article_id}.html" not in system.get("/feeds/rss.xml").text
    assert article_id not in _ticker_ids(system)

    # And at its time the sweeper sends it on, and it goes live once
    live = system.wait_for(article_id, "live", timeout=90)
    assert datetime.now(rabat) >= publish_at
    assert live["publish_at"] is None
    assert [s["state"] for s in live["steps"] if s["step"] == "schedule"] == ["released"]
    assert _rss_guids(system).count(f"http://testserver/news/{article_id}.html") == 1
