"""What a worker process needs, built lazily after fork: the services and the doorbell."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from celery import current_app

from config.settings import Settings, get_settings
from pipeline.services.runtime import Services, build_services
from pipeline.services.steps import Steps
from pipeline.services.sweep import Sweeper
from pipeline.store.articles import ArticleStore
from tasks.dispatch import Dispatcher


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    services: Services
    dispatcher: Dispatcher
    sweeper: Sweeper
    steps: Steps

    @property
    def articles(self) -> ArticleStore:
        return self.services.articles


def build_runtime(settings: Settings) -> Runtime:
    services = build_services(settings, durable=False)
    dispatcher = Dispatcher(current_app, settings)
    sweeper = Sweeper(
        services.articles,
        services.reports,
        services.publisher,
        services.listings,
        dispatcher,
        settings.stuck_after_seconds,
    )
    return Runtime(settings, services, dispatcher, sweeper, Steps(services, dispatcher))


@cache
def get_runtime() -> Runtime:
    return build_runtime(get_settings())
