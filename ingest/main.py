"""Entry point for uvicorn (`ingest.main:create_from_environment --factory`)."""

from __future__ import annotations

from fastapi import FastAPI

from config.logging import configure_logging
from config.settings import get_settings
from ingest.app import create_app


def create_from_environment() -> FastAPI:
    settings = get_settings()
    configure_logging(settings)
    return create_app(settings)
