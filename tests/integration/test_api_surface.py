"""Hostile text is accepted as sent (validate cleans it); external ids, reads and the rest of
the API's surface hold up to odd input."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.api import Api
from tests.integration.submissions import (
    HOSTILE_STRINGS,
    REQUIRED,
    article,
    assert_problem,
    post_raw,
)
from tests.system import SEED_ARTICLE

pytestmark = pytest.mark.integration


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
