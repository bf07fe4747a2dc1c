"""Search end to end on each backend, with real workers: an article submitted over HTTP is
found by every spelling once live, its new version's words replace the old, and a takedown
removes it from the results at once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.services import wait_until
from tests.system import BACKENDS, SEED_ARTICLE, RunningSystem, running_system

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", params=BACKENDS)
def system(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningSystem]:
    data_dir = tmp_path_factory.mktemp(f"search-{request.param}")
    with running_system(data_dir, request.param) as running:
        yield running


def search(system: RunningSystem, query: str, **params: Any) -> dict[str, Any]:
    response = system.client.get("/search.json", params={"q": query, **params})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def found_ids(system: RunningSystem, query: str) -> list[int]:
    return [result["id"] for result in search(system, query)["results"]]


def test_a_published_article_is_found_updated_and_taken_down(system: RunningSystem) -> None:
    # Given an article about investment in Marrakesh, submitted by an editor
    external_id = f"search-{system.settings.queue_prefix}"
    payload = SEED_ARTICLE | {
        "external_id": external_id,
        "title": "الاستثمارات الإيرانية تصل إلى مُراكش",
        "body": "قال الوزير إن وفدا من إيران زار بلجيكا.\n\nوأكد أن الاستثمار سيبلغ ٢٠٢٤ مليون.",
    }
    first = system.submit(payload)
    system.wait_for(first["id"], "live")

    # Then every spelling finds it, with the matched word marked in its snippet
    for query in ("الاستثمارات", "استثمار", "وبلجيكا", "بلجيكا", "إيران", "ايران", "مُراكش",
                  "مراكش", "2024"):  # fmt: skip
        assert found_ids(system, query) == [first["id"]], query
    answer = search(system, "بلجيكا")
    assert "<mark>بلجيكا</mark>" in answer["results"][0]["snippet"]
    assert answer["results"][0]["url"] == f"http://testserver/news/{first['id']}.html"
    page = system.client.get("/search", params={"q": "ايران"})
    assert page.status_code == 200 and f"/news/{first['id']}.html" in page.text

    # When a new version drops Belgium for Tunisia
    second = system.submit(payload | {"body": "قال الوزير إن وفدا من إيران زار تونس."})
    system.wait_for(first["id"], "live", version=second["version"])

    # Then the old version's words are gone and the new ones found
    assert found_ids(system, "بلجيكا") == []
    assert found_ids(system, "تونس") == [first["id"]]

    # When an editor takes it down, it is no result from the moment the answer comes
    response = system.client.post(f"/articles/{first['id']}/unpublish", headers=system.auth)
    assert response.status_code == 202, response.text
    assert found_ids(system, "مراكش") == [] and found_ids(system, "تونس") == []


def test_stop_words_and_operators_find_nothing_by_themselves(system: RunningSystem) -> None:
    accepted = system.submit(SEED_ARTICLE | {"title": "من في على وفد سوس ماسة"})
    system.wait_for(accepted["id"], "live")
    wait_until(lambda: found_ids(system, "سوس"), 30, "the article in the results")
    assert search(system, "من في على")["total"] == 0
    assert search(system, "OR * NEAR")["total"] == 0
    assert search(system, '"سوس')["total"] >= 1  # an unbalanced quote is only a character
