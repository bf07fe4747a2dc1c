"""Who may call the API: bearer tokens, roles, revocation; a refused call writes nothing."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from sqlalchemy import select

from pipeline.store.schema import tokens
from pipeline.store.tokens import Role
from tests.api import Api
from tests.system import SEED_ARTICLE

pytestmark = pytest.mark.integration


def assert_refused(response: Any, status: int, field: str = "authorization") -> None:
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail, detail
    assert all(set(problem) == {"field", "reason"} for problem in detail), detail
    assert any(p["field"] == field and p["reason"] for p in detail), detail


def assert_unauthorised(response: Any) -> None:
    assert_refused(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-header"),
        pytest.param({"Authorization": ""}, id="empty-header"),
        pytest.param({"Authorization": "Bearer"}, id="scheme-only"),
        pytest.param({"Authorization": "Bearer "}, id="empty-token"),
        pytest.param({"Authorization": "Bearer nashr_not-a-real-token"}, id="wrong-token"),
        pytest.param({"Authorization": "Bearer " + "a" * 5000}, id="huge-token"),
        pytest.param({"Authorization": "Basic dXNlcjpwYXNz"}, id="basic-auth"),
        pytest.param({"Authorization": "Token x"}, id="other-scheme"),
        pytest.param({"X-Api-Key": "anything"}, id="other-header"),
    ],
)
def test_post_without_a_valid_token_is_401_and_writes_nothing(
    api: Api, headers: dict[str, str]
) -> None:
    before = api.rows()
    response = api.client.post("/articles", json=SEED_ARTICLE, headers=headers)
    assert_unauthorised(response)
    assert api.rows() == before


def test_token_without_bearer_prefix_is_401(api: Api) -> None:
    before = api.rows()
    response = api.client.post(
        "/articles", json=SEED_ARTICLE, headers={"Authorization": api.editor_token}
    )
    assert_unauthorised(response)
    assert api.rows() == before


def test_a_hash_of_the_token_is_not_a_token(api: Api) -> None:
    digest = hashlib.sha256(api.editor_token.encode()).hexdigest()
    response = api.client.post(
        "/articles", json=SEED_ARTICLE, headers={"Authorization": f"Bearer {digest}"}
    )
    assert_unauthorised(response)


def test_bearer_scheme_is_case_insensitive(api: Api) -> None:
    response = api.client.post(
        "/articles", json=SEED_ARTICLE, headers={"Authorization": f"bearer {api.editor_token}"}
    )
    assert response.status_code == 202, response.text


def test_revoked_token_is_401(api: Api) -> None:
    # Given an editor token that worked
    name = "to-revoke"
    token = api.tokens.create(name, Role.EDITOR)
    headers = {"Authorization": f"Bearer {token}"}
    first = api.client.post("/articles", json=SEED_ARTICLE, headers=headers)
    assert first.status_code == 202, first.text

    # When it is revoked
    assert api.tokens.revoke(name) == 1

    # Then it is refused for writing and reading, and nothing more is written
    before = api.rows()
    assert_unauthorised(api.client.post("/articles", json=SEED_ARTICLE, headers=headers))
    assert_unauthorised(api.client.get(f"/articles/{first.json()['id']}", headers=headers))
    assert api.rows() == before


def test_operator_token_cannot_submit(api: Api) -> None:
    before = api.rows()
    response = api.client.post("/articles", json=SEED_ARTICLE, headers=api.operator)
    assert_refused(response, 403)
    assert "editor" in response.json()["detail"][0]["reason"]
    assert api.rows() == before


def test_editor_token_submits_and_the_rows_are_written(api: Api) -> None:
    before = api.rows()
    response = api.client.post("/articles", json=SEED_ARTICLE, headers=api.editor)
    assert response.status_code == 202, response.text
    answer = response.json()
    assert answer["version"] == 1 and answer["status"] == "received"
    assert api.rows() == tuple(n + 1 for n in before)


@pytest.mark.parametrize("who", ["editor", "operator"])
def test_status_is_open_to_both_roles(api: Api, who: str) -> None:
    article_id = api.client.post("/articles", json=SEED_ARTICLE, headers=api.editor).json()["id"]
    response = api.client.get(f"/articles/{article_id}", headers=getattr(api, who))
    assert response.status_code == 200, response.text
    assert response.json()["id"] == article_id


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-header"),
        pytest.param({"Authorization": "Bearer nashr_wrong"}, id="wrong-token"),
    ],
)
def test_status_needs_a_token(api: Api, headers: dict[str, str]) -> None:
    article_id = api.client.post("/articles", json=SEED_ARTICLE, headers=api.editor).json()["id"]
    assert_unauthorised(api.client.get(f"/articles/{article_id}", headers=headers))
    # An unknown id is 401 too, so a caller without a token learns nothing about which ids exist.
    assert_unauthorised(api.client.get("/articles/99999999", headers=headers))


def test_tokens_are_stored_only_as_hashes(api: Api) -> None:
    with api.engine.connect() as db:
        stored = db.execute(select(tokens.c.token_hash)).scalars().all()
    assert stored and all(len(h) == 64 for h in stored)
    assert api.editor_token not in stored and api.operator_token not in stored


def test_public_paths_need_no_token(api: Api) -> None:
    assert api.client.get("/health").json() == {"status": "ok", "database": "ok"}
    assert api.client.get("/openapi.json").status_code == 200


def test_only_editors_take_articles_down(api: Api) -> None:
    article_id = api.client.post("/articles", json=SEED_ARTICLE, headers=api.editor).json()["id"]
    path = f"/articles/{article_id}/unpublish"
    before = api.rows()

    assert_unauthorised(api.client.post(path))
    assert_unauthorised(api.client.post(path, headers={"Authorization": "Bearer nashr_wrong"}))
    assert_refused(api.client.post(path, headers=api.operator), 403)
    assert api.rows() == before
    assert api.client.get(f"/articles/{article_id}", headers=api.editor).json()["status"] == (
        "received"
    )

    taken = api.client.post(path, headers=api.editor)
    assert taken.status_code == 202, taken.text
    assert taken.json() == {"id": article_id, "status": "unpublished", "versions_taken_down": 1}
    again = api.client.post(path, headers=api.editor)
    assert again.json() == {"id": article_id, "status": "unpublished", "versions_taken_down": 0}
    unknown = api.client.post("/articles/99999999/unpublish", headers=api.editor)
    assert unknown.status_code == 404 and unknown.json()["detail"][0]["field"] == "id"
