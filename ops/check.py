"""`nashr check`: exit 0 only when the deployment is healthy, and say what is not.

Compose's healthchecks run it (each service with the checks that concern it, `--only`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

import typer

from config.celery import STEP_QUEUES
from config.settings import Settings
from ops.commands import app, settings_for_command
from pipeline.domain.errors import NashrError
from pipeline.domain.sources import SourceState
from pipeline.services.jobs import BUILT_IN_SWEEP
from pipeline.services.runtime import Services, build_services
from pipeline.store.database import utcnow
from pipeline.store.operations import OperationsQueries

STUCK_BOUND_FACTOR = 3
"""A version is stuck past the bound when it has not moved for this many stuck intervals:
the sweeper has sent it again that many times without effect."""
SWEEPER_FACTOR = 3


@dataclass(frozen=True)
class Outcome:
    name: str
    ok: bool
    detail: str


def check_database(settings: Settings, services: Services) -> Outcome:
    ok = services.articles.ping()
    return Outcome("database", ok, "answers" if ok else "does not answer")


def check_broker(settings: Settings, services: Services) -> Outcome:
    from tasks.app import create_celery
    from tasks.dispatch import BROKER_ERRORS

    try:
        with create_celery(settings).connection_for_read() as connection:
            connection.ensure_connection(max_retries=1, timeout=3)
    except BROKER_ERRORS as exc:
        return Outcome("broker", False, f"does not answer ({type(exc).__name__})")
    return Outcome("broker", True, "answers")


def check_consumers(settings: Settings, services: Services) -> Outcome:
    from tasks.app import create_celery
    from tasks.inspection import QueueInspector

    report = QueueInspector(create_celery(settings), settings, services).report(with_workers=False)
    missing = [q.queue for q in report.queues if not q.consumers]
    if missing:
        return Outcome("consumers", False, "no consumer for " + ", ".join(missing))
    return Outcome("consumers", True, f"every step queue has one ({len(STEP_QUEUES)} queues)")


def check_sweeper(settings: Settings, services: Services) -> Outcome:
    last = services.jobs.store.last_finished(BUILT_IN_SWEEP)
    bound = timedelta(seconds=SWEEPER_FACTOR * settings.sweep_interval_seconds)
    if last is None:
        return Outcome("sweeper", False, "has never run")
    ago = utcnow() - last
    if ago > bound:
        return Outcome("sweeper", False, f"last ran {ago.total_seconds():.0f}s ago")
    return Outcome("sweeper", True, f"ran {ago.total_seconds():.1f}s ago")


def check_stuck(settings: Settings, services: Services) -> Outcome:
    bound = timedelta(seconds=STUCK_BOUND_FACTOR * settings.stuck_after_seconds)
    stuck = OperationsQueries(services.articles.engine).stuck(utcnow() - bound)
    if stuck:
        return Outcome(
            "stuck", False, f"{stuck} version(s) have not moved for {bound.total_seconds():.0f}s"
        )
    return Outcome("stuck", True, f"no version stuck past {bound.total_seconds():.0f}s")


def check_sources(settings: Settings, services: Services) -> Outcome:
    """A failing or idle source is an import that stopped: named here, not left to be found."""
    states = services.sources.states()
    paused = {s.name for s in services.sources.store.all() if s.paused}
    wrong = [
        f"{name} is {state.value}"
        for name, state in sorted(states.items())
        if name not in paused and state in (SourceState.FAILING, SourceState.IDLE)
    ]
    if wrong:
        return Outcome("sources", False, "; ".join(wrong))
    return Outcome("sources", True, f"{len(states) - len(paused)} active source(s) fetch well")


CHECKS: dict[str, Callable[[Settings, Services], Outcome]] = {
    "database": check_database,
    "broker": check_broker,
    "consumers": check_consumers,
    "sweeper": check_sweeper,
    "stuck": check_stuck,
    "sources": check_sources,
}


@app.command()
def check(
    only: Annotated[
        list[str] | None,
        typer.Option("--only", help=f"Run only these checks: {', '.join(CHECKS)}."),
    ] = None,
) -> None:
    """Exit 0 when the database and broker answer, every queue has a consumer, the sweeper
    ran within 3 intervals, no version is stuck past the bound and no active source is failing
    or idle; 1 otherwise."""
    chosen = only or list(CHECKS)
    unknown = [name for name in chosen if name not in CHECKS]
    if unknown:
        typer.echo(
            f"nashr: unknown check {', '.join(unknown)} (known: {', '.join(CHECKS)})", err=True
        )
        raise typer.Exit(2)
    settings = settings_for_command()
    logging.getLogger("kombu.connection").setLevel(logging.ERROR)
    services = build_services(settings)
    failed = 0
    database_down = False
    for name in chosen:
        if name in ("sweeper", "stuck", "sources") and database_down:
            outcome = Outcome(name, False, "not checked: the database does not answer")
        else:
            try:
                outcome = CHECKS[name](settings, services)
            except NashrError as exc:
                outcome = Outcome(name, False, str(exc))
        failed += not outcome.ok
        database_down = database_down or (name == "database" and not outcome.ok)
        typer.echo(f"{'ok  ' if outcome.ok else 'FAIL'}  {outcome.name:<10} {outcome.detail}")
    raise typer.Exit(1 if failed else 0)
