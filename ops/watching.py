"""`nashr queues` and `nashr status`: what operators watch, as tables a person reads.

`--json` gives scripts the same figures (`nashr queues --json` is GET /ops/queues).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Annotated

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table

from ops.commands import app, settings_for_command
from ops.timeline import timeline
from pipeline.domain.models import is_article_id
from pipeline.services.runtime import build_services
from pipeline.store.records import ArticleStatus

UNKNOWN = "—"


def _figure(value: float | int | None, rate: bool = False) -> str:
    if value is None:
        return UNKNOWN
    return f"{value:.2f}" if rate else str(value)


def _age(seconds: float | None) -> str:
    if seconds is None:
        return UNKNOWN
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"


def render_report(report: dict[str, object]) -> Group:
    """Three aligned tables: step queues, workers online, versions per status."""
    queues = Table(title=f"step queues ({report['transport']})", title_justify="left")
    for column in ("step", "queue", "waiting", "unacked", "consumers", "in/s", "out/s"):
        queues.add_column(column, justify="left" if column in ("step", "queue") else "right")
    queues.add_column("oldest waiting", justify="left")
    for q in report["queues"]:  # type: ignore[attr-defined]
        oldest = q["oldest_waiting"]
        queues.add_row(
            q["step"],
            q["queue"],
            _figure(q["waiting"]),
            _figure(q["unacked"]),
            _figure(q["consumers"]),
            _figure(q["rate_in"], rate=True),
            _figure(q["rate_out"], rate=True),
            "none"
            if oldest is None
            else f"article {oldest['article_id']}, {_age(oldest['seconds'])}",
        )
    workers = Table(title="workers online", title_justify="left")
    for column in ("worker", "queues", "running now"):
        workers.add_column(column)
    for worker in report["workers"]:  # type: ignore[attr-defined]
        workers.add_row(
            worker["name"], ", ".join(worker["queues"]), ", ".join(worker["running"]) or "idle"
        )
    if not report["workers"]:
        workers.add_row("none answered", "", "")
    versions = Table(title="current versions per status", title_justify="left")
    versions.add_column("status")
    versions.add_column("versions", justify="right")
    for status, count in sorted(report["versions"].items()):  # type: ignore[attr-defined]
        versions.add_row(status, str(count))
    return Group(queues, workers, versions)


@app.command()
def queues(
    watch: Annotated[bool, typer.Option("--watch", help="Refresh in place until Ctrl-C.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The figures as JSON.")] = False,
    interval: Annotated[float, typer.Option(min=0.5, max=3600, help="Seconds between.")] = 2.0,
) -> None:
    """Per step queue: waiting, unacknowledged, consumers, rates; workers; versions per status.

    "—" where the transport cannot tell a figure."""
    from prometheus_client import CollectorRegistry

    from tasks.app import create_celery
    from tasks.events import TaskEvents, receives_task_events
    from tasks.inspection import QueueInspector

    settings = settings_for_command()
    logging.getLogger("kombu.connection").setLevel(logging.ERROR)  # "No hostname was supplied"
    celery_app = create_celery(settings)
    events = TaskEvents(CollectorRegistry()) if watch and receives_task_events(settings) else None
    inspector = QueueInspector(celery_app, settings, build_services(settings), events)
    if not watch:
        report = inspector.report().as_json()
        if as_json:
            typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        else:
            Console().print(render_report(report))
        return
    if events is not None:
        events.watch(celery_app)
    console = Console()
    try:
        with Live(console=console, auto_refresh=False, transient=False) as live:
            while True:
                report = inspector.report().as_json()
                if as_json:
                    console.print_json(json.dumps(report, ensure_ascii=False))
                else:
                    live.update(render_report(report), refresh=True)
                time.sleep(interval)
    except KeyboardInterrupt:
        pass
    finally:
        if events is not None:
            events.stop()


@app.command()
def status(
    article_id: int,
    as_json: Annotated[
        bool, typer.Option("--json", help="Status, steps and reasons as JSON.")
    ] = False,
) -> None:
    """An article's timeline: each step's start, end, duration, attempt and error; then its
    reasons, tags and section."""
    found: ArticleStatus | None = (
        build_services(settings_for_command()).articles.status(article_id)
        if is_article_id(article_id)
        else None
    )
    if found is None:
        typer.echo(f"no article {article_id}", err=True)
        raise typer.Exit(1)
    if as_json:
        typer.echo(json.dumps(found.as_json(), ensure_ascii=False, indent=2))
        return
    console = Console()
    console.print(
        f"article {found.id} version {found.version}: [bold]{found.status.value}[/bold]"
        + (f" (live version {found.live_version})" if found.live_version else "")
    )
    table = Table(title="timeline (UTC)", title_justify="left")
    for column in ("step", "state", "start", "end", "duration", "attempt", "worker", "error"):
        table.add_column(column, justify="right" if column in ("duration", "attempt") else "left")
    for row in timeline(found.steps):
        table.add_row(
            row.step,
            row.state,
            row.start,
            row.end,
            row.duration,
            str(row.attempt),
            row.worker or UNKNOWN,
            row.error or "",
        )
    console.print(table)
    details = found.as_json()
    if found.reasons:
        console.print("reasons:")
        for reason in found.reasons:
            console.print(f"  - {reason}", markup=False)
    section = details.get("section")
    if section:
        console.print(f"section: {section} (confidence {details.get('confidence')})", markup=False)
    labels = [t["label"] for t in details.get("tags", [])] + [
        t["label"] for t in details.get("places", [])
    ]
    if labels:
        console.print("tags: " + "، ".join(labels), markup=False)
