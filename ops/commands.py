"""The `nashr` command's shared pieces: the Typer apps and the process's settings."""

from __future__ import annotations

import typer

from config.logging import configure_logging
from config.settings import Settings, get_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="nashr: Arabic news publishing.")
token_app = typer.Typer(no_args_is_help=True, help="API tokens (stored hashed).")
app.add_typer(token_app, name="token")


def settings_for_command() -> Settings:
    settings = get_settings()
    configure_logging(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings
