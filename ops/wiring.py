"""Build stores and outputs from Settings for the command line."""

from __future__ import annotations

from config.settings import Settings
from pipeline.models import SiteInfo
from pipeline.outputs import Outputs, OutputSizes
from pipeline.store import ArticleStore, connect
from pipeline.store.files import SiteFiles
from pipeline.store.tokens import TokenStore


def make_store(settings: Settings) -> ArticleStore:
    return ArticleStore(connect(settings.database))


def make_tokens(settings: Settings) -> TokenStore:
    return TokenStore(connect(settings.database))


def make_outputs(settings: Settings) -> Outputs:
    return Outputs(
        make_store(settings),
        SiteFiles(settings.site_dir),
        SiteInfo(base_url=settings.site_url, name=settings.site_name),
        OutputSizes(feed=settings.feed_size, ticker=settings.ticker_size, home=settings.home_size),
    )
