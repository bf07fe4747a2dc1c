"""Build services from Settings for the command line (the broker only where a command rings it)."""

from __future__ import annotations

from config.settings import Settings
from pipeline.services.runtime import Services, build_services


def make_services(settings: Settings) -> Services:
    return build_services(settings)
