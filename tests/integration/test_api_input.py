"""Malformed requests to the HTTP API: refused with a reason and nothing written, never a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.api import Api
from tests.integration.submissions import (
    REQUIRED,
    SCRIPT,
    TEN_MB,
    article,
    assert_problem,
    post_raw,
    without,
)
from tests.system import SEED_ARTICLE

pytestmark = pytest.mark.integration


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
