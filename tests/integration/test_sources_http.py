"""/ops/sources over HTTP: an operator's token only, every part of a source checked before
anything is stored, and hostile bodies refused with the field and the reason."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api import Api

pytestmark = pytest.mark.integration

GOOD = {"name": "hespress", "url": "https://hespress.example/feed"}


def _names(api: Api) -> list[str]:
    answer = api.client.get("/ops/sources", headers=api.operator)
    assert answer.status_code == 200, answer.text
    return [source["name"] for source in answer.json()]


def test_an_operator_adds_lists_pauses_resumes_and_removes_a_source(api: Api) -> None:
    body = GOOD | {"every": 120, "section": "politics", "tags": ["المغرب"], "excerpt_only": True}
    added = api.client.post("/ops/sources", json=body, headers=api.operator)
    assert added.status_code == 201, added.text
    shown = added.json()
    assert shown["name"] == "hespress" and shown["every"] == 120 and shown["state"] == "ok"
    assert shown["excerpt_only"] is True and shown["tags"] == ["المغرب"]
    assert _names(api) == ["hespress"]
    again = api.client.post("/ops/sources", json=GOOD, headers=api.operator)
    assert again.status_code == 409
    paused = api.client.post("/ops/sources/hespress/pause", headers=api.operator)
    assert paused.json() == {"name": "hespress", "paused": True}
    listed = api.client.get("/ops/sources", headers=api.operator).json()
    assert listed[0]["paused"] is True and listed[0]["next_fetch_at"] is None
    api.client.post("/ops/sources/hespress/resume", headers=api.operator)
    fetch = api.client.post("/ops/sources/hespress/fetch", headers=api.operator)
    assert fetch.status_code == 202 and fetch.json()["name"] == "hespress"
    assert isinstance(fetch.json()["fetch_id"], int)
    gone = api.client.delete("/ops/sources/hespress", headers=api.operator)
    assert gone.status_code == 200
    assert _names(api) == []


@pytest.mark.parametrize(
    "path", ["/ops/sources/nobody/fetch", "/ops/sources/nobody/pause", "/ops/sources/nobody/resume"]
)
def test_an_unknown_source_is_404(api: Api, path: str) -> None:
    answer = api.client.post(path, headers=api.operator)
    assert answer.status_code == 404
    assert answer.json()["detail"][0]["field"] == "name"


def test_an_editor_is_refused_and_no_token_is_401(api: Api) -> None:
    assert api.client.get("/ops/sources", headers=api.editor).status_code == 403
    assert api.client.get("/ops/sources").status_code == 401
    assert api.client.post("/ops/sources", json=GOOD, headers=api.editor).status_code == 403
    assert api.client.post("/ops/sources/x/fetch").status_code == 401
    assert _names(api) == []


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({}, 422, "name"),
        ({"name": "x"}, 422, "url"),
        (GOOD | {"name": ""}, 422, "name"),
        (GOOD | {"name": "<script>alert(1)</script>"}, 422, "name"),
        (GOOD | {"name": "\u202ehespress"}, 422, "name"),
        (GOOD | {"name": "هسبريس"}, 422, "name"),
        (GOOD | {"name": 7}, 422, "name"),
        (GOOD | {"url": "javascript:alert(1)"}, 422, "url"),
        (GOOD | {"url": "file:///etc/passwd"}, 422, "url"),
        (GOOD | {"url": "https://a.example/<script>"}, 422, "url"),
        (GOOD | {"url": "https://a.example/\u202egnp.exe"}, 422, "url"),
        (GOOD | {"url": ["https://a.example/"]}, 422, "url"),
        (GOOD | {"every": 59}, 422, "every"),
        (GOOD | {"every": "300"}, 422, "every"),
        (GOOD | {"every": 1e20}, 422, "every"),
        (GOOD | {"every": True}, 422, "every"),
        (GOOD | {"section": "weather"}, 422, "section"),
        (GOOD | {"tags": "المغرب"}, 422, "tags"),
        (GOOD | {"tags": [""]}, 422, "tag"),
        (GOOD | {"tags": ["x" * 101]}, 422, "tag"),
        (GOOD | {"excerpt_only": "yes"}, 422, "excerpt_only"),
        (GOOD | {"extra": 1}, 422, "extra"),
    ],
)
def test_a_bad_source_is_refused_with_its_field_and_nothing_stored(
    api: Api, body: dict[str, Any], status: int, field: str
) -> None:
    answer = api.client.post("/ops/sources", json=body, headers=api.operator)
    assert answer.status_code == status, answer.text
    assert any(error["field"].startswith(field) for error in answer.json()["detail"]), answer.text
    assert _names(api) == []


def test_bodies_that_are_not_a_source_at_all(api: Api) -> None:
    headers = api.operator | {"Content-Type": "application/json"}
    cases = [
        (b"", 400),
        (b"not json", 400),
        (b"[1, 2]", 422),
        (b"[" * 100_000 + b"]" * 100_000, 413),
        (b'{"name": "' + b"x" * 20_000 + b'"}', 413),
    ]
    for raw, status in cases:
        answer = api.client.post("/ops/sources", content=raw, headers=headers)
        assert answer.status_code == status, (raw[:20], answer.text)
    plain = api.client.post(
        "/ops/sources", content=b"{}", headers=api.operator | {"Content-Type": "text/plain"}
    )
    assert plain.status_code == 415
    assert _names(api) == []


def test_mixed_scripts_in_tags_are_kept_as_given(api: Api) -> None:
    body = GOOD | {"name": "mixed", "tags": ["Pаypal ١٢٣", "المغرب Maroc"]}
    answer = api.client.post("/ops/sources", json=body, headers=api.operator)
    assert answer.status_code == 201, answer.text
    assert answer.json()["tags"] == ["Pаypal ١٢٣", "المغرب Maroc"]
    api.client.delete("/ops/sources/mixed", headers=api.operator)
