"""Entry point for uvicorn (`ingest.main:create_from_environment --factory`)."""

from __future__ import annotations

from fastapi import FastAPI

from config.collector import settle_after_startup
from config.logging import configure_logging
from config.settings import get_settings
from ingest.app import create_app


def create_from_environment() -> FastAPI:
    settings = get_settings()
    configure_logging(settings)
    app = create_app(settings)
    settle_after_startup()  # the server process keeps all of it: no collection need walk it
    return app
