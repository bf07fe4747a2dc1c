"""Running nashr: migrate, the whole system on one machine (`up`), and its pieces apart."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import httpx
import typer

from config.celery import FETCH_QUEUE, PUBLISHING_QUEUES, STEP_QUEUES
from config.settings import Settings, get_settings
from ops import supervisor
from ops.commands import app, settings_for_command
from ops.terminal import QuietTerminal
from pipeline.domain.models import SITE_FEEDS
from pipeline.services.runtime import build_services
from pipeline.store.migrate import upgrade
from pipeline.store.tokens import Role


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    upgrade(settings_for_command().database)
    typer.echo("schema is up to date")


@app.command()
def up(
    host: str = "127.0.0.1",
    port: int = 8000,
    submit: Annotated[Path | None, typer.Option(help="Submit this article once running.")] = None,
    verbose: Annotated[
        bool, typer.Option("-v", "--verbose", help="Every process's log on the terminal.")
    ] = False,
) -> None:
    """Start the API, a worker and beat; Ctrl-C stops all of them.

    In a terminal it prints the URLs and one live status line (full logs in
    NASHR_DATA_DIR/logs/, or here with -v); without one, or with JSON logs, it logs as before."""
    if supervisor.port_taken(host, port):
        typer.echo(
            f"port {port} on {host} is taken: is another nashr up running? (use --port)", err=True
        )
        raise typer.Exit(1)
    settings = settings_for_command()
    env = dict(os.environ)
    if settings.api_url is None and "NASHR_SITE_URL" not in env:
        env["NASHR_SITE_URL"] = f"http://{host}:{port}"
        settings = Settings(site_url=env["NASHR_SITE_URL"])
    quiet = None
    if not verbose and settings.log_format == "text" and sys.stdout.isatty():
        quiet = QuietTerminal(settings)
        quiet.route_logging(settings)
    upgrade(settings.database)
    _rebuild_listings_at_start(settings)
    base = f"http://{host}:{port}"
    procs = supervisor.Supervisor()
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    for name, command in (
        ("worker", supervisor.worker_command(settings, PUBLISHING_QUEUES)),
        ("fetcher", supervisor.worker_command(settings, (FETCH_QUEUE,))),
        ("beat", supervisor.beat_command(settings)),
        ("api", supervisor.api_command(host, port)),
    ):
        procs.start(name, command, env, quiet.output_for(name) if quiet else None)
    try:
        if not _wait_healthy(base, procs):
            typer.echo("the API did not come up", err=True)
            raise typer.Exit(1)
        typer.echo(f"nashr is running at {base}/ (Ctrl-C to stop)")
        if quiet is not None:
            typer.echo(f"logs in {quiet.where()}/ (nashr up -v shows them here)")
        if submit is not None:
            _demo(settings, base, submit)
        if quiet is not None:
            quiet.show_status(status_line(settings))
        while not stopping and procs.first_exit() is None:
            time.sleep(0.3)
        died = procs.first_exit()
        if died and not stopping:
            typer.echo(f"{died} stopped unexpectedly; stopping the rest", err=True)
            raise typer.Exit(1)
    finally:
        if quiet is not None:
            quiet.stop()
        procs.stop()
        typer.echo("nashr stopped")


def status_line(settings: Settings) -> Callable[[], str]:
    """Articles per status and messages waiting, for the terminal's live line."""
    from tasks.app import create_celery
    from tasks.dispatch import Dispatcher

    services = build_services(settings)
    dispatcher = Dispatcher(create_celery(settings), settings)

    def line() -> str:
        counts = services.articles.count_by_status()
        depths = dispatcher.waiting(STEP_QUEUES)
        known = [depth for depth in depths.values() if depth is not None]
        waiting = str(sum(known)) if len(known) == len(depths) else "—"
        articles = ", ".join(f"{status} {n}" for status, n in sorted(counts.items())) or "none yet"
        return f"articles: {articles} | messages waiting: {waiting} | Ctrl-C to stop"

    return line


def _rebuild_listings_at_start(settings: Settings) -> None:
    """Start-up never depends on a rebuild: a failed one is logged and the next one mends it."""
    try:
        build_services(settings).listings.rebuild()
    except Exception as exc:
        typer.echo(f"listings not rebuilt at start ({type(exc).__name__}); the next rebuild will")


def _wait_healthy(base: str, procs: supervisor.Supervisor, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and procs.first_exit() is None:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    return False


DEMO_TOKEN = "make-run"


def _demo(settings: Settings, base: str, article: Path) -> None:
    """Submit the sample article and print where it can be read once it is live; the editor
    token made for it is revoked as soon as it has done its job, so starts never pile them up."""
    tokens = build_services(settings).tokens
    token = tokens.create(DEMO_TOKEN, Role.EDITOR)
    try:
        answer = _post_article(base, token, article)
        article_id = answer["id"]
        headers = {"Authorization": f"Bearer {token}"}
        deadline = time.monotonic() + 120
        status: dict[str, object] = {}
        while time.monotonic() < deadline:
            status = httpx.get(f"{base}/articles/{article_id}", headers=headers, timeout=5).json()
            if status.get("status") in ("live", "rejected", "failed"):
                break
            time.sleep(0.3)
    finally:
        tokens.revoke(DEMO_TOKEN)
    typer.echo(f"article {article_id}: {status.get('status')}")
    urls = status.get("urls") or {}
    assert isinstance(urls, dict)
    for label, path in [
        ("page", urls.get("page")),
        ("json", urls.get("json")),
        ("home", "/"),
        ("rss", SITE_FEEDS["rss"]),
        ("atom", SITE_FEEDS["atom"]),
        ("ticker", "/ticker.json"),
    ]:
        typer.echo(f"  {label:<7} {base}{path}")


def _post_article(base: str, token: str, article: Path) -> dict[str, int]:
    try:
        response = httpx.post(
            f"{base}/articles",
            content=article.read_bytes(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            timeout=30,
        )
    except httpx.HTTPError as exc:
        typer.echo(f"cannot reach the API at {base}: {type(exc).__name__}", err=True)
        raise typer.Exit(1) from None
    if response.status_code != 202:
        typer.echo(f"refused ({response.status_code}): {response.text}", err=True)
        raise typer.Exit(1)
    answer: dict[str, int] = response.json()
    return answer


@app.command()
def submit(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
) -> None:
    """Submit an article (JSON file) with NASHR_TOKEN; prints the article id."""
    settings = get_settings()
    if settings.token is None:
        typer.echo("set NASHR_TOKEN to an editor token (nashr token create)", err=True)
        raise typer.Exit(2)
    base = settings.api_url or settings.site_url
    answer = _post_article(base, settings.token.get_secret_value(), file)
    typer.echo(answer["id"])


@app.command()
def worker(
    queue: Annotated[list[str] | None, typer.Option("-Q", help="Queues (default: all).")] = None,
) -> None:
    """Run one Celery worker (for deployments that split processes)."""
    settings = settings_for_command()
    command = supervisor.worker_command(settings, queue or STEP_QUEUES)
    os.execv(sys.executable, command)


@app.command()
def api(
    host: str = "127.0.0.1",
    port: int = 8000,
    forwarded_allow_ips: Annotated[
        str, typer.Option(help="Proxies whose X-Forwarded-For is believed ('*' behind nginx).")
    ] = "127.0.0.1",
) -> None:
    """Run the API alone: on another machine it needs only the database and broker URLs."""
    settings_for_command()
    os.execv(sys.executable, supervisor.api_command(host, port, forwarded_allow_ips))


@app.command()
def beat() -> None:
    """Run beat: it claims due job runs in the database, so any number of beats may run."""
    os.execv(sys.executable, supervisor.beat_command(settings_for_command()))
