"""Every answer says nosniff and a referrer policy; every HTML answer carries the page policy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.render.policy import content_security_policy
from tests.api import Api, serving_api


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with serving_api(tmp_path_factory.mktemp("headers")) as running:
        yield running


def _assert_always(headers: dict[str, str]) -> None:
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize("path", ["/", "/news/999999.html", "/tags/لا-وسم.html", "/nothing"])
def test_html_answers_carry_the_content_security_policy(api: Api, path: str) -> None:
    answer = api.client.get(path)
    assert answer.headers["content-type"].startswith("text/html")
    _assert_always(dict(answer.headers))
    assert answer.headers["content-security-policy"] == content_security_policy()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/health", None),
        ("GET", "/openapi.json", None),
        ("POST", "/articles", {"title": "<script>alert(1)</script>"}),  # no token: 401
        ("GET", "/articles/1", None),
    ],
)
def test_other_answers_carry_nosniff_and_the_referrer_policy(
    api: Api, method: str, path: str, body: object
) -> None:
    answer = api.client.request(method, path, json=body)
    _assert_always(dict(answer.headers))
    assert "content-security-policy" not in answer.headers


def test_a_body_refused_before_the_app_reads_it_still_carries_the_headers(api: Api) -> None:
    answer = api.client.post(
        "/articles",
        content=b"x" * (api.settings.max_request_bytes + 1),
        headers=api.editor | {"Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    _assert_always(dict(answer.headers))


def test_the_docs_pages_are_left_without_the_page_policy(tmp_path: Path) -> None:
    """FastAPI's docs load their scripts from a CDN; they exist only outside production."""
    with serving_api(tmp_path) as running:
        answer = running.client.get("/docs")
    assert answer.status_code == 200
    _assert_always(dict(answer.headers))
    assert "content-security-policy" not in answer.headers
