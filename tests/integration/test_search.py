"""Search on the real databases (SQLite FTS5 and PostgreSQL tsvector): what the publish
transaction indexes, what a takedown or a new version removes, ranking, phrases, filters,
pages, and the routes' answers to hostile queries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from pipeline.domain.models import CleanArticle, Section, SourceLink, Submission, Tag
from pipeline.domain.search import PAGE_SIZE, SearchDocument, SearchFilters
from pipeline.domain.states import Status, Step
from pipeline.enrich.arabic import slugify
from pipeline.services.search import search_analyser
from pipeline.store.database import transaction
from pipeline.store.schema import search_documents
from pipeline.store.search import index_document
from tests.api import Api, serving_api

pytestmark = pytest.mark.integration

MOROCCO = Tag(label="المغرب", slug="المغرب", kind="place")


@pytest.fixture(params=["sqlite", "postgres"])
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    with serving_api(tmp_path, request.param, search_rate=10_000) as running:
        yield running


def publish(
    api: Api,
    title: str,
    paragraphs: list[str],
    *,
    external_id: str | None = None,
    section: str = "economy",
    tags: list[Tag] | None = None,
) -> int:
    """An article taken through the real compare-and-set moves and the real publisher."""
    services = api.app.state.services
    submission = Submission(
        title=title,
        body="\n\n".join(paragraphs),
        source_url="https://news.example/a",
        source_name="مصدر",
        external_id=external_id,
    )
    accepted = services.articles.accept(submission)
    clean = CleanArticle(
        title=title,
        paragraphs=[f"<p>{p}</p>" for p in paragraphs],
        source_url=submission.source_url,
        source_name="مصدر",
    )
    link = SourceLink(url=submission.source_url, name="مصدر")
    enriched = {
        "tags": [t.model_dump(mode="json") for t in tags or [MOROCCO]],
        "section": Section(name=section, confidence=0.9).model_dump(mode="json"),  # type: ignore[arg-type]
    }
    steps: list[tuple[Step, Status, dict[str, Any]]] = [
        (Step.VALIDATE, Status.VALIDATED, {"content": clean.model_dump(mode="json")}),
        (Step.ENRICH, Status.ENRICHED, enriched),
        (Step.SOURCE, Status.SOURCED, {"source": link.model_dump(mode="json")}),
    ]
    for step, target, fields in steps:
        assert services.articles.advance(accepted.id, accepted.version, step, target, **fields)
    record = services.articles.load(accepted.id, accepted.version)
    assert record is not None and services.publisher.publish(record)
    return int(accepted.id)


def ids(api: Api, query: str, **params: Any) -> list[int]:
    response = api.client.get("/search.json", params={"q": query, **params})
    assert response.status_code == 200, response.text
    return [result["id"] for result in response.json()["results"]]


INVEST = "الاستثمارات الأجنبية تتدفق على مُراكش"
INVEST_BODY = ["قال الوزير إن وفدا من إيران زار بلجيكا وفرنسا لبحث الاستثمار في الطاقة."]


def test_every_spelling_finds_the_published_article(api: Api) -> None:
    # Given one live article and one on another subject
    article = publish(api, INVEST, INVEST_BODY)
    other = publish(api, "فوز الرجاء في الدوري", ["سجل المهاجم هدفين في المباراة."])

    # Then every spelling of its words finds it, and only it
    for query in ("الاستثمارات", "استثمار", "وبلجيكا", "بلجيكا", "إيران", "ايران", "مُراكش",
                  "مراكش", "\u202bمراكش\u202c"):  # fmt: skip
        assert ids(api, query) == [article], query
    assert ids(api, "الدوري") == [other]
    assert ids(api, "الطاقة الدوري") == []


def test_a_result_carries_its_fields_and_a_marked_escaped_snippet(api: Api) -> None:
    article = publish(api, INVEST, ["<b>تنبيه</b> & زار وفد من إيران مراكش."])
    answer = api.client.get("/search.json", params={"q": "ايران"}).json()
    assert answer["query"] == "ايران" and answer["total"] == 1
    (result,) = answer["results"]
    assert set(result) == {"id", "title", "url", "published_at", "section", "snippet"}
    assert result["id"] == article and result["title"] == INVEST
    assert result["url"].endswith(f"/news/{article}.html") and result["section"] == "economy"
    assert "<mark>إيران</mark>" in result["snippet"]
    assert "<b>" not in result["snippet"] and "&amp;" in result["snippet"]


def test_relevance_first_then_the_newest(api: Api) -> None:
    once = publish(api, "خبر عن الاقتصاد", ["ذكر التقرير مراكش مرة واحدة بين مدن كثيرة."])
    often = publish(api, "مراكش مراكش", ["مراكش تستقبل الزوار، ومراكش مدينة حمراء."])
    older = publish(api, "خبر أول عن طنجة", ["طنجة مدينة على البحر."])
    newer = publish(api, "خبر ثان عن طنجة", ["طنجة مدينة على البحر."])
    with api.engine.begin() as db:
        db.execute(
            update(search_documents)
            .where(search_documents.c.article_id == older)
            .values(published_at=datetime(2020, 1, 1))
        )
    assert ids(api, "مراكش") == [often, once]
    assert ids(api, "طنجة البحر") == [newer, older]


def test_a_quoted_phrase_matches_only_in_order(api: Api) -> None:
    together = publish(api, "الرواية العراقية تفوز", ["فازت الرواية العراقية بالجائزة."])
    apart = publish(api, "رواية جديدة", ["كتب العراقية الأولى رواية عن الحرب."])
    assert sorted(ids(api, "الرواية العراقية")) == sorted([together, apart])
    assert ids(api, '"الرواية العراقية"') == [together]
    assert ids(api, "«الرواية العراقية»") == [together]
    with_stop = publish(api, "بيان وزير من الداخلية", ["أصدر وزير من الداخلية بيانا."])
    assert ids(api, '"وزير من الداخلية"') == [with_stop]


def test_filters_section_tag_and_dates(api: Api) -> None:
    economy = publish(api, "ميناء طنجة يتوسع", ["توسع الميناء."], section="economy")
    sport = publish(
        api, "ملعب طنجة الجديد", ["افتتح الملعب."], section="sport",
        tags=[Tag(label="كرة القدم", slug=slugify("كرة القدم"))],
    )  # fmt: skip
    assert sorted(ids(api, "طنجة")) == sorted([economy, sport])
    assert ids(api, "طنجة", section="sport") == [sport]
    assert ids(api, "طنجة", tag="كرة القدم") == [sport]
    assert ids(api, "طنجة", tag="المغرب") == [economy]
    assert ids(api, "طنجة", **{"from": "2000-01-01", "to": "2999-12-31"}) != []
    assert ids(api, "طنجة", **{"from": "2999-01-01"}) == []
    assert ids(api, "طنجة", **{"to": "2000-01-01T00:00:00+00:00"}) == []


def test_pages_of_ten(api: Api) -> None:
    made = [publish(api, f"خبر رقم {n} عن أكادير", ["أكادير مدينة."]) for n in range(13)]
    first = api.client.get("/search.json", params={"q": "أكادير"}).json()
    second = api.client.get("/search.json", params={"q": "أكادير", "page": 2}).json()
    assert first["total"] == second["total"] == 13
    assert len(first["results"]) == PAGE_SIZE and len(second["results"]) == 3
    found = [r["id"] for r in first["results"] + second["results"]]
    assert sorted(found) == sorted(made)
    assert api.client.get("/search.json", params={"q": "أكادير", "page": 9}).json()["results"] == []


def test_a_takedown_removes_the_article_at_once(api: Api) -> None:
    article = publish(api, INVEST, INVEST_BODY)
    assert ids(api, "مراكش") == [article]
    taken = api.app.state.services.takedowns.unpublish(article)
    assert taken is not None and taken.versions == 1
    assert ids(api, "مراكش") == []
    assert "لا توجد نتائج" in api.client.get("/search", params={"q": "مراكش"}).text


def test_a_new_version_replaces_the_old_words(api: Api) -> None:
    first = publish(api, "زلزال في أكادير", ["ضرب زلزال المدينة."], external_id="quake")
    second = publish(api, "عاصفة في وجدة", ["هبت عاصفة قوية."], external_id="quake")
    assert first == second
    assert ids(api, "أكادير") == [] and ids(api, "زلزال") == []
    assert ids(api, "وجدة") == [first]


def test_an_empty_term_is_dropped_not_refused(api: Api) -> None:
    """Terms go to PostgreSQL as lexemes as they are: a gap between two (an empty term) must
    neither fail the publish transaction nor hide the words around it."""
    article = publish(api, INVEST, INVEST_BODY)
    city = search_analyser().term("وجدة")
    document = SearchDocument(
        article, 1, INVEST, "economy", f" {city}  {city} ", "وجدة", title_terms="", lead_terms=""
    )
    with transaction(api.app.state.services.articles.engine) as db:
        index_document(db, document, datetime(2026, 1, 1))
    assert ids(api, "وجدة") == [article]


def test_services_search_directly(api: Api) -> None:
    article = publish(api, INVEST, INVEST_BODY)
    found = api.app.state.services.search.find("ايران", 1, SearchFilters(section="economy"))
    assert [r.id for r in found.results] == [article] and found.total == 1


# -- hostile input -----------------------------------------------------------------------------

HOSTILE = [
    "",
    " ",
    "x" * 10_000,
    "من في على عن",
    '"مراكش',
    'مراكش" "',
    "مراكش OR بلجيكا",
    "NEAR(مراكش بلجيكا)",
    "مراك*",
    '"""',
    "'; DROP TABLE articles; --",
    "1' OR '1'='1",
    "مراكش & | ! <-> :* ( )",
    "\u202eمراكش\u202c\u2066",
    "<script>alert(1)</script>",
    "مراكش\x00",
    "title:مراكش -بلجيكا",
    "١٢٣ ABC ا",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_fail(api: Api, query: str) -> None:
    publish(api, INVEST, INVEST_BODY)
    answer = api.client.get("/search.json", params={"q": query})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert isinstance(body["total"], int) and len(body["query"]) <= 200
    page = api.client.get("/search", params={"q": query})
    assert page.status_code == 200 and '<html dir="rtl" lang="ar"' in page.text
    assert "<script>alert" not in page.text


def test_only_stop_words_find_nothing_and_say_why(api: Api) -> None:
    publish(api, "من في على", ["من في على عن إلى."])
    body = api.client.get("/search.json", params={"q": "من في على"}).json()
    assert body["total"] == 0 and body["results"] == [] and "common" in body["notice"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "مراكش", "page": "abc"}, "page"),
        ({"q": "مراكش", "page": "0"}, "page"),
        ({"q": "مراكش", "page": "100000"}, "page"),
        ({"q": "مراكش", "section": "astrology"}, "section"),
        ({"q": "مراكش", "from": "yesterday"}, "from"),
        ({"q": "مراكش", "to": "2024-13-45"}, "to"),
        ({"q": "مراكش", "tag": "\u202e\u200f"}, "tag"),
        ({"q": "x" * 20_000}, "q"),
    ],
)
def test_malformed_filters_are_422_naming_the_field(
    api: Api, params: dict[str, str], field: str
) -> None:
    answer = api.client.get("/search.json", params=params)
    assert answer.status_code == 422, answer.text
    assert any(field in problem["field"] for problem in answer.json()["detail"])


def test_the_html_page_is_rtl_marked_and_escaped(api: Api) -> None:
    publish(api, "<i>مراكش</i> تستقبل", ["زار وفد <b>مراكش</b> & فاس."])
    page = api.client.get("/search", params={"q": "مراكش", "page": "xyz"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<html dir="rtl" lang="ar"' in page.text and "<mark>مراكش</mark>" in page.text
    assert "&lt;i&gt;مراكش&lt;/i&gt;" in page.text and "<i>" not in page.text
    echoed = api.client.get("/search", params={"q": "<script>alert(1)</script>"}).text
    body = echoed.split("<body>")[1].split("<script>\n(function")[0]
    assert "<script>" not in body and "&lt;script&gt;" in body


def test_searching_is_rate_limited_like_image_reports(tmp_path: Path) -> None:
    with serving_api(tmp_path, "sqlite", search_rate=3) as limited:
        answers = [limited.client.get("/search.json", params={"q": "مراكش"}) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert int(answers[-1].headers["Retry-After"]) >= 1
        assert limited.client.get("/search", params={"q": "x"}).status_code == 429
