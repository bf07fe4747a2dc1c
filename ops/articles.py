"""Articles from the shell: status, tagging, queues, replays, republishing and takedowns."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ops.commands import app, settings_for_command
from pipeline.domain.models import MAX_IMAGES, is_article_id
from pipeline.services.runtime import build_services


@app.command()
def tag(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    jsonl: Annotated[
        bool, typer.Option("--jsonl", help="FILE holds one article per line; one answer each.")
    ] = False,
) -> None:
    """Tags, places and section for an article file (title, body, tags), offline."""
    from ops.tagging import TagInputError, tag_lines, tag_text
    from pipeline.enrich.step import Models

    settings = settings_for_command()
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
def retry(
    article_id: Annotated[int | None, typer.Argument()] = None,
    all_failed: Annotated[bool, typer.Option("--all", help="Replay every failed version.")] = False,
) -> None:
    """Replay failed versions from the step that failed."""
    from ops.queues import replay_failed

    settings = settings_for_command()
    if article_id is None and not all_failed:
        services = build_services(settings)
        for item in services.articles.failed():
            typer.echo(f"{item.article_id}\tv{item.version}\tfailed at {item.step.value}")
        for output in services.failures.listed():
            owner = f"article {output.article_id}" if output.article_id else "listing"
            typer.echo(f"output {output.path}\t{owner}\t{output.attempts}x\t{output.error}")
        return
    from ops.progress import progress_bar

    with progress_bar("replaying failed versions") as advance:
        try:
            replayed = replay_failed(settings, article_id, advance)
        except KeyboardInterrupt:
            typer.echo("nashr: stopped; each version replayed so far is whole", err=True)
            raise typer.Exit(130) from None
    typer.echo(f"replayed {replayed} version(s)")


@app.command()
def republish(
    article_id: Annotated[int | None, typer.Argument()] = None,
    all_articles: Annotated[
        bool, typer.Option("--all", help="Every live article's page, then the listings.")
    ] = False,
) -> None:
    """Render an article's page again, or the site's listings (no id), from the database."""
    services = build_services(settings_for_command())
    if all_articles:
        from ops.progress import progress_bar
        from pipeline.domain.jobs import Action, JobAction
        from pipeline.services.jobs import Interrupted

        with progress_bar("republishing every live article") as advance:
            try:
                detail, _ = services.jobs.perform(JobAction(Action.REBUILD_SITE), None, advance)
            except Interrupted as exc:
                typer.echo(f"nashr: {exc}; each of them whole", err=True)
                raise typer.Exit(130) from None
        typer.echo(detail)
    elif article_id is None:
        services.listings.rebuild()
        typer.echo("listings rebuilt")
    elif not is_article_id(article_id) or not services.publisher.republish(article_id):
        typer.echo(f"article {article_id} is not published", err=True)
        raise typer.Exit(1)
    else:
        services.listings.rebuild()
        typer.echo(f"article {article_id} republished")


@app.command()
def unpublish(article_id: Annotated[int, typer.Argument()]) -> None:
    """Take an article down now: its versions stop, its page answers 410, every listing drops it."""
    services = build_services(settings_for_command())
    taken = services.takedowns.unpublish(article_id) if is_article_id(article_id) else None
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
    services = build_services(settings_for_command())
    if not (is_article_id(article_id) and 0 <= image_index < MAX_IMAGES) or not (
        services.reports.show_again(article_id, image_index)
    ):
        typer.echo(f"image {image_index} of article {article_id} is not hidden", err=True)
        raise typer.Exit(1)
    services.publisher.republish(article_id)
    services.listings.rebuild()
    typer.echo(f"image {image_index} of article {article_id} is shown again")
