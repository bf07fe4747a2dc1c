"""The API remembers editor tokens it found valid (so `POST /articles` skips the lookup), and
still refuses a revoked one on its very next request: the accept statement checks it again."""

from __future__ import annotations

import pytest

from pipeline.store.tokens import Role, token_digest
from tests.api import Api
from tests.integration.test_auth import assert_unauthorised
from tests.system import SEED_ARTICLE

pytestmark = pytest.mark.integration


def remembered(api: Api, token: str) -> bool:
    return api.app.state.token_cache.get(token_digest(token)) is not None


def test_a_remembered_token_revoked_writes_nothing_on_its_next_request(api: Api) -> None:
    # Given an editor token the API has just accepted, and so remembers
    token = api.tokens.create("remembered-editor", Role.EDITOR)
    headers = {"Authorization": f"Bearer {token}"}
    first = api.client.post("/articles", json=SEED_ARTICLE, headers=headers)
    assert first.status_code == 202, first.text
    assert remembered(api, token)

    # When it is revoked
    assert api.tokens.revoke("remembered-editor") == 1

    # Then the next submission with it is 401, writes nothing, and the API forgets the token
    before = api.rows()
    assert_unauthorised(api.client.post("/articles", json=SEED_ARTICLE, headers=headers))
    assert api.rows() == before
    assert not remembered(api, token)
    assert_unauthorised(api.client.post("/articles", json=SEED_ARTICLE, headers=headers))


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param(b"{not json", "application/json", id="bad-json"),
        pytest.param(b"{}", "application/json", id="missing-fields"),
        pytest.param(b"{}", "text/plain", id="wrong-type"),
    ],
)
def test_a_remembered_token_revoked_gets_401_before_its_body_is_judged(
    api: Api, body: bytes, content_type: str
) -> None:
    # Given a remembered editor token, revoked since
    token = api.tokens.create("revoked-with-a-bad-body", Role.EDITOR)
    headers = {"Authorization": f"Bearer {token}"}
    assert api.client.post("/articles", json=SEED_ARTICLE, headers=headers).status_code == 202
    api.tokens.revoke("revoked-with-a-bad-body")

    # When it sends a body the API would refuse
    answer = api.client.post(
        "/articles", content=body, headers=headers | {"Content-Type": content_type}
    )

    # Then the answer is the one a revoked token always got: 401, not the body's error
    assert_unauthorised(answer)


def test_a_remembered_token_still_gets_its_body_errors(api: Api) -> None:
    # Given a remembered, live editor token
    assert api.client.post("/articles", json=SEED_ARTICLE, headers=api.editor).status_code == 202
    assert remembered(api, api.editor_token)

    # Then a malformed body is refused as before
    answer = api.client.post(
        "/articles",
        content=b"{not json",
        headers=api.editor | {"Content-Type": "application/json"},
    )
    assert answer.status_code == 400
    assert answer.json()["detail"][0]["field"] == "body"


def test_an_operator_token_is_not_remembered_for_submitting(api: Api) -> None:
    answer = api.client.post("/articles", json=SEED_ARTICLE, headers=api.operator)
    assert answer.status_code == 403
    assert not remembered(api, api.operator_token)
