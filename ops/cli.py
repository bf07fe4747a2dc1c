"""`nashr`: the one command operators and editors use."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Annotated

import httpx
import typer

from config.celery import STEP_QUEUES
from config.logging import configure_logging
from config.settings import Settings, get_settings
from ops import supervisor
from ops.wiring import make_services
from pipeline.errors import NashrError, TransientError
from pipeline.models import MAX_ARTICLE_ID, MAX_IMAGES
from pipeline.store.migrate import upgrade
from pipeline.store.tokens import Role

app = typer.Typer(add_completion=False, no_args_is_help=True, help="nashr: Arabic news publishing.")
token_app = typer.Typer(no_args_is_help=True, help="API tokens (stored hashed).")
app.add_typer(token_app, name="token")


def _settings() -> Settings:
    settings = get_settings()
    configure_logging(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings


def _is_id(article_id: int) -> bool:
    return 0 < article_id <= MAX_ARTICLE_ID


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    upgrade(_settings().database)
    typer.echo("schema is up to date")


@app.command()
def up(
    host: str = "127.0.0.1",
    port: int = 8000,
    submit: Annotated[Path | None, typer.Option(help="Submit this article once running.")] = None,
) -> None:
    """Start the API, a worker and beat; Ctrl-C stops all of them."""
    settings = _settings()
    env = dict(os.environ)
    if settings.api_url is None and "NASHR_SITE_URL" not in env:
        env["NASHR_SITE_URL"] = f"http://{host}:{port}"
        settings = Settings(site_url=env["NASHR_SITE_URL"])
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
    procs.start("worker", supervisor.worker_command(settings), env)
    procs.start("beat", supervisor.beat_command(settings), env)
    procs.start("api", supervisor.api_command(host, port), env)
    try:
        if not _wait_healthy(base, procs):
            typer.echo("the API did not come up", err=True)
            raise typer.Exit(1)
        typer.echo(f"nashr is running at {base}/ (Ctrl-C to stop)")
        if submit is not None:
            _demo(settings, base, submit)
        while not stopping and procs.first_exit() is None:
            time.sleep(0.3)
        died = procs.first_exit()
        if died and not stopping:
            typer.echo(f"{died} stopped unexpectedly; stopping the rest", err=True)
            raise typer.Exit(1)
    finally:
        procs.stop()
        typer.echo("nashr stopped")


def _rebuild_listings_at_start(settings: Settings) -> None:
    """Start-up never depends on a rebuild: a failed one is logged and the next one mends it."""
    try:
        make_services(settings).listings.rebuild()
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


def _demo(settings: Settings, base: str, article: Path) -> None:
    """Submit the sample article and print where it can be read once it is live."""
    token = make_services(settings).tokens.create("make-run", Role.EDITOR)
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
    typer.echo(f"article {article_id}: {status.get('status')}")
    urls = status.get("urls") or {}
    assert isinstance(urls, dict)
    for label, path in [
        ("page", urls.get("page")),
        ("json", urls.get("json")),
        ("home", "/"),
        ("rss", "/feeds/rss.xml"),
        ("atom", "/feeds/atom.xml"),
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


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option(help="Who the token is for (1-100 characters).")],
    role: Annotated[Role, typer.Option(help="editor submits; operator runs ops actions.")],
) -> None:
    """Create a token; it is printed once, as the last line, and stored only as a hash."""
    if not 0 < len(name.strip()) <= 100:
        typer.echo("--name must be 1 to 100 characters", err=True)
        raise typer.Exit(2)
    settings = _settings()
    upgrade(settings.database)
    token = make_services(settings).tokens.create(name, role)
    typer.echo(f"token for {name} ({role.value}); keep it, it is not shown again:")
    typer.echo(token)


@token_app.command("revoke")
def token_revoke(name: str) -> None:
    """Revoke every live token with this name."""
    count = make_services(_settings()).tokens.revoke(name)
    typer.echo(f"revoked {count} token(s)")
    if count == 0:
        raise typer.Exit(1)


@token_app.command("list")
def token_list() -> None:
    for name, role, revoked in make_services(_settings()).tokens.list():
        typer.echo(f"{name}\t{role}\t{'revoked' if revoked else 'active'}")


@app.command()
def status(article_id: int) -> None:
    """An article's status, steps and reasons, as JSON."""
    found = make_services(_settings()).articles.status(article_id) if _is_id(article_id) else None
    if found is None:
        typer.echo(f"no article {article_id}", err=True)
        raise typer.Exit(1)
    typer.echo(
        json.dumps(
            found.as_json(),
            ensure_ascii=False,
            indent=2,
        )
    )


@app.command()
def tag(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    jsonl: Annotated[
        bool, typer.Option("--jsonl", help="FILE holds one article per line; one answer each.")
    ] = False,
) -> None:
    """Tags, places and section for an article file (title, body, tags), offline."""
    from ops.tagging import TagInputError, tag_lines, tag_text
    from pipeline.enrich import Models

    settings = _settings()
    models = Models.load()
    limits = (settings.section_threshold, settings.max_body_bytes)
    if not jsonl:
        try:
            answer = tag_text(file.read_text(encoding="utf-8"), models, *limits)
        except (TagInputError, UnicodeDecodeError) as exc:
            typer.echo(f"{file}: {exc}", err=True)
            raise typer.Exit(1) from None
        typer.echo(json.dumps(answer, ensure_ascii=False))
        return
    failed = 0
    with file.open(encoding="utf-8", errors="replace") as lines:
        for answer in tag_lines(lines, models, *limits):
            failed += "error" in answer
            typer.echo(json.dumps(answer, ensure_ascii=False))
    if failed:
        typer.echo(f"{failed} line(s) could not be tagged", err=True)
        raise typer.Exit(1)


@app.command()
def queues() -> None:
    """Messages waiting per queue, and article versions per status."""
    from ops.queues import queue_depths

    settings = _settings()
    for name, waiting, consumers in queue_depths(settings):
        typer.echo(f"{name:<20} waiting={waiting:<6} consumers={consumers}")
    for state, count in make_services(settings).articles.count_by_status().items():
        typer.echo(f"status {state:<13} {count}")


@app.command()
def retry(
    article_id: Annotated[int | None, typer.Argument()] = None,
    all_failed: Annotated[bool, typer.Option("--all", help="Replay every failed version.")] = False,
) -> None:
    """Replay failed versions from the step that failed."""
    from ops.queues import replay_failed

    settings = _settings()
    if article_id is None and not all_failed:
        services = make_services(settings)
        for item in services.articles.failed():
            typer.echo(f"{item.article_id}\tv{item.version}\tfailed at {item.step.value}")
        for output in services.failures.listed():
            owner = f"article {output.article_id}" if output.article_id else "listing"
            typer.echo(f"output {output.path}\t{owner}\t{output.attempts}x\t{output.error}")
        return
    replayed = replay_failed(settings, article_id)
    typer.echo(f"replayed {replayed} version(s)")


@app.command()
def republish(
    article_id: Annotated[int | None, typer.Argument()] = None,
) -> None:
    """Render an article's page again, or the site's listings (no id), from the database."""
    services = make_services(_settings())
    if article_id is None:
        services.listings.rebuild()
        typer.echo("listings rebuilt")
    elif not _is_id(article_id) or not services.publisher.republish(article_id):
        typer.echo(f"article {article_id} is not published", err=True)
        raise typer.Exit(1)
    else:
        services.listings.rebuild()
        typer.echo(f"article {article_id} republished")


@app.command()
def unpublish(article_id: Annotated[int, typer.Argument()]) -> None:
    """Take an article down now: its versions stop, its page answers 410, every listing drops it."""
    services = make_services(_settings())
    taken = services.takedowns.unpublish(article_id) if _is_id(article_id) else None
    if taken is None:
        typer.echo(f"no article {article_id}", err=True)
        raise typer.Exit(1)
    services.listings.rebuild()
    typer.echo(f"article {article_id} unpublished ({taken.versions} version(s) taken down)")


@app.command("show-image")
def show_image(
    article_id: Annotated[int, typer.Argument()],
    image_index: Annotated[int, typer.Argument(help="The image's place, counted from 0.")],
) -> None:
    """Show again an image readers' reports have hidden, and republish its article."""
    services = make_services(_settings())
    if not (_is_id(article_id) and 0 <= image_index < MAX_IMAGES) or not (
        services.reports.show_again(article_id, image_index)
    ):
        typer.echo(f"image {image_index} of article {article_id} is not hidden", err=True)
        raise typer.Exit(1)
    services.publisher.republish(article_id)
    services.listings.rebuild()
    typer.echo(f"image {image_index} of article {article_id} is shown again")


@app.command()
def jobs() -> None:
    """The scheduled (beat) jobs."""
    from tasks.app import create_celery

    for name, entry in create_celery(_settings()).conf.beat_schedule.items():
        typer.echo(f"{name}\t{entry['task']}\tevery {entry['schedule']}s")


@app.command()
def worker(
    queue: Annotated[list[str] | None, typer.Option("-Q", help="Queues (default: all).")] = None,
) -> None:
    """Run one Celery worker (for deployments that split processes)."""
    settings = _settings()
    command = supervisor.worker_command(settings, queue or STEP_QUEUES)
    os.execv(sys.executable, command)


@app.command()
def api(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the API alone: on another machine it needs only the database and broker URLs."""
    _settings()
    os.execv(sys.executable, supervisor.api_command(host, port))


@app.command()
def beat() -> None:
    """Run the scheduler that sends the sweeper (exactly one per deployment is best)."""
    os.execv(sys.executable, supervisor.beat_command(_settings()))


def main() -> None:
    try:
        app()
    except TransientError as exc:
        typer.echo(
            f"nashr: {exc} (is the database in NASHR_DATABASE_URL running and reachable?)",
            err=True,
        )
        raise SystemExit(1) from None
    except NashrError as exc:
        typer.echo(f"nashr: {exc} (has `nashr migrate` run on this database?)", err=True)
        raise SystemExit(1) from None
