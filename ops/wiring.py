"""Build stores and outputs from Settings for the command line."""

from __future__ import annotations

from config.settings import Settings
from pipeline.outputs import Outputs
from pipeline.store import ArticleStore, connect
from pipeline.store.output_failures import OutputFailures
from pipeline.store.reports import ReportStore
from pipeline.store.tokens import TokenStore
from tasks.runtime import build_outputs


def make_store(settings: Settings) -> ArticleStore:
    return ArticleStore(connect(settings.database))


def make_tokens(settings: Settings) -> TokenStore:
    return TokenStore(connect(settings.database))


def make_reports(settings: Settings) -> ReportStore:
    return ReportStore(connect(settings.database))


def make_outputs(settings: Settings) -> Outputs:
    return build_outputs(settings, make_store(settings))


def make_output_failures(settings: Settings) -> OutputFailures:
    return OutputFailures(connect(settings.database))
