"""`nashr jobs …`: scheduled jobs, stored in the database, added and managed at run time."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ops.commands import app, settings_for_command
from ops.progress import progress_bar
from pipeline.domain.jobs import Action, Job, JobAction, JobError, Schedule
from pipeline.services.jobs import Interrupted
from pipeline.services.runtime import Services, build_services

jobs_app = typer.Typer(help="Scheduled jobs: each due run happens once, however many beats run.")
app.add_typer(jobs_app, name="jobs")


def _services() -> Services:
    services = build_services(settings := settings_for_command())
    services.jobs.ensure_built_in(
        settings.sweep_interval_seconds, settings.refresh_interval_seconds
    )
    return services


def _fail(message: str) -> typer.Exit:
    typer.echo(f"nashr: {message}", err=True)
    return typer.Exit(2)


@jobs_app.callback(invoke_without_command=True)
def jobs(context: typer.Context) -> None:
    """With no command: one line a job, tab-separated (name, task, schedule), as before."""
    if context.invoked_subcommand is None:
        for job in _services().jobs.store.all():
            task = f"nashr.{job.action.action.value}" if job.built_in else "nashr.job"
            every = job.schedule.every_seconds
            when = f"every {every}s" if every is not None else job.schedule.describe()
            typer.echo(f"{job.name}\t{task}\t{when}")


@jobs_app.command("list")
def list_jobs(
    as_json: Annotated[bool, typer.Option("--json", help="JSON, for scripts.")] = False,
) -> None:
    """Every job with its schedule, action, state and runs (the built-in ones too)."""
    found = _services().jobs.store.all()
    if as_json:
        typer.echo(json.dumps([job.as_json() for job in found], ensure_ascii=False, indent=2))
        return
    Console().print(_table(found))


def _table(found: list[Job]) -> Table:
    table = Table(title="scheduled jobs")
    for column in ("name", "schedule", "action", "state", "next run", "last run", "runs"):
        table.add_column(column, justify="right" if column == "runs" else "left")
    for job in found:
        table.add_row(
            job.name + (" (built in)" if job.built_in else ""),
            job.schedule.describe(),
            job.action.describe(),
            "paused" if job.paused else "active",
            _when(job.next_run_at),
            _when(job.last_run_at),
            str(job.runs),
        )
    return table


def _when(moment: object) -> str:
    return "—" if moment is None else f"{moment:%Y-%m-%d %H:%M:%S}Z"


@jobs_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="A name of lower-case letters, digits, . _ -.")],
    every: Annotated[float | None, typer.Option("--every", help="Run every SECONDS.")] = None,
    cron: Annotated[str | None, typer.Option("--cron", help='"m h dom mon dow", UTC.')] = None,
    republish: Annotated[
        int | None, typer.Option("--republish", help="Bring article ID to the top.")
    ] = None,
    rebuild_tag: Annotated[
        str | None, typer.Option("--rebuild-tag", help="Render a tag's articles again.")
    ] = None,
    rebuild_site: Annotated[
        bool, typer.Option("--rebuild-site", help="Render every page and listing again.")
    ] = False,
    expire_ticker: Annotated[
        float | None, typer.Option("--expire-ticker", help="Drop headlines older than HOURS.")
    ] = None,
) -> None:
    """Add a job: a schedule (--every or --cron) and one action. Nothing is stored on error."""
    try:
        actions = [
            JobAction(Action.REPUBLISH, str(republish)) if republish is not None else None,
            JobAction(Action.REBUILD_TAG, rebuild_tag) if rebuild_tag is not None else None,
            JobAction(Action.REBUILD_SITE) if rebuild_site else None,
            JobAction(Action.EXPIRE_TICKER, repr(expire_ticker))
            if expire_ticker is not None
            else None,
        ]
        chosen = [a for a in actions if a is not None]
        if len(chosen) != 1:
            raise JobError(
                "action: give exactly one of --republish ID, --rebuild-tag SLUG, "
                "--rebuild-site, --expire-ticker HOURS"
            )
        job = _services().jobs.add(name, Schedule(every, cron), chosen[0])
    except JobError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"job {job.name} added: {job.schedule.describe()}, {job.action.describe()}")


@jobs_app.command("pause")
def pause(name: str) -> None:
    """Stop claiming the job's runs until it is resumed."""
    if not _services().jobs.store.set_paused(name, True):
        raise _fail(f"no job named {name!r}")
    typer.echo(f"job {name} paused")


@jobs_app.command("resume")
def resume(name: str) -> None:
    """Claim its runs again, from the next slot after now."""
    if not _services().jobs.store.set_paused(name, False):
        raise _fail(f"no job named {name!r}")
    typer.echo(f"job {name} resumed")


@jobs_app.command("remove")
def remove(name: str) -> None:
    """Remove a job and its history (the built-in ones can only be paused)."""
    try:
        removed = _services().jobs.store.remove(name)
    except JobError as exc:
        raise _fail(str(exc)) from None
    if not removed:
        raise _fail(f"no job named {name!r}")
    typer.echo(f"job {name} removed")


@jobs_app.command("run")
def run_now(name: str) -> None:
    """Run the job now, here, recorded in its history; long ones show a progress bar."""
    services = _services()
    try:
        claimed = services.jobs.store.claim_manual(name)
    except JobError as exc:
        raise _fail(str(exc)) from None
    sweeping = None
    if claimed.action.action in (Action.SWEEP, Action.REFRESH):
        from ops.queues import broker_sweeping

        sweeping = broker_sweeping(services.settings)
    with progress_bar(f"{name}: {claimed.action.describe()}") as advance:
        try:
            result = services.jobs.run_claimed(claimed.run_id, name, sweeping, advance)
        except Interrupted as exc:
            raise _fail(f"job {name} interrupted: {exc}") from None
    if result is None or result.error:
        raise _fail(f"job {name} failed: {result.error if result else 'not started'}")
    typer.echo(f"job {name} done: {result.detail}")


@jobs_app.command("history")
def history(
    name: str,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The job's latest runs: when due, how triggered, outcome, error."""
    services = _services()
    if services.jobs.store.get(name) is None:
        raise _fail(f"no job named {name!r}")
    runs = services.jobs.store.history(name, limit)
    if as_json:
        typer.echo(json.dumps([run.as_json() for run in runs], ensure_ascii=False, indent=2))
        return
    table = Table(title=f"runs of {name}")
    for column in ("due", "trigger", "outcome", "started", "finished", "detail or error"):
        table.add_column(column)
    for run in runs:
        table.add_row(
            _when(run.due_at),
            run.trigger,
            run.outcome.value,
            _when(run.started_at),
            _when(run.finished_at),
            run.error or run.detail or "",
        )
    Console().print(table)
