"""Versions whose step ran out of retries are parked in `failed`, listed, and replayed once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.domain.models import Submission
from pipeline.domain.states import Step
from tests.faults.invariants import nashr
from tests.services import wait_until
from tests.system import SEED_ARTICLE, running_system

ARTICLES = 20


@pytest.mark.parametrize("backend", ["embedded", "postgres-rabbitmq"])
def test_failed_versions_are_listed_and_a_replay_publishes_each_once(
    backend: str, tmp_path: Path
) -> None:
    with running_system(tmp_path, backend) as system:
        store = system.store
        # Given articles whose validate step gave up before any worker could run it
        failed: set[int] = set()
        accepted: list[int] = []
        for n in range(ARTICLES):
            payload = dict(SEED_ARTICLE, title=f"{SEED_ARTICLE['title']} {n}", external_id=f"f{n}")
            done = store.accept(Submission.model_validate(payload))
            accepted.append(done.id)
            if store.fail(done.id, done.version, Step.VALIDATE, "retries exhausted"):
                failed.add(done.id)
        assert failed, "no version could be failed before a worker took it"

        # Then `nashr retry` lists exactly those, and nothing of them is published
        listed = {int(line.split("\t")[0]) for line in nashr(system, "retry").splitlines()}
        assert listed == failed
        for article_id in failed:
            assert system.status(article_id)["status"] == "failed"

        # When an operator replays them all
        answer = nashr(system, "retry", "--all")
        assert f"replayed {len(failed)} version" in answer

        # Then every article is live once, in each feed once, and nothing is left failed
        for article_id in accepted:
            system.wait_for(article_id, "live", version=1, timeout=120)
        assert nashr(system, "retry").strip() == ""

        def feed_ids() -> list[int] | None:
            response = system.get("/feeds/feed.json")
            if response.status_code != 200:
                return None
            items = json.loads(response.text)["items"]
            ids = [int(item["url"].rsplit("/", 1)[1].split(".")[0]) for item in items]
            return ids if set(accepted) <= set(ids) else None

        ids = wait_until(feed_ids, 60, "every replayed article in the JSON feed")
        assert sorted(i for i in ids if i in set(accepted)) == sorted(accepted)
