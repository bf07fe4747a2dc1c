"""The site's listings: home, site-wide feeds and ticker, rebuilt together, coalesced by time.

A version is `live` once one of these rebuilds has covered it: the rebuild reads the newest
entries after the version's publish committed, writes every listing whole, and moves every
published version it covered to `live`, all in one transaction (`ListingStore.rebuild`).
Rebuilds of the site never overlap (`pipeline/store/rebuilds.py`), so no listing ever drops an
entry that was live, and a burst of publishes costs one rebuild per gap, not one each.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pipeline.domain.errors import TransientError
from pipeline.domain.models import SITE_FEEDS, ListingEntry, SiteInfo, archive_path, article_path
from pipeline.domain.moments import as_utc
from pipeline.domain.outputs import ATOM, HTML, JSON, JSON_FEED, RSS, Output
from pipeline.render import feeds, ticker
from pipeline.render.pages import render_home
from pipeline.services.websub import HubNotifier
from pipeline.store import rebuilds
from pipeline.store.database import utcnow
from pipeline.store.listings import ListingStore
from pipeline.store.output_failures import OutputFailures

log = logging.getLogger(__name__)

TICKER_FRAGMENT = "/ticker.html"
TICKER_JSON = "/ticker.json"
HOME = "/index.html"


@dataclass(frozen=True)
class OutputSizes:
    feed: int = 50
    ticker: int = 20
    home: int = 30
    tag: int = 20
    """Articles on a tag page and in its feeds."""


@dataclass
class Rebuilt:
    went_live: list[tuple[int, int]] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)


class SiteListings:
    def __init__(
        self,
        store: ListingStore,
        failures: OutputFailures,
        site: SiteInfo,
        sizes: OutputSizes,
        gap_seconds: float,
        hub: HubNotifier | None = None,
        ticker_max_age: Callable[[], timedelta | None] = lambda: None,
    ) -> None:
        self.store = store
        self.failures = failures
        self.site = site
        self.sizes = sizes
        self.gap_seconds = gap_seconds
        self.hub = hub
        self.ticker_max_age = ticker_max_age
        """Headlines older than this leave the ticker (an expire-ticker job sets it)."""

    def request(self, urgent: bool = False) -> float | None:
        """Ask for a rebuild: the delay to send it with, or None when one is already coming.
        Breaking news is not held back by the gap."""
        return self.store.request(rebuilds.SITE, self.gap_seconds, urgent)

    def lost(self) -> bool:
        """A rebuild was asked for long ago and has not run (its message was lost), or a
        published version has waited that long with none covering it (a rebuild that failed
        after its claim, say)."""
        cutoff = utcnow() - rebuilds.LOST_AFTER
        return rebuilds.SITE in self.store.overdue(cutoff) or self.store.left_waiting(cutoff)

    def rebuild(self) -> Rebuilt:
        """One rebuild of the site's listings; every published version it shows goes live."""
        done = Rebuilt()
        size = max(self.sizes.feed, self.sizes.home + 1, self.sizes.ticker * 3)
        done.went_live, refused, damaged = self.store.rebuild(
            rebuilds.SITE, size, lambda e: self._render(e, done)
        )
        done.failed.update(refused)
        for path, error in done.failed.items():
            self.failures.record(path, error)
        record_damaged(self.failures, damaged)
        if self.hub is not None:  # after the commit: subscribers fetch what is now served
            self.hub.changed([o for o in done.outputs if o.path in SITE_FEEDS.values()])
        return done

    def _render(self, entries: list[ListingEntry], done: Rebuilt) -> list[Output]:
        written = []
        for path, render in self._renderers(entries).items():
            try:
                written.append(render())
            except TransientError:
                raise
            except Exception as exc:  # one output that cannot render never holds up the rest
                done.failed[path] = f"{type(exc).__name__}: {exc}"
                log.error("output failed", extra={"path": path, "error": done.failed[path]})
        done.written = [output.path for output in written]
        done.outputs = written
        return written

    def _renderers(self, entries: list[ListingEntry]) -> dict[str, Callable[[], Output]]:
        in_feed = entries[: self.sizes.feed]
        headlines = ticker.build_ticker(
            self._recent(entries[: self.sizes.ticker * 3]), self.sizes.ticker, listed_order=True
        )
        site = self.site
        rss, atom, json_feed = SITE_FEEDS["rss"], SITE_FEEDS["atom"], SITE_FEEDS["json"]
        return {
            rss: lambda: Output(rss, feeds.rss(in_feed, site, rss), RSS),
            atom: lambda: Output(atom, feeds.atom(in_feed, site, atom), ATOM),
            json_feed: lambda: Output.text(
                json_feed, feeds.json_feed(in_feed, site, json_feed), JSON_FEED
            ),
            TICKER_JSON: lambda: Output.text(
                TICKER_JSON, ticker.render_ticker_json(headlines), JSON
            ),
            TICKER_FRAGMENT: lambda: Output.text(
                TICKER_FRAGMENT, ticker.render_ticker_html(headlines), HTML
            ),
            HOME: lambda: Output.text(HOME, self._home(entries), HTML, ticker_slot=True),
        }

    def _home(self, entries: list[ListingEntry]) -> str:
        """The first page of the site's listing; older pages have addresses of their own."""
        shown = entries[: self.sizes.home]
        older = archive_path(shown[-1].id) if len(entries) > len(shown) else None
        return render_home(shown, self.site, older)

    def _recent(self, entries: list[ListingEntry]) -> list[ListingEntry]:
        max_age = self.ticker_max_age()
        if max_age is None:
            return entries
        since = datetime.now(UTC) - max_age
        return [e for e in entries if as_utc(e.updated_at) >= since]


def record_damaged(failures: OutputFailures, articles: list[int]) -> None:
    """An article whose listing entry cannot be read is left out of listings, and its page is
    listed for operators: `nashr republish ID` renders the entry again."""
    for article_id in articles:
        failures.record(
            article_path(article_id),
            "listing entry unreadable: left out of every listing until republished",
            article_id,
        )
