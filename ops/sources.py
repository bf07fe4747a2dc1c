"""`nashr sources …`: other outlets' feeds, pulled on a schedule and republished once each."""

from __future__ import annotations

import json
from typing import Annotated, cast

import typer
from rich.console import Console
from rich.table import Table

from ops.commands import app, settings_for_command
from pipeline.domain.models import SectionName
from pipeline.domain.sources import DEFAULT_EVERY_SECONDS, SourceError, SourceSpec
from pipeline.services.runtime import Services, build_services
from pipeline.store.database import utcnow

sources_app = typer.Typer(help="Sources: other outlets' feeds, each item published once.")
app.add_typer(sources_app, name="sources")


def _services() -> Services:
    return build_services(settings_for_command())


def _fail(message: str) -> typer.Exit:
    typer.echo(f"nashr: {message}", err=True)
    return typer.Exit(2)


@sources_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="A name of lower-case letters, digits, . _ -.")],
    url: Annotated[str, typer.Argument(help="The feed's http(s) URL.")],
    every: Annotated[
        int, typer.Option("--every", help="Fetch every SECONDS (at least 60).")
    ] = DEFAULT_EVERY_SECONDS,
    section: Annotated[
        str | None, typer.Option("--section", help="File every item under this section.")
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="Give every item this tag (repeatable).")
    ] = None,
    excerpt_only: Annotated[
        bool,
        typer.Option("--excerpt-only", help="Publish the summary and the link, not the text."),
    ] = False,
    backfill: Annotated[
        bool, typer.Option("--backfill", help="Publish the items already on the feed too.")
    ] = False,
) -> None:
    """Add a source; it is fetched at once. Nothing is stored on error."""
    try:
        spec = SourceSpec(
            name=name,
            url=url,
            every=every,
            section=_section(section),
            tags=tuple(tag or ()),
            excerpt_only=excerpt_only,
            backfill=backfill,
        )
        _services().sources.add(spec)
    except SourceError as exc:
        raise _fail(str(exc)) from None
    what = "excerpts" if excerpt_only else "full text"
    first = "every item on it now and to come" if backfill else "items from now on"
    typer.echo(f"source {name} added: {url} every {every}s, {what}, {first}")


def _section(given: str | None) -> SectionName | None:
    """Checked by the spec, which names the sections there are."""
    return cast(SectionName | None, given)


@sources_app.command("list")
def list_sources(
    as_json: Annotated[bool, typer.Option("--json", help="JSON, for scripts.")] = False,
) -> None:
    """Every source with its state (ok, not_modified, failing, idle) and its counts."""
    found = _services().sources.listing()
    if as_json:
        typer.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    table = Table(title="sources")
    columns = ("name", "state", "every", "last fetch", "items", "published", "last error")
    for column in columns:
        table.add_column(column, justify="right" if column in ("items", "published") else "left")
    for source in found:
        state = "paused" if source["paused"] else str(source["state"])
        table.add_row(
            str(source["name"]),
            state,
            f"{source['every']}s",
            str(source["last_fetch_at"] or "—"),
            str(source["items_seen"]),
            str(source["articles_published"]),
            str(source["last_error"] or ""),
        )
    Console().print(table)


@sources_app.command("show")
def show(name: str) -> None:
    """One source and its last fetches: when, the answer, what each found."""
    services = _services()
    try:
        source = services.sources.get(name)
    except SourceError as exc:
        raise _fail(str(exc)) from None
    for key, value in source.as_json(utcnow(), services.sources.rules.idle_after).items():
        typer.echo(f"{key:<20} {value}")
    table = Table(title="last fetches")
    for column in ("due", "trigger", "outcome", "http", "items", "published", "updated", "error"):
        table.add_column(column)
    for fetch in services.sources.store.history(name):
        table.add_row(
            f"{fetch.due_at:%Y-%m-%d %H:%M:%S}Z",
            fetch.trigger,
            fetch.outcome,
            str(fetch.http_status or "—"),
            str(fetch.items),
            str(fetch.published),
            str(fetch.updated),
            fetch.error or "",
        )
    Console().print(table)


@sources_app.command("pause")
def pause(name: str) -> None:
    """Stop fetching a source (its articles stay published)."""
    if not _services().sources.store.set_paused(name, True):
        raise _fail(f"no source named {name!r}")
    typer.echo(f"source {name} paused")


@sources_app.command("resume")
def resume(name: str) -> None:
    """Fetch it again, at once and then on its schedule."""
    if not _services().sources.store.set_paused(name, False):
        raise _fail(f"no source named {name!r}")
    typer.echo(f"source {name} resumed")


@sources_app.command("remove")
def remove(name: str) -> None:
    """Stop and forget a source; its articles stay, and its items are never published again."""
    if not _services().sources.store.remove(name):
        raise _fail(f"no source named {name!r}")
    typer.echo(f"source {name} removed")


@sources_app.command("fetch")
def fetch(name: str) -> None:
    """Fetch a source now, here, and say what came of it (exit 1 if the fetch failed)."""
    from tasks.app import create_celery
    from tasks.dispatch import Dispatcher

    settings = settings_for_command()
    services = build_services(settings)
    try:
        report = services.sources.fetch_now(name, Dispatcher(create_celery(settings), settings))
    except SourceError as exc:
        raise _fail(str(exc)) from None
    typer.echo(report.describe())
    if report.error:
        raise typer.Exit(1)
