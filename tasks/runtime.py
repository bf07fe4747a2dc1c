"""What a worker process needs, built lazily after fork: engine, stores, outputs, dispatcher."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from celery import current_app

from config.settings import Settings, get_settings
from pipeline.models import SiteInfo
from pipeline.outputs import Outputs, OutputSizes
from pipeline.store import ArticleStore, connect
from pipeline.store.files import SiteFiles
from pipeline.store.reports import ReportStore
from tasks.dispatch import Dispatcher


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    articles: ArticleStore
    outputs: Outputs
    dispatcher: Dispatcher
    reports: ReportStore


def build_outputs(settings: Settings, articles: ArticleStore) -> Outputs:
    """The one place the published views are wired to their settings (workers and the CLI)."""
    return Outputs(
        articles,
        SiteFiles(settings.site_dir),
        SiteInfo(base_url=settings.site_url, name=settings.site_name),
        OutputSizes(
            feed=settings.feed_size,
            ticker=settings.ticker_size,
            home=settings.home_size,
            tag=settings.tag_size,
        ),
    )


def build_runtime(settings: Settings) -> Runtime:
    engine = connect(settings.database)
    articles = ArticleStore(engine)
    outputs = build_outputs(settings, articles)
    dispatcher = Dispatcher(current_app, settings)
    return Runtime(settings, articles, outputs, dispatcher, ReportStore(engine))


@cache
def get_runtime() -> Runtime:
    return build_runtime(get_settings())
