"""Hostile and malformed input to the HTTP API: refused with a reason and nothing written, or
accepted as it came (the validate step cleans it); never a 500."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import Api
from tests.system import SEED_ARTICLE, running_system

pytestmark = pytest.mark.integration

REQUIRED = ("title", "body", "source_url", "source_name")
TEN_MB = 10 * 1024 * 1024

SCRIPT = "<script>alert(1)</script>"
IMG_ONERROR = "<img src=x onerror=alert(1)>"
JS_LINK = '<a href="javascript:alert(1)">x</a>'
JS_URL = "javascript:alert(1)"
RLO = "\u202e"
LRI = "\u2066"
HOSTILE_STRINGS = {
    "script": f"خبر {SCRIPT} عاجل",
    "img-onerror": f"خبر {IMG_ONERROR} عاجل",
    "js-link": f"خبر {JS_LINK} عاجل",
    "js-url": JS_URL,
    "rlo": f"خبر {RLO}lmth.exe عاجل",
    "lri": f"{LRI}خبر{LRI} عاجل",
    "mixed-scripts": "خبر Привет 你好 שלום ελληνικά हिन्दी 😀 عاجل",
    "entities": "&lt;script&gt;alert(1)&lt;/script&gt; &#x202E;",
    "sql": "'; DROP TABLE articles; --",
}


def article(**changes: Any) -> dict[str, Any]:
    payload = {key: value for key, value in SEED_ARTICLE.items() if key not in changes}
    return payload | {key: value for key, value in changes.items() if value is not ...}


def without(field: str) -> dict[str, Any]:
    return {key: value for key, value in SEED_ARTICLE.items() if key != field}


def post_raw(api: Api, content: Any, content_type: str | None = "application/json") -> Any:
    headers = dict(api.editor)
    if content_type is not None:
        headers["Content-Type"] = content_type
    return api.client.post("/articles", content=content, headers=headers)


def assert_problem(response: Any, status: int, field: str | None = None) -> list[dict[str, str]]:
    """The status, a `detail` list of {field, reason}, and `field` among them when given."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail, detail
    for problem in detail:
        assert set(problem) == {"field", "reason"}, problem
        assert isinstance(problem["field"], str) and problem["field"], problem
        assert isinstance(problem["reason"], str) and problem["reason"], problem
    if field is not None:
        assert field in [p["field"] for p in detail], detail
    return detail


# -- content type ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "application/jsonx",
        "",
        None,
    ],
)
def test_a_body_that_is_not_json_is_415(api: Api, content_type: str | None) -> None:
    before = api.rows()
    response = post_raw(api, json.dumps(SEED_ARTICLE).encode(), content_type)
    assert_problem(response, 415, "content-type")
    assert api.rows() == before


def test_a_form_post_is_415(api: Api) -> None:
    before = api.rows()
    response = api.client.post("/articles", data={"title": "x"}, headers=api.editor)
    assert_problem(response, 415, "content-type")
    assert api.rows() == before


def test_json_content_type_with_charset_and_capitals_is_accepted(api: Api) -> None:
    response = post_raw(api, json.dumps(SEED_ARTICLE).encode(), "Application/JSON; charset=utf-8")
    assert response.status_code == 202, response.text


# -- not a JSON object ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "status"),
    [
        pytest.param(b"", 400, id="empty"),
        pytest.param(b"   ", 400, id="blank"),
        pytest.param(b'{"title": ', 400, id="truncated"),
        pytest.param(b"{'title': 'x'}", 400, id="single-quotes"),
        pytest.param(b'{"title": "x",}', 400, id="trailing-comma"),
        pytest.param(b"\xff\xfe\xfa", 400, id="not-utf8"),
        pytest.param(b'{"title": "\xff"}', 400, id="bad-utf8-in-string"),
        pytest.param(b'{"breaking": ' + b"1" * 5000 + b"}", 400, id="5000-digit-number"),
        pytest.param(b"{}", 422, id="empty-object"),
        pytest.param(b"[]", 422, id="array"),
        pytest.param(b"null", 422, id="null"),
        pytest.param(b'"an article"', 422, id="string"),
        pytest.param(b"42", 422, id="number"),
        pytest.param(b"true", 422, id="bool"),
        pytest.param(b"NaN", 422, id="nan"),
        pytest.param(json.dumps([SEED_ARTICLE]).encode(), 422, id="article-in-array"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused(api: Api, content: bytes, status: int) -> None:
    before = api.rows()
    detail = assert_problem(post_raw(api, content), status)
    if content != b"{}":
        assert [p["field"] for p in detail] == ["body"]
    assert api.rows() == before


def test_an_empty_object_names_every_required_field(api: Api) -> None:
    detail = assert_problem(post_raw(api, b"{}"), 422)
    assert sorted(p["field"] for p in detail) == sorted(REQUIRED)


@pytest.mark.parametrize(
    "nesting",
    [
        pytest.param(b"[" * 100_000 + b"]" * 100_000, id="arrays"),
        pytest.param(b'{"a":' * 100_000 + b"1" + b"}" * 100_000, id="objects"),
        pytest.param(b'{"title": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", id="in-a-field"),
        pytest.param(b"[" * 100_000, id="unclosed"),
    ],
)
def test_deeply_nested_json_is_400(api: Api, nesting: bytes) -> None:
    before = api.rows()
    assert_problem(post_raw(api, nesting), 400, "body")
    assert api.rows() == before
    assert api.client.get("/health").status_code == 200


def test_nesting_shallow_enough_to_parse_is_a_shape_error(api: Api) -> None:
    tags = json.loads("[" * 200 + "]" * 200)
    response = api.client.post("/articles", json=article(tags=tags), headers=api.editor)
    assert response.status_code in (400, 422), response.text
    assert_problem(response, response.status_code)


# -- the shape of a submission ----------------------------------------------------------------


@pytest.mark.parametrize("field", REQUIRED)
def test_each_required_field_is_required(api: Api, field: str) -> None:
    before = api.rows()
    response = api.client.post("/articles", json=without(field), headers=api.editor)
    detail = assert_problem(response, 422, field)
    assert [p["field"] for p in detail] == [field]
    assert api.rows() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"title": 42}, "title", id="title-number"),
        pytest.param({"title": None}, "title", id="title-null"),
        pytest.param({"title": ["a"]}, "title", id="title-list"),
        pytest.param({"body": {"text": "x"}}, "body", id="body-object"),
        pytest.param({"source_url": 1}, "source_url", id="source-url-number"),
        pytest.param({"source_name": False}, "source_name", id="source-name-bool"),
        pytest.param({"source_name": "س" * 201}, "source_name", id="source-name-too-long"),
        pytest.param({"source_url": "h" * 2049}, "source_url", id="source-url-too-long"),
        pytest.param({"tags": "سياسة, اقتصاد"}, "tags", id="tags-string"),
        pytest.param({"tags": [1, 2]}, "tags.0", id="tags-ints"),
        pytest.param({"tags": [None]}, "tags.0", id="tags-null-item"),
        pytest.param({"tags": ["t"] * 51}, "tags", id="51-tags"),
        pytest.param({"images": {"url": "https://x.example/a.jpg"}}, "images", id="images-object"),
        pytest.param({"images": ["https://x.example/a.jpg"]}, "images.0", id="images-strings"),
        pytest.param({"images": [{"caption": "x"}]}, "images.0.url", id="image-without-url"),
        pytest.param({"images": [{"url": 1}]}, "images.0.url", id="image-url-number"),
        pytest.param(
            {"images": [{"url": "https://x.example/a.jpg", "onerror": "alert(1)"}]},
            "images.0.onerror",
            id="image-unknown-field",
        ),
        pytest.param(
            {"images": [{"url": "https://x.example/a.jpg"}] * 21}, "images", id="21-images"
        ),
        pytest.param({"breaking": "yes"}, "breaking", id="breaking-yes"),
        pytest.param({"breaking": "true"}, "breaking", id="breaking-string-true"),
        pytest.param({"breaking": 1}, "breaking", id="breaking-one"),
        pytest.param({"category": 5}, "category", id="category-number"),
        pytest.param({"language": "en"}, "language", id="language-en"),
        pytest.param({"external_id": ""}, "external_id", id="external-id-empty"),
        pytest.param({"external_id": 7}, "external_id", id="external-id-number"),
        pytest.param({"external_id": "x" * 201}, "external_id", id="external-id-too-long"),
        pytest.param({"author": "someone"}, "author", id="unknown-field"),
        pytest.param({"__proto__": {"admin": True}}, "__proto__", id="proto-field"),
        pytest.param({"status": "live"}, "status", id="status-field"),
        pytest.param({"id": 1}, "id", id="id-field"),
    ],
)
def test_wrong_shapes_are_422_naming_the_field(
    api: Api, changes: dict[str, Any], field: str
) -> None:
    before = api.rows()
    response = api.client.post("/articles", json=article(**changes), headers=api.editor)
    assert_problem(response, 422, field)
    assert api.rows() == before


def test_every_fault_is_named_at_once(api: Api) -> None:
    payload = {"title": 1, "body": None, "tags": "x", "breaking": "yes", "extra": 1}
    detail = assert_problem(api.client.post("/articles", json=payload, headers=api.editor), 422)
    named = {p["field"] for p in detail}
    assert {"title", "body", "tags", "breaking", "extra", "source_url", "source_name"} <= named


def test_nan_in_a_field_is_422(api: Api) -> None:
    before = api.rows()
    raw = json.dumps(SEED_ARTICLE)[:-1] + ', "breaking": NaN}'
    assert_problem(post_raw(api, raw.encode()), 422, "breaking")
    assert api.rows() == before


def test_a_repeated_key_counts_once_with_its_last_value(api: Api) -> None:
    raw = json.dumps(SEED_ARTICLE)[:-1] + ', "title": 42}'
    assert_problem(post_raw(api, raw.encode()), 422, "title")


def test_the_reason_does_not_echo_the_input(api: Api) -> None:
    response = api.client.post("/articles", json=article(title=[SCRIPT]), headers=api.editor)
    assert SCRIPT not in response.text


# -- size -------------------------------------------------------------------------------------


def _ten_mb_article() -> bytes:
    return json.dumps(article(body="خ" * (TEN_MB // 2))).encode()


def test_a_10mb_body_with_content_length_is_413(api: Api) -> None:
    before = api.rows()
    content = _ten_mb_article()
    response = post_raw(api, content)
    assert response.request.headers["content-length"] == str(len(content))
    assert_problem(response, 413, "body")
    assert api.rows() == before
    assert api.client.get("/health").status_code == 200


def test_a_10mb_streamed_body_is_413(api: Api) -> None:
    content = _ten_mb_article()

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(content), 64 * 1024):
            yield content[start : start + 64 * 1024]

    before = api.rows()
    response = post_raw(api, chunks())
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert_problem(response, 413, "body")
    assert api.rows() == before
    assert api.client.get("/health").status_code == 200


def test_a_body_just_under_the_limit_is_read(api: Api) -> None:
    # The body field is far over what validate allows, but the request is within the limit.
    padding = api.settings.max_request_bytes - len(json.dumps(article(body="")).encode()) - 10
    response = api.client.post("/articles", json=article(body="x" * padding), headers=api.editor)
    assert response.status_code == 202, response.text


def test_an_oversized_body_without_a_token_is_refused_too(api: Api) -> None:
    response = api.client.post("/articles", content=_ten_mb_article())
    assert response.status_code in (401, 413), response.text


# -- hostile text: accepted as sent, stored as sent ------------------------------------------


def _with_hostile(field: str, text: str) -> dict[str, Any]:
    if field == "tags":
        return article(tags=[text, "سياسة"])
    if field == "caption":
        return article(images=[{"url": "https://news.example/a.jpg", "caption": text}])
    if field == "image_url":
        return article(images=[{"url": text, "caption": "صورة"}])
    return article(**{field: text})


@pytest.mark.parametrize("text", HOSTILE_STRINGS.values(), ids=HOSTILE_STRINGS.keys())
@pytest.mark.parametrize(
    "field",
    ["title", "body", "tags", "caption", "source_name", "category", "external_id", "image_url"],
)
def test_hostile_text_is_accepted_and_stored_as_sent(api: Api, field: str, text: str) -> None:
    payload = _with_hostile(field, text)
    if field == "external_id":
        payload["external_id"] = f"{text}-{api.rows()[0]}"
    response = api.client.post("/articles", json=payload, headers=api.editor)
    assert response.status_code == 202, response.text
    answer = response.json()
    stored = api.submission(answer["id"], answer["version"])
    assert {key: stored[key] for key in payload} == payload
    status = api.client.get(f"/articles/{answer['id']}", headers=api.editor)
    assert status.status_code == 200 and status.json()["status"] == "received"


@pytest.mark.parametrize(
    ("field", "text"),
    [
        pytest.param("title", "خبر\u0000عاجل", id="nul-in-title"),
        pytest.param("body", "خبر\u0000عاجل", id="nul-in-body"),
        pytest.param("title", "خبر\ud800عاجل", id="lone-surrogate-in-title"),
        pytest.param("tags", "\udfff", id="lone-surrogate-in-tag"),
        pytest.param("external_id", "ext\u0000id", id="nul-in-external-id"),
        pytest.param("external_id", "ext\ud800id", id="lone-surrogate-in-external-id"),
    ],
)
def test_unstorable_characters_never_make_a_500(
    request: pytest.FixtureRequest, api: Api, field: str, text: str
) -> None:
    """NUL and unpaired surrogates parse as JSON but cannot be stored as text everywhere."""
    before = api.rows()
    raw = json.dumps(_with_hostile(field, text)).encode()  # ensure_ascii: escapes, valid UTF-8
    response = post_raw(api, raw)
    assert response.status_code < 500, response.text
    if response.status_code == 202:
        answer = response.json()
        assert api.submission(answer["id"], answer["version"])[field] is not None
    else:
        assert_problem(response, 422, field)
        assert api.rows() == before


# -- external_id ------------------------------------------------------------------------------


def test_the_same_external_id_makes_a_new_version_of_the_same_article(api: Api) -> None:
    external_id = f"wire-{api.settings.queue_prefix}"
    first = api.client.post("/articles", json=article(external_id=external_id), headers=api.editor)
    second = api.client.post(
        "/articles", json=article(external_id=external_id, title="تحديث"), headers=api.editor
    )
    assert first.status_code == second.status_code == 202, (first.text, second.text)
    assert second.json()["id"] == first.json()["id"]
    assert (first.json()["version"], second.json()["version"]) == (1, 2)
    assert api.submission(first.json()["id"], 2)["title"] == "تحديث"

    other = api.client.post(
        "/articles", json=article(external_id=external_id + "-other"), headers=api.editor
    )
    assert other.status_code == 202, other.text
    assert other.json()["id"] != first.json()["id"] and other.json()["version"] == 1


def test_the_same_new_external_id_sent_at_once_makes_one_article(api: Api) -> None:
    external_id = f"race-{api.settings.queue_prefix}"

    def send(_: int) -> Any:
        return api.client.post(
            "/articles", json=article(external_id=external_id), headers=api.editor
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(send, range(8)))
    assert [r.status_code for r in responses] == [202] * 8, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert sorted(r.json()["version"] for r in responses) == list(range(1, 9))


def test_no_external_id_always_makes_a_new_article(api: Api) -> None:
    ids = {
        api.client.post("/articles", json=SEED_ARTICLE, headers=api.editor).json()["id"]
        for _ in range(3)
    }
    assert len(ids) == 3


# -- GET /articles/{id} -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "article_id",
    [
        "0",
        "-1",
        "abc",
        "1.5",
        "1e3",
        "0x10",
        "%20",
        "2147483648",
        "9223372036854775807",
        "9223372036854775808",
        "99999999999999999999",
        "9" * 5000,
        "%00",
        "1;DROP TABLE articles",
    ],
)
def test_a_bad_or_unknown_article_id_is_404_or_422(
    request: pytest.FixtureRequest, api: Api, article_id: str
) -> None:
    response = api.client.get(f"/articles/{article_id}", headers=api.editor)
    assert response.status_code in (404, 422), response.text
    assert_problem(response, response.status_code)


def test_an_unknown_article_is_404_naming_the_id(api: Api) -> None:
    assert_problem(api.client.get("/articles/99999999", headers=api.editor), 404, "id")


# -- the rest of the surface ------------------------------------------------------------------


def test_openapi_describes_the_submission_body(api: Api) -> None:
    response = api.client.get("/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    body = schema["paths"]["/articles"]["post"]["requestBody"]
    assert body["required"] is True
    ref = body["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/Submission"
    submission = schema["components"]["schemas"]["Submission"]
    assert set(REQUIRED) <= set(submission["required"])
    optional = {"tags", "images", "external_id", "breaking", "category"}
    assert optional <= set(submission["properties"])
    assert submission["additionalProperties"] is False
    assert "ImageIn" in schema["components"]["schemas"]
    assert "#/$defs/" not in response.text
    assert "/articles/{article_id}" in schema["paths"]


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_other_methods_on_articles_are_405(api: Api, method: str) -> None:
    before = api.rows()
    response = api.client.request(method, "/articles", json=SEED_ARTICLE, headers=api.editor)
    assert response.status_code == 405, response.text
    assert api.rows() == before


@pytest.mark.parametrize(
    "path",
    [
        "/..%2fnashr.sqlite",
        "/%2e%2e/nashr.sqlite",
        "/news/..%2f..%2fnashr.sqlite",
        "/%2e%2e%2f%2e%2e%2fetc/passwd",
        "/..\\nashr.sqlite",
    ],
)
def test_the_site_does_not_serve_files_outside_it(api: Api, path: str) -> None:
    response = api.client.get(path)
    assert response.status_code in (400, 404), response.text
    assert b"SQLite format" not in response.content and b"root:" not in response.content


def test_the_health_check_survives_all_of_the_above(api: Api) -> None:
    assert api.client.get("/health").json() == {"status": "ok", "database": "ok"}


# -- end to end: what readers get -------------------------------------------------------------

ATTACKS = f"{SCRIPT} {IMG_ONERROR} {JS_LINK} {RLO}"
FEEDS = ("/feeds/rss.xml", "/feeds/atom.xml")
ATOM = "{http://www.w3.org/2005/Atom}"
FORBIDDEN_IN_OUTPUT = ("<script>alert", "alert(1)", "onerror", "javascript:", RLO, LRI)


def _hostile_article() -> dict[str, Any]:
    return article(
        title=f"خبر {ATTACKS} عن الطقس",
        body=f"فقرة أولى {ATTACKS} نص.\n\n{SEED_ARTICLE['body']}\n\n{LRI}فقرة {JS_LINK} أخيرة",
        tags=[f"{SCRIPT}سياسة", f"{IMG_ONERROR}اقتصاد", f"{JS_LINK} طقس", f"{RLO}رياضة"],
        images=[{"url": "https://news.example/img/a.jpg", "caption": f"صورة {ATTACKS} الوفد"}],
        source_name=f"شبكة {ATTACKS} أندلس",
        category=f"{SCRIPT}محلي",
    )


def _strings(value: Any) -> Iterator[str]:
    """Every string in a JSON document, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _xml_texts(content: bytes) -> Iterator[str]:
    """Every text and attribute of a feed as a reader's parser sees it (entities decoded)."""
    for element in ET.fromstring(content).iter():
        yield from (element.text or "", element.tail or "", *element.attrib.values())


def _assert_clean(where: str, texts: list[str]) -> None:
    for text in texts:
        lowered = text.lower()
        for needle in FORBIDDEN_IN_OUTPUT:
            assert needle not in lowered, f"{needle!r} in {where}: {text[:300]!r}"
        for entity in ("&#x202e", "&#8238", "&#x2066", "&#8294"):
            assert entity not in lowered, f"{entity!r} in {where}"


def _entity_article() -> dict[str, Any]:
    """The same attacks spelled as entities: they decode to text, which must stay text."""
    encoded = "&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt; &#x202E;"
    return article(
        title=f"خبر {encoded} آخر",
        source_name=f"شبكة {encoded}",
        tags=[f"{encoded}وسم"],
        images=[{"url": "https://news.example/img/b.jpg", "caption": encoded}],
    )


def test_hostile_markup_never_reaches_readers(tmp_path: Path) -> None:
    with running_system(tmp_path, "embedded") as system:
        # Given a clean article, one carrying scripts, handlers, javascript: links and bidi
        # controls, and two with javascript: URLs
        clean = system.submit(SEED_ARTICLE)
        hostile = system.submit(_hostile_article())
        bad_source = system.submit(article(source_url=JS_URL))
        bad_image = system.submit(article(images=[{"url": JS_URL, "caption": "صورة"}]))

        # When they go through the whole chain
        clean_status = system.wait_for(clean["id"], "live")
        status = system.wait_for(hostile["id"], "live")

        # Then the javascript: URLs are rejected by name and never published
        for answer, field in ((bad_source, "source_url"), (bad_image, "images[0].url")):
            rejected = system.wait_for(answer["id"], "rejected")
            assert any(reason.startswith(f"{field}:") for reason in rejected["reasons"])
            assert system.get(rejected["urls"]["page"]).status_code == 404

        # And the page has only the site's own script, and no trace of the attacks
        clean_page = system.get(clean_status["urls"]["page"]).text
        page = system.get(status["urls"]["page"])
        assert page.status_code == 200
        # the page's own two: the image report and the live ticker
        assert page.text.count("<script") == clean_page.count("<script") == 2
        assert "الطقس" in page.text and "أندلس" in page.text
        _assert_clean("page", [page.text])

        # And neither the JSON, the feeds, the ticker nor the home page carry them, even decoded
        document = system.get(status["urls"]["json"])
        assert document.status_code == 200
        _assert_clean("article JSON", [document.text, *_strings(document.json())])
        for feed in FEEDS:
            response = system.get(feed)
            assert response.status_code == 200
            _assert_clean(feed, [response.text, *_xml_texts(response.content)])
        ticker = system.get("/ticker.json")
        assert hostile["id"] in [entry["id"] for entry in ticker.json()]
        _assert_clean("ticker", [ticker.text, *_strings(ticker.json())])
        home = system.get("/")
        assert f"/news/{hostile['id']}.html" in home.text
        _assert_clean("home", [home.text])

        # Given the same attacks spelled as entities, When that article goes live
        entities = system.submit(_entity_article())
        entity_status = system.wait_for(entities["id"], "live")

        # Then they are shown as text: escaped wherever they land, never markup
        entity_page = system.get(entity_status["urls"]["page"]).text
        assert entity_page.count("<script") == 2
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in entity_page
        for path in (entity_status["urls"]["json"], "/ticker.json", "/", *FEEDS):
            raw = system.get(path).text
            for needle in ("<script>alert", "<img src=x", RLO, "&#x202e"):
                assert needle not in raw.lower(), f"{needle!r} in {path}"
        for feed in FEEDS:
            root = ET.fromstring(system.get(feed).content)
            for content in root.iter(f"{ATOM}content"):
                assert "<script" not in (content.text or ""), content.text
                assert "<img src=x" not in (content.text or ""), content.text
