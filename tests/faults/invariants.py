"""What must hold after any fault: every accepted article published exactly once, at its newest
version, on its page and in every feed; at most once on the ticker; failures replayable.

Written once, used by every fault test through `FaultRun.conclude()`.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from pipeline.domain.models import article_json_path
from pipeline.store.outputs import OutputStore
from pipeline.store.schema import IS_CURRENT_VERSION, article_versions, articles, step_events
from tests.faults.watch import LISTINGS, ListingWatcher
from tests.faults.workload import Workload
from tests.services import ROOT, wait_until
from tests.system import RunningSystem

FEEDS = ("/feeds/rss.xml", "/feeds/atom.xml", "/feeds/feed.json")
TICKER = "/ticker.json"


@dataclass
class Verdict:
    lost: set[int] = field(default_factory=set)
    duplicates: set[tuple[str, int]] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    def note(self, problem: str) -> None:
        if len(self.problems) < 60:
            self.problems.append(problem)


def wait_settled(system: RunningSystem, workload: Workload, timeout: float) -> dict[str, int]:
    """Until every article's newest version is `live` or `failed`; nothing else is an end."""
    store = system.store
    try:

        def settled() -> dict[str, int] | None:
            counts = store.count_by_status()
            done = counts.get("live", 0) + counts.get("failed", 0)
            return counts if done == workload.articles == sum(counts.values()) else None

        try:
            return wait_until(settled, timeout, "every article to be live or failed")
        except AssertionError as exc:
            logs = "\n".join(w.log_tail(15) for w in system.workers)
            raise AssertionError(f"{exc}: {store.count_by_status()}\n{logs}") from None
    finally:
        store.engine.dispose()


def nashr(system: RunningSystem, *args: str) -> str:
    """The operator's command line, as a subprocess with the deployment's environment."""
    script = Path(sys.executable).with_name("nashr")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "ops.cli"]
    done = subprocess.run(
        [*command, *args], cwd=ROOT, env=system.env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"nashr {' '.join(args)}: {done.stderr}"
    return done.stdout


def replay_failed(system: RunningSystem) -> tuple[int, int]:
    """Failed versions must be listed by `nashr retry` and replayed by `nashr retry --all`."""
    store = system.store
    try:
        failed = {(p.article_id, p.version, p.step.value) for p in store.failed(limit=10_000)}
    finally:
        store.engine.dispose()
    if not failed:
        return 0, 0
    listed = set()
    for line in nashr(system, "retry").splitlines():
        if found := re.fullmatch(r"(\d+)\tv(\d+)\tfailed at (\w+)", line.strip()):
            listed.add((int(found.group(1)), int(found.group(2)), found.group(3)))
    assert listed == failed, f"`nashr retry` lists {sorted(listed)}, failed are {sorted(failed)}"
    answer = nashr(system, "retry", "--all")
    replayed = re.search(r"replayed (\d+) version", answer)
    assert replayed, answer
    return len(failed), int(replayed.group(1))


def judge(system: RunningSystem, workload: Workload, watcher: ListingWatcher) -> Verdict:
    """The end state as readers and editors see it, and what the watcher saw on the way."""
    verdict = Verdict()
    _judge_articles(system, workload, verdict)
    _judge_listings(system, workload, verdict)
    _judge_steps(system, verdict)
    for path, article_id in watcher.vanished:
        verdict.lost.add(article_id)
        verdict.note(f"{path}: article {article_id} vanished from a snapshot")
    verdict.duplicates |= watcher.duplicates
    for path, article_id in watcher.went_back:
        verdict.note(f"{path}: article {article_id} went back to an older version")
    verdict.problems.extend(p for p in watcher.problems if p.startswith("watcher failed"))
    return verdict


def _judge_articles(system: RunningSystem, workload: Workload, verdict: Verdict) -> None:
    """Straight from the store and the stored outputs: 200 API calls would cost seconds."""
    engine = system.store.engine
    try:
        with engine.connect() as db:
            rows = db.execute(
                select(
                    articles.c.id,
                    articles.c.current_version,
                    articles.c.live_version,
                    article_versions.c.status,
                ).join(article_versions, IS_CURRENT_VERSION)
            ).all()
    finally:
        engine.dispose()
    found = {row.id: (row.status, row.current_version, row.live_version) for row in rows}
    store = system.store
    try:
        pages = OutputStore(store.engine).get(*(article_json_path(i) for i in workload.latest))
    finally:
        store.engine.dispose()
    for article_id, version in sorted(workload.latest.items()):
        status = found.get(article_id)
        if status != ("live", version, version):
            verdict.lost.add(article_id)
            verdict.note(
                f"article {article_id}: (status, version, live) {status}, not live v{version}"
            )
            continue
        page = pages.get(article_json_path(article_id))
        shown = json.loads(page.body).get("version") if page else None
        if shown != version:
            verdict.lost.add(article_id)
            verdict.note(f"/news/{article_id}.json shows v{shown}, expected v{version}")


def _judge_listings(system: RunningSystem, workload: Workload, verdict: Verdict) -> None:
    for path in (*FEEDS, TICKER):
        response = system.get(path)  # as readers get them, through the API's site
        assert response.status_code == 200, f"{path}: {response.status_code}"
        entries = LISTINGS[path](response.content)
        counts = Counter(article_id for article_id, _ in entries)
        shown = dict(entries)
        for article_id, version in workload.latest.items():
            if counts[article_id] > 1:
                verdict.duplicates.add((path, article_id))
                verdict.note(f"{path}: article {article_id} appears {counts[article_id]} times")
            elif counts[article_id] == 0 and path != TICKER:
                verdict.lost.add(article_id)
                verdict.note(f"{path}: article {article_id} is missing")
            elif counts[article_id] == 1 and shown[article_id] != version:
                verdict.lost.add(article_id)
                verdict.note(
                    f"{path}: article {article_id} shows v{shown[article_id]}, not v{version}"
                )
        strangers = set(counts) - set(workload.latest)
        if strangers:
            verdict.note(f"{path}: articles nobody submitted: {sorted(strangers)[:10]}")


def _judge_steps(system: RunningSystem, verdict: Verdict) -> None:
    """Compare-and-set lets each step of a version finish once, however often it ran."""
    engine = system.store.engine
    try:
        with engine.connect() as db:
            repeated = db.execute(
                select(step_events.c.article_id, step_events.c.version, step_events.c.step)
                .where(step_events.c.state == "done")
                .group_by(step_events.c.article_id, step_events.c.version, step_events.c.step)
                .having(func.count() > 1)
            ).all()
    finally:
        engine.dispose()
    for article_id, version, step in repeated:
        verdict.duplicates.add((f"step {step}", article_id))
        verdict.note(f"article {article_id} v{version}: step {step} done more than once")
