"""POST /articles/{id}/images/{n}/reports: public, rate-limited per client address, and able to
write its own counter and nothing else, whatever the path says."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ingest.ratelimit import SlidingWindowLimiter
from pipeline.domain.models import PublishedArticle, SiteInfo, Submission
from pipeline.domain.source import attach_source
from pipeline.domain.states import Status, Step
from pipeline.domain.validate import validate
from pipeline.render.pages import render_article_json, render_article_page
from pipeline.services.publishing import Publisher
from pipeline.services.runtime import Services
from pipeline.store import ArticleStore
from pipeline.store.publishing import PublishStore
from pipeline.store.reports import ImageReports, ReportStore
from tests.api import Api, serving_api
from tests.security.inert import parse_document, script_texts
from tests.security.pure import SITE
from tests.security.xss import BASE

pytestmark = pytest.mark.integration

RATE = 5


def make_live(api: Api, payload: dict[str, Any]) -> int:
    return make_live_in(api.app.state.articles, payload)


def live(api: Api, article_id: int) -> PublishedArticle:
    """The live version as readers get it, with the images they have had hidden."""
    services: Services = api.app.state.services
    found = services.publisher.live_article(article_id)
    assert found is not None
    return found[1]


def make_live_in(store: ArticleStore, payload: dict[str, Any]) -> int:
    """Take a submission to `published` through the store and the publisher, as the steps
    would, without a worker: its page is served from then on."""
    submission = Submission.model_validate(payload)
    accepted = store.accept(submission)
    clean = validate(submission)
    key = (accepted.id, accepted.version)
    assert store.advance(
        *key, Step.VALIDATE, Status.VALIDATED, content=clean.model_dump(mode="json")
    )
    assert store.advance(*key, Step.ENRICH, Status.ENRICHED, tags=[])
    source = attach_source(clean).model_dump(mode="json")
    assert store.advance(*key, Step.SOURCE, Status.SOURCED, source=source)
    record = store.load(*key)
    assert record is not None
    assert Publisher(PublishStore(store.engine), SiteInfo()).publish(record)
    return int(accepted.id)


def reports_path(article_id: object, index: object) -> str:
    return f"/articles/{article_id}/images/{index}/reports"


def from_address(api: Api, address: str) -> TestClient:
    """A client that the API sees at `address`: the limiter keys on it."""
    return TestClient(api.app, raise_server_exceptions=False, client=(address, 40000))


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    with serving_api(tmp_path, report_rate=RATE) as running:
        yield running


TWO_IMAGES = BASE | {
    "images": [
        {"url": "https://news.example/img/a.jpg", "caption": "الأولى"},
        {"url": "https://news.example/img/b.jpg", "caption": "الثانية"},
    ]
}


def test_a_reader_reports_an_image_without_a_token(api: Api) -> None:
    article_id = make_live(api, TWO_IMAGES)
    reader = from_address(api, "198.51.100.7")

    response = reader.post(reports_path(article_id, 1))

    assert response.status_code == 202, response.text
    assert response.json() == {"article_id": article_id, "image_index": 1, "status": "received"}
    assert ReportStore(api.engine).counts(article_id) == {1: 1}


def test_reports_count_and_editors_see_them_against_the_threshold(api: Api) -> None:
    # Given a live article and readers at different addresses
    article_id = make_live(api, TWO_IMAGES)
    threshold = api.settings.image_report_threshold

    # When enough of them report the first image, and one reports the second
    for n in range(threshold):
        assert from_address(api, f"192.0.2.{n}").post(reports_path(article_id, 0)).is_success
    assert from_address(api, "192.0.2.200").post(reports_path(article_id, 1)).is_success

    # Then the editors' status shows both counts and which image reached the threshold
    status = api.client.get(f"/articles/{article_id}", headers=api.editor).json()
    assert status["image_reports"] == [
        {"index": 0, "count": threshold, "over_threshold": True, "hidden": True},
        {"index": 1, "count": 1, "over_threshold": False, "hidden": False},
    ]


def test_the_page_button_and_script_reach_the_endpoint(api: Api) -> None:
    """Do what the page's script does with each report button: POST to the URL it builds."""
    article_id = make_live(api, TWO_IMAGES)
    article = live(api, article_id)
    page = render_article_page(article, SITE)
    script = next(s for s in script_texts(parse_document(page)) if "/reports" in s)
    assert '"/articles/" + button.dataset.articleId + "/images/"' in script
    assert 'method: "POST"' in script
    buttons = [
        element.attrib
        for element in parse_document(page).iter("button")
        if "report-image" in element.get("class", "")
    ]
    assert len(buttons) == 2
    for button in buttons:
        url = reports_path(button["data-article-id"], button["data-image-index"])
        assert from_address(api, "198.51.100.1").post(url).status_code == 202
    # A GET (a link, a prefetch, a crawler) reports nothing: it falls through to the site, 404
    assert api.client.get(reports_path(article_id, 0)).status_code == 404
    assert ReportStore(api.engine).counts(article_id) == {0: 1, 1: 1}


def test_one_client_is_limited_and_others_are_not(api: Api) -> None:
    article_id = make_live(api, TWO_IMAGES)
    flooder = from_address(api, "203.0.113.9")

    answers = [flooder.post(reports_path(article_id, 0)) for _ in range(RATE + 3)]

    assert [a.status_code for a in answers] == [202] * RATE + [429] * 3
    refused = answers[-1]
    assert refused.headers["content-type"].startswith("application/json")
    assert refused.json()["detail"][0]["reason"]
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert ReportStore(api.engine).counts(article_id) == {0: 1}  # one reader, one report
    # Another reader is not held back by the flooder
    assert from_address(api, "203.0.113.10").post(reports_path(article_id, 0)).status_code == 202


def test_refused_and_unknown_reports_count_against_the_limit(api: Api) -> None:
    """Probing for ids costs the same budget as reporting: no free enumeration."""
    prober = from_address(api, "203.0.113.20")
    answers = [prober.post(reports_path(10_000 + n, 0)).status_code for n in range(RATE + 1)]
    assert answers == [404] * RATE + [429]


@pytest.mark.parametrize(
    ("article", "index"),
    [
        pytest.param("live", 2, id="index-past-the-end"),
        pytest.param("live", 20, id="index-at-max-images"),
        pytest.param("live", -1, id="negative-index"),
        pytest.param("live", 2**31, id="huge-index"),
        pytest.param("unknown", 0, id="unknown-article"),
        pytest.param(0, 0, id="article-zero"),
        pytest.param(-1, 0, id="negative-article"),
        pytest.param("9" * 30, 0, id="article-past-int64"),
        pytest.param("not-live", 0, id="article-not-published"),
        pytest.param("no-images", 0, id="article-without-images"),
    ],
)
def test_an_image_no_reader_can_see_is_404(api: Api, article: object, index: int) -> None:
    live = make_live(api, TWO_IMAGES)
    ids = {
        "live": live,
        "unknown": live + 1000,
        "not-live": api.app.state.articles.accept(Submission.model_validate(TWO_IMAGES)).id,
        "no-images": make_live(api, BASE | {"images": []}),
    }
    before = api.snapshot()
    response = api.client.post(reports_path(ids.get(article, article), index))  # type: ignore[call-overload]
    assert response.status_code == 404, response.text
    assert response.json()["detail"][0]["field"] == "image"
    assert api.snapshot() == before
    assert ReportStore(api.engine).counts(live) == {}


@pytest.mark.parametrize(
    "path",
    [
        "/articles/abc/images/0/reports",
        "/articles/1.5/images/0/reports",
        "/articles/1e3/images/0/reports",
        "/articles/0x1/images/0/reports",
        "/articles/%00/images/0/reports",
        "/articles/1%00/images/0/reports",
        "/articles/1;DROP%20TABLE%20articles/images/0/reports",
        "/articles/1'%20OR%20'1'='1/images/0/reports",
        "/articles/..%2F..%2Fnashr.sqlite/images/0/reports",
        "/articles/1/images/..%2F0/reports",
        "/articles/1/images/%2e%2e/reports",
        "/articles/1/images/0x0/reports",
        "/articles/1/images/%20/reports",
        "/articles/1/images/١/reports",
        "/articles/" + "9" * 5000 + "/images/0/reports",
        "/articles/1/images/" + "1" * 5000 + "/reports",
        "/articles/%F0%9F%98%80/images/0/reports",
        "/articles/<script>/images/0/reports",
    ],
)
def test_hostile_path_parameters_write_nothing_and_never_5xx(api: Api, path: str) -> None:
    live = make_live(api, TWO_IMAGES)
    before = api.snapshot()
    response = api.client.post(path)
    assert response.status_code in (404, 405, 422), response.text
    assert response.headers["content-type"].startswith("application/json")
    detail = response.json()["detail"]
    assert detail and all(p["field"] and p["reason"] for p in detail)
    assert "<script>" not in response.text
    assert api.snapshot() == before
    assert ReportStore(api.engine).counts(live) == {}


def test_a_report_writes_its_counter_and_nothing_else(api: Api) -> None:
    # Given a live article, every row of every table, and every file in the data dir
    article_id = make_live(api, TWO_IMAGES)
    data_dir = api.settings.data_dir

    def files() -> dict[str, int]:
        # the SQLite database itself changes; its tables are compared row by row instead
        return {
            str(p.relative_to(data_dir)): p.stat().st_mtime_ns
            for p in data_dir.rglob("*")
            if p.is_file() and not p.name.startswith("nashr.sqlite")
        }

    rows, on_disk = api.snapshot(), files()

    # When readers report, with bodies, query strings and headers the endpoint does not read
    reader = from_address(api, "198.51.100.50")
    assert reader.post(reports_path(article_id, 0), json={"count": 10**6}).status_code == 202
    assert reader.post(reports_path(article_id, 1) + "?count=999&status=live").status_code == 202
    assert (
        reader.post(reports_path(article_id, 0), headers={"Authorization": "Bearer x"}).status_code
        == 202
    )

    # Then only the counters moved: no article, version, outbox row, event or file changed
    assert api.snapshot() == rows
    assert files() == on_disk
    assert ReportStore(api.engine).counts(article_id) == {0: 1, 1: 1}


def test_the_limiter_slides_and_forgets_the_least_recent_client() -> None:
    now = [1000.0]
    limiter = SlidingWindowLimiter(2, window_seconds=60, clock=lambda: now[0], max_clients=3)
    assert [limiter.allow("a") for _ in range(3)][:2] == [0.0, 0.0]
    now[0] += 30
    assert limiter.allow("a") == pytest.approx(30)
    now[0] += 30.5
    assert limiter.allow("a") == 0.0  # the first two have left the window
    for client in ("b", "c", "d"):
        limiter.allow(client)
    assert "a" not in limiter._events and len(limiter._events) == 3


def test_a_reader_who_reports_again_is_counted_once(api: Api) -> None:
    article_id = make_live(api, TWO_IMAGES)
    reader = from_address(api, "198.51.100.60")

    first = reader.post(reports_path(article_id, 0))
    again = reader.post(reports_path(article_id, 0))

    assert first.json()["status"] == "received"
    assert again.status_code == 202  # the page's notice reads the same either way
    assert again.json()["status"] == "already_received"
    assert ReportStore(api.engine).counts(article_id) == {0: 1}
    # and no table holds the reader's address
    assert "198.51.100.60" not in repr(api.snapshot()) + repr(_report_rows(api))


def _report_rows(api: Api) -> list[tuple[object, ...]]:
    from sqlalchemy import select

    from pipeline.store.reports import image_report_readers

    with api.engine.connect() as db:
        return [tuple(row) for row in db.execute(select(image_report_readers))]


def test_at_the_threshold_the_image_is_hidden_from_every_view(api: Api) -> None:
    # Given a live article with two images, shown to readers
    article_id = make_live(api, TWO_IMAGES)
    threshold = api.settings.image_report_threshold
    reports = ReportStore(api.engine)

    # When one reader short of the threshold report the first image, nothing is hidden
    for n in range(threshold - 1):
        assert from_address(api, f"192.0.2.{n}").post(reports_path(article_id, 0)).is_success
    assert reports.due_for_republish(10) == []
    assert [image.hidden for image in live(api, article_id).images] == [False, False]

    # And when the last one does, the image is hidden and due for a republish, once
    assert from_address(api, "192.0.2.99").post(reports_path(article_id, 0)).is_success
    assert from_address(api, "192.0.2.98").post(reports_path(article_id, 0)).is_success
    assert reports.due_for_republish(10) == [(article_id, 0)]
    article = live(api, article_id)
    assert [image.hidden for image in article.images] == [True, False]

    # Then the page and the JSON leave it out; the other image keeps its own index
    page = render_article_page(article, SITE)
    assert "img/a.jpg" not in page and "img/b.jpg" in page
    assert 'data-image-index="1"' in page and 'data-image-index="0"' not in page
    data = json.loads(render_article_json(article, SITE))
    assert [image["url"] for image in data["images"]] == ["https://news.example/img/b.jpg"]

    # And once republished it is no longer due, while a later hide is
    reports.republished([(article_id, 0)])
    assert reports.due_for_republish(10) == []
    for n in range(threshold):
        assert from_address(api, f"192.0.2.{50 + n}").post(reports_path(article_id, 1)).is_success
    assert reports.due_for_republish(10) == [(article_id, 1)]


def test_a_new_version_with_another_image_in_that_place_shows_it(api: Api) -> None:
    # Given an article whose first image readers have hidden
    first = TWO_IMAGES | {"external_id": "image-swap"}
    article_id = make_live(api, first)
    threshold = api.settings.image_report_threshold
    for n in range(threshold):
        assert from_address(api, f"192.0.2.{n}").post(reports_path(article_id, 0)).is_success
    assert [image.hidden for image in live(api, article_id).images] == [True, False]

    # When the editor publishes a version with another image in its place
    replaced = {"url": "https://news.example/img/replaced.jpg", "caption": "بديلة"}
    second = first | {"images": [replaced, first["images"][1]]}
    assert make_live(api, second) == article_id

    # Then the new image is shown, and reports about it start from nothing
    assert [image.hidden for image in live(api, article_id).images] == [False, False]
    assert from_address(api, "192.0.2.0").post(reports_path(article_id, 0)).json() == {
        "article_id": article_id,
        "image_index": 0,
        "status": "received",
    }
    assert ReportStore(api.engine).summary(article_id)[0] == ImageReports(count=1, hidden=False)


def test_ipv6_addresses_in_one_64_are_one_reader(api: Api) -> None:
    # Given a live article, and one subscriber's /64 with many addresses in it
    article_id = make_live(api, TWO_IMAGES)
    first = from_address(api, "2001:db8:7:1::10")
    again = from_address(api, "2001:db8:7:1:abcd::99")

    # When two addresses of that /64 report the same image
    assert first.post(reports_path(article_id, 0)).json()["status"] == "received"

    # Then the second counts for nothing, and the reader's rate budget is shared
    assert again.post(reports_path(article_id, 0)).json()["status"] == "already_received"
    assert ReportStore(api.engine).summary(article_id)[0].count == 1
    for _ in range(RATE - 2):
        assert again.post(reports_path(article_id, 1)).status_code == 202
    assert first.post(reports_path(article_id, 1)).status_code == 429

    # And another /64 is another reader
    other = from_address(api, "2001:db8:7:2::10")
    assert other.post(reports_path(article_id, 0)).json()["status"] == "received"


def test_the_tables_hold_no_address_nor_its_plain_hash(api: Api) -> None:
    import hashlib

    article_id = make_live(api, TWO_IMAGES)
    address = "198.51.100.77"
    assert from_address(api, address).post(reports_path(article_id, 0)).status_code == 202
    plain = hashlib.sha256(f"nashr-image-report:{address}".encode()).hexdigest()[:32]
    stored = {str(row[2]) for row in _report_rows(api)}
    assert stored and plain not in stored and not any(address in key for key in stored)
