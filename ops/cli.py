"""`nashr`: the one command operators and editors use."""

from __future__ import annotations

import typer

from ops import (  # noqa: F401  (each registers its commands)
    articles,
    check,
    jobs,
    run,
    sources,
    tokens,
    watching,
)
from ops.commands import app
from pipeline.domain.errors import NashrError, TransientError

__all__ = ["app", "main"]


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
