"""What the API tests send: a valid submission to change, hostile strings, a problem check."""

from __future__ import annotations

from typing import Any

from tests.api import Api
from tests.system import SEED_ARTICLE

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
