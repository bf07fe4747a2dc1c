"""Rebuild what readers see from the database: pages, listings, feeds and the ticker.

Rebuilds are coalesced (`pipeline/store/rebuilds.py`): each reads the committed state after
every commit it covers and replaces whole files, so concurrent publishes never lose one
another's entry, a burst of them costs a few rebuilds, and readers never see half a file.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from urllib.parse import quote

from pipeline import feed, site, ticker
from pipeline.errors import PermanentError, TransientError
from pipeline.models import (
    PublishedArticle,
    SiteInfo,
    Tag,
    TickerEntry,
    article_json_path,
    article_path,
    tag_feed_paths,
    tag_path,
)
from pipeline.states import Status, Step
from pipeline.store.articles import ArticleStore, VersionRecord
from pipeline.store.files import SiteFiles
from pipeline.store.output_failures import OutputFailures
from pipeline.store.rebuilds import RebuildQueue, RebuildWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutputSizes:
    feed: int = 50
    ticker: int = 20
    home: int = 30
    tag: int = 20
    """Articles on a tag page and in its feeds: one rebuild renders these for every tag."""


@dataclass(frozen=True)
class _Snapshot:
    """The live articles as one query saw them, newest first, and the ticker drawn from them."""

    latest: list[PublishedArticle]
    ticker: list[TickerEntry]


@dataclass
class _Written:
    """What one rebuild wrote, and what it could not: a failed output never stops the rest."""

    paths: list[str] = field(default_factory=list)
    failed: dict[str, tuple[int | None, str]] = field(default_factory=dict)


class Outputs:
    def __init__(
        self, articles: ArticleStore, files: SiteFiles, site_info: SiteInfo, sizes: OutputSizes
    ) -> None:
        self.articles = articles
        self.files = files
        self.rebuilds = RebuildQueue(files.state_dir)
        self.failures = OutputFailures(articles.engine)
        self.site = site_info
        self.sizes = sizes

    def publish(self, record: VersionRecord) -> bool:
        """Make this version the live one and rebuild its page and every listing that shows it."""
        previous = self.articles.published(record.article_id)
        if not self.articles.advance(
            record.article_id, record.version, Step.PUBLISH, Status.PUBLISHED
        ):
            return False
        article = self.articles.published(record.article_id)
        tags = (article.tags if article else []) + (previous.tags if previous else [])
        self._rebuild(self.rebuilds.request([record.article_id], tags))
        return True

    def go_live(self, record: VersionRecord) -> bool:
        """Put the headline on the ticker; the page is checked to show this version first."""
        article = self.articles.published(record.article_id)
        stale = article is not None and (
            self._page_version(article.id) != article.version
            or bool(self.failures.for_article(article.id))
        )
        self._rebuild(self.rebuilds.request([record.article_id] if stale else [], feeds=stale))
        failed = self.failures.for_article(record.article_id)
        if failed:
            # the version's own page could not be written: failed, and replayable once mended
            raise PermanentError(f"{failed[0].path}: {failed[0].error}")
        return self.articles.advance(record.article_id, record.version, Step.TICKER, Status.LIVE)

    def rebuild_all(self) -> None:
        """Listings from scratch (on start-up, on the hourly job, or an operator's republish)."""
        self._rebuild(self.rebuilds.request())

    def rebuild_pending(self) -> None:
        """Finish what a crashed rebuild left; the sweeper calls this."""
        self._rebuild(self.rebuilds.requested())

    def republish(self, article_id: int) -> bool:
        if self.articles.published(article_id) is None:
            return False
        self.rewrite([article_id])
        return True

    def rewrite(self, article_ids: Iterable[int]) -> None:
        """Rewrite these articles' pages (deleted, for one no longer live) and every listing
        that holds them (home, feeds, their tags' pages and feeds, the ticker), in one rebuild."""
        generation = None
        for article_id in article_ids:
            tags = self.articles.listed_tags(article_id)
            generation = self.rebuilds.request([article_id], tags)
        if generation is not None:
            self._rebuild(generation)

    def take_down_due(self, limit: int) -> list[int]:
        """Finish takedowns whose files are not rewritten yet (the sweeper calls this)."""
        due = self.articles.takedowns_due(limit)
        self.rewrite(article_id for article_id, _ in due)
        for article_id, since in due:
            self.articles.takedown_done(article_id, since)
        return [article_id for article_id, _ in due]

    def _rebuild(self, generation: int) -> None:
        with self.rebuilds.turn(generation) as work:
            if work is not None:
                self._write(work)

    def _write(self, work: RebuildWork) -> None:
        now = self._snapshot()
        written = _Written()
        for article_id in sorted(work.articles):
            article = self.articles.published(article_id)
            if article is not None:
                self._write_article(article, now, written)
            else:
                # not live (taken down, or never published): no page may show it
                self.files.remove(article_path(article_id))
                self.files.remove(article_json_path(article_id))
                written.paths += [article_path(article_id), article_json_path(article_id)]
        if work.feeds:
            self._write_feeds(list(work.tags.values()), now, written)
        self._write_ticker(now, written)
        for path, (owner, error) in written.failed.items():
            self.failures.record(path, error, owner)
        self.failures.cleared(written.paths)

    def _output(
        self,
        written: _Written,
        path: str,
        render: Callable[[], str | bytes],
        article_id: int | None = None,
    ) -> None:
        """Render and write one output; if it fails, record it against itself and go on."""
        try:
            self.files.write(path, render())
        except TransientError:
            raise
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            log.error("output failed", extra={"path": path, "error": error})
            written.failed[path] = (article_id, error)
        else:
            written.paths.append(path)

    def _page_version(self, article_id: int) -> int | None:
        raw = self.files.read(article_json_path(article_id))
        if raw is None:
            return None
        value = json.loads(raw).get("version")
        return value if isinstance(value, int) else None

    def _snapshot(self) -> _Snapshot:
        """One query for every listing: the ticker draws on extra candidates to skip repeats."""
        candidates = self.sizes.ticker * 3
        latest = self.articles.latest_published(max(self.sizes.feed, self.sizes.home, candidates))
        return _Snapshot(latest, ticker.build_ticker(latest[:candidates], self.sizes.ticker))

    def _write_article(self, article: PublishedArticle, now: _Snapshot, written: _Written) -> None:
        self._output(
            written,
            article.path,
            lambda: site.render_article_page(article, self.site),
            article.id,
        )
        self._output(
            written,
            article.json_path,
            lambda: site.render_article_json(article, self.site),
            article.id,
        )

    def _write_feeds(self, tags: list[Tag], now: _Snapshot, written: _Written) -> None:
        in_feed = now.latest[: self.sizes.feed]
        self._output(written, "/feeds/rss.xml", lambda: feed.render_rss(in_feed, self.site))
        self._output(written, "/feeds/atom.xml", lambda: feed.render_atom(in_feed, self.site))
        self._output(written, "/feeds/feed.json", lambda: feed.render_json_feed(in_feed, self.site))
        for tag in tags:
            tagged = self.articles.latest_published(self.sizes.tag, tag_slug=tag.slug)
            self._output(
                written, tag_path(tag.slug), partial(site.render_tag_page, tag, tagged, self.site)
            )
            rss_path, atom_path = tag_feed_paths(tag.slug)
            title = f"{self.site.name}: {tag.label}"
            self._output(
                written,
                rss_path,
                partial(feed.render_rss, tagged, self.site, title, quote(rss_path)),
            )
            self._output(
                written,
                atom_path,
                partial(feed.render_atom, tagged, self.site, title, quote(atom_path)),
            )

    def _write_ticker(self, now: _Snapshot, written: _Written) -> None:
        """The ticker, and the home page that shows it."""
        self._output(written, "/ticker.json", lambda: ticker.render_ticker_json(now.ticker))
        self._output(written, "/ticker.html", lambda: ticker.render_ticker_html(now.ticker))
        self._output(
            written,
            "/index.html",
            lambda: site.render_home(now.latest[: self.sizes.home], self.site),
        )
