"""Entry point for `celery -A tasks.worker`: the one place the app is built for a worker."""

from __future__ import annotations

from celery.signals import setup_logging, worker_init

from config.collector import settle_after_startup
from config.logging import configure_logging
from config.settings import get_settings
from tasks.app import create_celery

app = create_celery(get_settings())


@setup_logging.connect
def _use_nashr_logging(**_: object) -> None:
    configure_logging(get_settings())


@worker_init.connect
def _load_enrichment_models(**_: object) -> None:
    """Load once before the pool forks: every process shares them and no task pays for it;
    then freeze them, so no collection in any process walks them (`config/collector.py`)."""
    from pipeline.enrich.step import Models
    from pipeline.services.search import search_analyser

    Models.load()
    search_analyser()
    settle_after_startup()
