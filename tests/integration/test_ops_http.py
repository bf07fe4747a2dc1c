"""The operators' HTTP routes: who may call them, what they answer, what they refuse.

The API in-process on each database with real tokens (`tests/api.py`), no workers: versions
stay where the test puts them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from pipeline.domain.states import Step
from pipeline.store.jobs import jobs as jobs_table
from tests.api import Api
from tests.system import SEED_ARTICLE

pytestmark = pytest.mark.integration

ROUTES = [
    ("GET", "/ops/queues"),
    ("GET", "/ops/articles?status=failed&limit=5"),
    ("POST", "/ops/articles/1/retry"),
    ("GET", "/ops/jobs"),
    ("POST", "/ops/jobs"),
    ("GET", "/metrics"),
]


def _call(api: Api, method: str, path: str, headers: dict[str, str]) -> Any:
    if method == "POST" and path == "/ops/jobs":
        body = {"name": "auth-probe", "every": 3600, "action": "rebuild-site"}
        return api.client.post(path, json=body, headers=headers)
    return api.client.request(method, path, headers=headers)


def _stored_jobs(api: Api) -> int:
    with api.engine.connect() as db:
        return int(db.execute(select(func.count()).select_from(jobs_table)).scalar_one())


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_ops_route_wants_an_operator(api: Api, method: str, path: str) -> None:
    before = _stored_jobs(api)
    # no token: 401, and a bearer challenge
    none = _call(api, method, path, {})
    assert none.status_code == 401 and none.headers["www-authenticate"] == "Bearer"
    bad = _call(api, method, path, {"Authorization": "Bearer nashr_not-a-token"})
    assert bad.status_code == 401
    # an editor's token: 403
    editor = _call(api, method, path, api.editor)
    assert editor.status_code == 403
    assert editor.json()["detail"][0]["field"] == "authorization"
    assert _stored_jobs(api) == before
    # an operator's: answered
    operator = _call(api, method, path, api.operator)
    assert operator.status_code in (200, 201, 404), operator.text
    if path == "/ops/jobs" and method == "POST":
        api.client.request("GET", "/ops/jobs", headers=api.operator)
        with api.engine.begin() as db:
            db.execute(jobs_table.delete().where(jobs_table.c.name == "auth-probe"))


def test_ops_queues_lists_every_step_queue_and_the_versions(api: Api) -> None:
    api.client.post("/articles", json=SEED_ARTICLE, headers=api.editor)
    found = api.client.get("/ops/queues", headers=api.operator).json()
    steps = [q["step"] for q in found["queues"]]
    assert steps == ["validate", "enrich", "source", "publish", "ticker", "schedule", "fetch"]
    validate = found["queues"][0]
    assert set(validate) == {
        "step", "queue", "waiting", "unacked", "consumers", "rate_in", "rate_out", "oldest_waiting",
    }  # fmt: skip
    assert validate["queue"] == api.settings.queue("validate")
    assert validate["unacked"] is None  # neither the embedded broker nor AMQP can tell
    assert validate["oldest_waiting"]["seconds"] >= 0
    assert found["versions"]["received"] >= 1
    assert found["workers"] == []


def test_ops_articles_pages_through_a_status(api: Api) -> None:
    ids = [
        api.client.post(
            "/articles", json=SEED_ARTICLE | {"external_id": f"page-{n}"}, headers=api.editor
        ).json()["id"]
        for n in range(5)
    ]
    seen: list[int] = []
    after: int | None = None
    while True:
        query = "/ops/articles?status=received&limit=2" + (f"&after={after}" if after else "")
        page = api.client.get(query, headers=api.operator).json()
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        after = page["next"]
        if after is None:
            break
    assert set(ids) <= set(seen) and len(seen) == len(set(seen))
    item = api.client.get("/ops/articles?status=received&limit=1", headers=api.operator).json()
    assert set(item["items"][0]) == {
        "id",
        "version",
        "status",
        "failed_step",
        "title",
        "updated_at",
    }


@pytest.mark.parametrize(
    "query",
    ["status=nope", "status=", "limit=0", "limit=501", "limit=x", "after=-1", "status=<script>",
     "status=failed\u202e", "limit=99999999999999999999"],
)  # fmt: skip
def test_ops_articles_refuses_a_bad_query(api: Api, query: str) -> None:
    answer = api.client.get(f"/ops/articles?{query}", headers=api.operator)
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["field"]


def test_retry_replays_a_failed_article_and_refuses_the_rest(api: Api) -> None:
    accepted = api.client.post(
        "/articles", json=SEED_ARTICLE | {"external_id": "to-fail"}, headers=api.editor
    ).json()
    store = api.app.state.articles
    # not failed: 409
    answer = api.client.post(f"/ops/articles/{accepted['id']}/retry", headers=api.operator)
    assert answer.status_code == 409
    assert store.fail(accepted["id"], 1, Step.VALIDATE, "boom")
    listed = api.client.get("/ops/articles?status=failed", headers=api.operator).json()
    assert accepted["id"] in [item["id"] for item in listed["items"]]
    answer = api.client.post(f"/ops/articles/{accepted['id']}/retry", headers=api.operator)
    assert answer.status_code == 202, answer.text
    assert answer.json() | {"sent": None} == {
        "id": accepted["id"], "version": 1, "step": "validate", "status": "received", "sent": None,
    }  # fmt: skip
    assert store.status(accepted["id"]).status.value == "received"
    for unknown in ("999999", "0", "-1", "99999999999999"):
        assert api.client.post(
            f"/ops/articles/{unknown}/retry", headers=api.operator
        ).status_code in (404, 422)


def test_jobs_are_added_and_listed_over_http(api: Api) -> None:
    answer = api.client.post(
        "/ops/jobs",
        json={
            "name": "http-nightly",
            "cron": "0 3 * * *",
            "action": "rebuild-tag",
            "argument": "المغرب",
        },
        headers=api.operator,
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["action"] == "rebuild-tag المغرب"
    listed = api.client.get("/ops/jobs", headers=api.operator).json()
    assert "http-nightly" in [job["name"] for job in listed]
    assert set(listed[0]) >= {
        "name",
        "schedule",
        "action",
        "paused",
        "next_run_at",
        "last_run_at",
        "runs",
    }
    again = api.client.post(
        "/ops/jobs",
        json={"name": "http-nightly", "every": 60, "action": "rebuild-site"},
        headers=api.operator,
    )
    assert again.status_code == 409 and again.json()["detail"][0]["field"] == "name"


HOSTILE_JOBS: list[tuple[Any, int, str]] = [
    ({}, 422, "name"),
    ({"name": "x", "every": 5}, 422, "action"),
    ({"name": "x", "action": "rebuild-site"}, 422, "schedule"),
    ({"name": "x", "every": 5, "cron": "* * * * *", "action": "rebuild-site"}, 422, "schedule"),
    ({"name": "x", "cron": "61 * * * *", "action": "rebuild-site"}, 422, "schedule"),
    ({"name": "x", "every": "5", "action": "rebuild-site"}, 422, "every"),
    ({"name": "x", "every": True, "action": "rebuild-site"}, 422, "every"),
    ({"name": "x", "every": 0, "action": "rebuild-site"}, 422, "schedule"),
    ({"name": "x", "every": 5, "action": "sweep"}, 422, "action"),
    ({"name": "x", "every": 5, "action": "rm -rf"}, 422, "action"),
    ({"name": "x", "every": 5, "action": "republish", "argument": 424242}, 422, "action"),
    ({"name": "x", "every": 5, "action": "republish", "argument": "<script>"}, 422, "action"),
    ({"name": "x", "every": 5, "action": "rebuild-tag", "argument": "a\u202eb"}, 422, "action"),
    ({"name": "x", "every": 5, "action": "rebuild-tag", "argument": "<img src=x onerror=a()>"},
     422, "action"),
    ({"name": "<script>alert(1)</script>", "every": 5, "action": "rebuild-site"}, 422, "name"),
    ({"name": "نشر", "every": 5, "action": "rebuild-site"}, 422, "name"),
    ({"name": "", "every": 5, "action": "rebuild-site"}, 422, "name"),
    ({"name": "x" * 5000, "every": 5, "action": "rebuild-site"}, 413, "body"),
    ({"name": "x", "every": 5, "action": "rebuild-site", "extra": 1}, 422, "extra"),
    ({"name": ["x"], "every": 5, "action": "rebuild-site"}, 422, "name"),
    ([1, 2], 422, "body"),
    ("a string", 422, "body"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "status", "field"), HOSTILE_JOBS)
def test_a_bad_job_over_http_is_refused_and_nothing_stored(
    api: Api, body: Any, status: int, field: str
) -> None:
    before = _stored_jobs(api)
    answer = api.client.post(
        "/ops/jobs",
        content=json.dumps(body),
        headers=api.operator | {"Content-Type": "application/json"},
    )
    assert answer.status_code == status, answer.text
    assert answer.json()["detail"][0]["field"].startswith(field), answer.text
    assert _stored_jobs(api) == before


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [(b"", "application/json", 400), (b"{", "application/json", 400),
     (b"[" * 100000, "application/json", 413), (b"{}", "text/plain", 415)],
)  # fmt: skip
def test_a_job_body_that_is_not_json_is_refused(
    api: Api, content: bytes, content_type: str, status: int
) -> None:
    answer = api.client.post(
        "/ops/jobs", content=content, headers=api.operator | {"Content-Type": content_type}
    )
    assert answer.status_code == status, answer.text
