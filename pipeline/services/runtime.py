"""The one composition root: a process's stores and services, built from its Settings.

The worker, the API and the CLI all build theirs here, with one database engine per process;
only the task layer adds the broker (the doorbell), so commands that never ring it never
import Celery.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from importlib.metadata import PackageNotFoundError, version

from config.settings import Settings
from pipeline.domain.models import SiteInfo
from pipeline.services.jobs import Jobs
from pipeline.services.listings import OutputSizes, SiteListings
from pipeline.services.pages import ListingPages
from pipeline.services.publishing import Publisher
from pipeline.services.search import Search, search_analyser
from pipeline.services.sitemaps import Sitemaps
from pipeline.services.sources import SourceRules, Sources
from pipeline.services.takedowns import Takedowns
from pipeline.services.websub import HubNotifier
from pipeline.sources.addresses import AddressPolicy
from pipeline.store import ArticleStore, connect
from pipeline.store.browse import BrowseStore
from pipeline.store.bumps import BumpStore
from pipeline.store.jobs import JobStore
from pipeline.store.listings import ListingStore
from pipeline.store.output_failures import OutputFailures
from pipeline.store.outputs import OutputStore
from pipeline.store.publishing import PublishStore
from pipeline.store.reports import ReportStore
from pipeline.store.search import SearchStore
from pipeline.store.source_items import SourceItems
from pipeline.store.sources import SourceStore
from pipeline.store.tokens import TokenStore


@dataclass(frozen=True)
class Services:
    settings: Settings
    site: SiteInfo
    articles: ArticleStore
    reports: ReportStore
    tokens: TokenStore
    outputs: OutputStore
    failures: OutputFailures
    publisher: Publisher
    listings: SiteListings
    pages: ListingPages
    sitemaps: Sitemaps
    takedowns: Takedowns
    search: Search
    jobs: Jobs
    sources: Sources

    def close(self) -> None:
        self.articles.engine.dispose()


def build_services(settings: Settings, durable: bool = True) -> Services:
    """`durable=False` for the workers: see `pipeline/store/database.py`."""
    engine = connect(settings.database, durable)
    site = SiteInfo(
        base_url=settings.site_url,
        name=settings.site_name,
        timezone=settings.timezone,
        websub_hub=settings.websub_hub,
    )
    sizes = OutputSizes(
        feed=settings.feed_size,
        ticker=settings.ticker_size,
        home=settings.home_size,
        tag=settings.tag_size,
    )
    articles = ArticleStore(engine)
    hub = HubNotifier(settings.websub_hub, site.base_url) if settings.websub_hub else None
    listing_store = ListingStore(engine)
    failures = OutputFailures(engine)
    job_store = JobStore(engine)
    browse = BrowseStore(engine)
    publisher = Publisher(
        PublishStore(engine), site, settings.feed_entry_max_bytes, search_analyser
    )
    listings = SiteListings(
        listing_store,
        failures,
        site,
        sizes,
        settings.listing_gap_seconds,
        hub,
        ticker_max_age=job_store.ticker_max_age,
    )
    takedowns = Takedowns(articles, site)
    sources = Sources(
        SourceStore(engine),
        SourceItems(engine),
        takedowns,
        articles,
        source_rules(settings),
    )
    return Services(
        settings=settings,
        site=site,
        articles=articles,
        reports=ReportStore(engine),
        tokens=TokenStore(engine),
        outputs=OutputStore(engine),
        failures=failures,
        publisher=publisher,
        listings=listings,
        pages=ListingPages(browse, failures, site, settings.tag_size),
        sitemaps=Sitemaps(browse, site),
        takedowns=takedowns,
        search=Search(SearchStore(engine)),
        jobs=Jobs(job_store, BumpStore(engine), publisher, listings),
        sources=sources,
    )


def source_rules(settings: Settings) -> SourceRules:
    """Fetching as the settings say: a User-Agent naming nashr and the site (so an outlet
    knows who asks and where to complain), the addresses feeds may be on, the idle bound."""
    try:
        release = version("nashr")
    except PackageNotFoundError:
        release = "0"
    return SourceRules(
        user_agent=f"nashr/{release} (+{settings.site_url}/)",
        policy=AddressPolicy.from_setting(settings.sources_allow_private),
        idle_after=timedelta(hours=settings.sources_idle_hours),
        max_body_bytes=settings.max_body_bytes,
    )
