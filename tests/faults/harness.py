"""One fault run: a deployment sized for the invariants, its articles, a reader watching the
listings, and at the end the verdict and its figures."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pipeline.store.outputs import OutputStore
from tests.faults.invariants import judge, replay_failed, wait_settled
from tests.faults.report import FINISHED, Figures
from tests.faults.watch import ListingWatcher
from tests.faults.workload import ARTICLES, LISTING_SIZES, Workload
from tests.system import RunningSystem, running_system

BROKERS = ("postgres-rabbitmq", "postgres-redis")
"""Every fault runs on both production brokers, with PostgreSQL; some on the embedded default."""

FAULT_ENV = {
    **LISTING_SIZES,
    "NASHR_STUCK_AFTER_SECONDS": "5",
    "NASHR_SWEEP_INTERVAL_SECONDS": "1",
}
"""Lost messages are found within seconds, not the production minute."""

CONCURRENCY = 2
"""Pool processes per worker. Rebuilds are serialised by the site's lock, so one deployment
leaves CPU idle; the suite's runs go side by side instead (see `side_by_side`)."""

SETTLE_SECONDS = 300.0


@dataclass
class FaultRun:
    system: RunningSystem
    workload: Workload
    watcher: ListingWatcher
    figures: Figures
    started: float
    submitting: Future[None] | None = None

    def fault(self, what: str, count: int = 1) -> None:
        """Count and describe injected faults, with where the articles stood."""
        self.figures.faults_injected += count
        at = time.monotonic() - self.started
        self.figures.faults.append(f"{at:6.1f}s {what} [{self.progress()}]")

    def progress(self) -> str:
        counts = self.statuses()
        return " ".join(f"{status}={count}" for status, count in sorted(counts.items()))

    def statuses(self) -> dict[str, int]:
        store = self.system.store
        try:
            return store.count_by_status()
        finally:
            store.engine.dispose()

    def keys_by_status(self) -> dict[str, list[tuple[int, int]]]:
        """(article key, current version) of the articles accepted so far, by status."""
        keys = self.workload.keys()
        found: dict[str, list[tuple[int, int]]] = {}
        for article_id, version, status in self.workload.current():
            if article_id in keys:
                found.setdefault(status, []).append((keys[article_id], version))
        return found

    def live(self) -> int:
        return self.statuses().get("live", 0)

    def first_versions(self, count: int = ARTICLES) -> list[tuple[int, int]]:
        return [(key, 1) for key in range(count)]

    def submit_in_background(
        self,
        versions: Iterable[tuple[int, int]],
        threads: int = 8,
        per_second: float | None = None,
    ) -> Future[None]:
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="editors")
        self.submitting = pool.submit(self.workload.submit_all, list(versions), threads, per_second)
        pool.shutdown(wait=False)
        return self.submitting

    def wait_for_live(self, count: int, timeout: float = 180) -> None:
        """Until `count` articles are live: a fault is injected with the chain in full flow."""
        deadline = time.monotonic() + timeout
        while self.live() < count:
            if self.submitting is not None and self.submitting.done():
                self.submitting.result()  # an editor's error, not a silent stall
            assert time.monotonic() < deadline, (
                f"{count} articles not live in {timeout}s: {self.progress()}"
            )
            time.sleep(0.2)

    def conclude(self, count_faults: Callable[[], int] | None = None) -> Figures:
        """Wait for the end, replay failures, judge, report; then fail if anything was off."""
        figures = self.figures
        error: str | None = None
        try:
            wait_settled(self.system, self.workload, SETTLE_SECONDS)
            figures.failed, figures.replayed = replay_failed(self.system)
            if figures.failed:
                wait_settled(self.system, self.workload, SETTLE_SECONDS)
        except AssertionError as exc:
            error = str(exc)
        self.watcher.stop()
        verdict = judge(self.system, self.workload, self.watcher)
        if count_faults is not None:
            figures.faults_injected = count_faults()
        figures.articles_in_flight = self.workload.articles
        figures.submissions = self.workload.submissions
        figures.lost = len(verdict.lost)
        figures.duplicates = len(verdict.duplicates)
        figures.snapshots_checked = self.watcher.snapshots
        figures.problems = ([error] if error else []) + verdict.problems
        figures.seconds = round(time.monotonic() - self.started, 1)
        figures.save()
        FINISHED.append(figures)
        print("\n" + figures.line())
        for line in figures.faults:
            print(f"[faults]   {line}")
        assert error is None, error
        assert figures.articles_in_flight >= ARTICLES
        assert not verdict.lost and not verdict.duplicates and not verdict.problems, (
            figures.line() + "\n" + "\n".join(figures.problems)
        )
        assert figures.failed == figures.replayed
        return figures


@contextmanager
def fault_run(
    scenario: str,
    backend: str,
    data_dir: Path,
    *,
    extra_env: dict[str, str] | None = None,
    **deployment: Any,
) -> Iterator[FaultRun]:
    """A deployment (see `running_system` for `deployment`), its workload and the watcher."""
    started = time.monotonic()
    deployment.setdefault("concurrency", CONCURRENCY)
    with running_system(
        data_dir, backend, extra_env=FAULT_ENV | (extra_env or {}), **deployment
    ) as system:
        settings = system.settings
        workload = Workload(system, settings.queue_prefix)
        store = system.store
        try:
            outputs = OutputStore(store.engine)
            with ListingWatcher(outputs, settings.ticker_size) as watcher:
                yield FaultRun(system, workload, watcher, Figures(scenario, backend), started)
        finally:
            store.engine.dispose()


Scenario = Callable[[str, Path], None]
"""One whole fault run on a backend, in a data dir of its own; raises when an invariant fails."""


@dataclass
class Outcomes:
    """How each backend's run of a scenario ended: None, or what it raised."""

    ended: dict[str, BaseException | None]

    def check(self, backend: str) -> None:
        if backend not in self.ended:
            raise AssertionError(f"{backend} was not run")
        raised = self.ended[backend]
        if raised is not None:
            raise raised


def side_by_side(scenario: Scenario) -> Any:
    """A module fixture `outcomes`: the scenario on every selected backend at once, each in its
    own thread and deployment (own database, vhost or Redis db, queues, data dir, processes).

    Two deployments side by side keep the suite inside its budget; each parametrized test then
    reports its own backend's outcome.
    """

    @pytest.fixture(scope="module")
    def outcomes(
        request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
    ) -> Outcomes:
        backends = _selected_backends(request)
        with ThreadPoolExecutor(len(backends), thread_name_prefix="fault-run") as pool:
            running = {
                backend: pool.submit(scenario, backend, tmp_path_factory.mktemp(backend))
                for backend in backends
            }
            wait(running.values())
        return Outcomes({backend: done.exception() for backend, done in running.items()})

    return outcomes


def _selected_backends(request: pytest.FixtureRequest) -> list[str]:
    """The backends of this module's tests that this session will run (`-k` respected)."""
    chosen: list[str] = []
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        if getattr(item, "module", None) is request.module and callspec is not None:
            backend = callspec.params.get("backend")
            if backend is not None and backend not in chosen:
                chosen.append(backend)
    return chosen
