"""API tokens from the shell: create, revoke, list (only hashes are stored)."""

from __future__ import annotations

from typing import Annotated

import typer

from ops.commands import settings_for_command, token_app
from pipeline.services.runtime import build_services
from pipeline.store.migrate import upgrade
from pipeline.store.tokens import Role


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option(help="Who the token is for (1-100 characters).")],
    role: Annotated[Role, typer.Option(help="editor submits; operator runs ops actions.")],
) -> None:
    """Create a token; it is printed once, as the last line, and stored only as a hash."""
    if not 0 < len(name.strip()) <= 100:
        typer.echo("--name must be 1 to 100 characters", err=True)
        raise typer.Exit(2)
    settings = settings_for_command()
    upgrade(settings.database)
    token = build_services(settings).tokens.create(name, role)
    typer.echo(f"token for {name} ({role.value}); keep it, it is not shown again:")
    typer.echo(token)


@token_app.command("revoke")
def token_revoke(name: str) -> None:
    """Revoke every live token with this name."""
    count = build_services(settings_for_command()).tokens.revoke(name)
    typer.echo(f"revoked {count} token(s)")
    if count == 0:
        raise typer.Exit(1)


@token_app.command("list")
def token_list() -> None:
    for name, role, revoked in build_services(settings_for_command()).tokens.list():
        typer.echo(f"{name}\t{role}\t{'revoked' if revoked else 'active'}")
