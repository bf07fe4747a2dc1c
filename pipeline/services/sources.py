"""Pulling sources: fetch a claimed source's feed, read it, submit each new or changed item once.

Every item goes through the same accept path as `POST /articles` (a version and its outbox
row in one transaction, then the doorbell), so the chain and its guarantees are the editors'.
A fetch that fails is recorded against its source with the reason, and the source's next try
backs off; nothing else waits for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError

from pipeline.domain.errors import BrokerUnavailable, NashrError
from pipeline.domain.moments import as_utc
from pipeline.domain.sources import Source, SourceError, SourceSpec, SourceState
from pipeline.domain.states import Step
from pipeline.services.doorbell import Doorbell
from pipeline.services.takedowns import Takedowns
from pipeline.sources.addresses import AddressPolicy
from pipeline.sources.fetch import Fetched, FetchFailed, fetch_feed
from pipeline.sources.items import FeedError, FeedItem
from pipeline.sources.parse import parse_feed
from pipeline.sources.submissions import (
    ItemIdentity,
    content_hash,
    empty_item_hash,
    identify,
    raw_item_hash,
    submission_for,
)
from pipeline.store.articles import Accepted
from pipeline.store.database import utcnow
from pipeline.store.source_items import ItemKeys, ItemState, SeenItem, SourceItems
from pipeline.store.sources import FetchCounts, SourceStore
from pipeline.store.sweep import SweepQueries

log = logging.getLogger(__name__)

MAX_ITEMS_PER_FETCH = 500
"""A feed with more items than this is read to this many (the newest come first in feeds)."""

Fetcher = Callable[..., Fetched]


@dataclass
class FetchReport:
    """What one fetch did, as `nashr sources fetch` prints it and the job history keeps it."""

    source: str
    http_status: int | None = None
    items: int = 0
    new_items: int = 0
    published: int = 0
    updated: int = 0
    taken_down: int = 0
    skipped: int = 0
    error: str | None = None
    accepted: list[Accepted] = field(default_factory=list)

    def describe(self) -> str:
        if self.error:
            return f"{self.source}: failed: {self.error}"
        if self.http_status == 304:
            return f"{self.source}: not modified (304)"
        return (
            f"{self.source}: {self.items} item(s), {self.new_items} new, "
            f"{self.published} published, {self.updated} updated, "
            f"{self.taken_down} taken down, {self.skipped} skipped"
        )


@dataclass(frozen=True)
class SourceRules:
    """What the settings say about fetching, handed in by the composition root."""

    user_agent: str
    policy: AddressPolicy
    idle_after: timedelta
    max_body_bytes: int


class Sources:
    def __init__(
        self,
        store: SourceStore,
        items: SourceItems,
        takedowns: Takedowns,
        articles: SweepQueries,
        rules: SourceRules,
        fetcher: Fetcher = fetch_feed,
    ) -> None:
        self.store = store
        self.items = items
        self.takedowns = takedowns
        self.articles = articles
        self.rules = rules
        self.fetcher = fetcher

    # -- the operators' side -------------------------------------------------------------------

    def add(self, spec: SourceSpec) -> Source:
        return self.store.add(spec)

    def get(self, name: str) -> Source:
        found = self.store.get(name)
        if found is None:
            raise SourceError(f"no source named {name!r}")
        return found

    def listing(self) -> list[dict[str, object]]:
        now = utcnow()
        return [s.as_json(now, self.rules.idle_after) for s in self.store.all()]

    def states(self) -> dict[str, SourceState]:
        now = utcnow()
        return {s.name: s.state(now, self.rules.idle_after) for s in self.store.all()}

    # -- fetching ------------------------------------------------------------------------------

    def fetch_now(self, name: str, doorbell: Doorbell | None) -> FetchReport:
        """`nashr sources fetch NAME`: a manual fetch, run here and now."""
        claimed = self.store.claim_now(name)
        report = self.run_fetch(claimed.fetch_id, doorbell)
        assert report is not None  # just claimed, so nobody else started it
        return report

    def run_fetch(self, fetch_id: int, doorbell: Doorbell | None) -> FetchReport | None:
        """Fetch once: None when this fetch was started elsewhere (a second delivery)."""
        source = self.store.start(fetch_id)
        if source is None:
            return None
        report = FetchReport(source.name)
        started = utcnow()
        try:
            fetched = self.fetcher(
                source.spec.url,
                etag=source.etag,
                last_modified=source.last_modified,
                user_agent=self.rules.user_agent,
                policy=self.rules.policy,
            )
            report.http_status = fetched.status
            if fetched.status != 304:
                parsed = parse_feed(fetched.body, fetched.content_type, base_url=fetched.final_url)
                self._take_items(source, parsed.items[:MAX_ITEMS_PER_FETCH], report, doorbell)
        except FeedError as exc:
            report.error = str(exc)
            status = exc.status if isinstance(exc, FetchFailed) else report.http_status
            self.store.finish_failed(fetch_id, source, report.error, status)
            log.warning("source fetch failed", extra={"source": source.name, "error": report.error})
            return report
        self.store.finish_ok(
            fetch_id,
            source,
            FetchCounts(
                http_status=fetched.status,
                items=report.items,
                new_items=report.new_items,
                published=report.published,
                updated=report.updated,
                etag=fetched.etag,
                last_modified=fetched.last_modified,
                started_at=started,
            ),
        )
        log.info("source fetched", extra={"source": source.name, "detail": report.describe()})
        return report

    def _take_items(
        self,
        source: Source,
        items: tuple[FeedItem, ...],
        report: FetchReport,
        doorbell: Doorbell | None,
    ) -> None:
        now = datetime.now(UTC)
        identities = [identify(item, source.name) for item in items]
        seen = self.items.seen(
            source.name, [(i.guid_key, i.link_key) for i in identities if i is not None]
        )
        sent: list[int] = []  # outbox rows rung for: marked together once the items are in
        for item, identity in zip(items, identities, strict=True):
            report.items += 1
            if identity is None:
                report.skipped += 1  # nothing could tell it apart next time
                continue
            try:
                accepted = self._take(
                    source, item, identity, seen.get(identity.guid_key, identity.link_key), now,
                    report, doorbell,
                )  # fmt: skip
            except (ValidationError, ValueError, NashrError) as exc:
                if isinstance(exc, NashrError) and not isinstance(exc, (SourceError, FeedError)):
                    raise  # the database went away: the fetch fails, the next one goes on
                report.skipped += 1
                log.warning(
                    "source item skipped",
                    extra={"source": source.name, "error": f"{type(exc).__name__}: {exc}"[:300]},
                )
                continue
            if accepted is not None:
                report.accepted.append(accepted)
                if self._ring(accepted, doorbell):
                    sent.append(accepted.outbox_id)
        if sent:
            self.articles.mark_dispatched(sent)

    def _take(
        self,
        source: Source,
        item: FeedItem,
        identity: ItemIdentity,
        found: SeenItem | None,
        now: datetime,
        report: FetchReport,
        doorbell: Doorbell | None,
    ) -> Accepted | None:
        raw = raw_item_hash(item, source.spec.excerpt_only)
        if found is not None and found.raw_hash == raw:
            return None  # the same item as last time: not even read
        external_id = found.external_id if found else identity.external_id
        submission = submission_for(item, source.spec, external_id, now, self.rules.max_body_bytes)
        digest = content_hash(submission, item.canceled) if submission else empty_item_hash(item)
        if found is None:
            report.new_items += 1
            keys = ItemKeys(
                source=source.name,
                guid_key=identity.guid_key,
                link_key=identity.link_key,
                external_id=identity.external_id,
                content_hash=digest,
                raw_hash=raw,
                published_at=_naive(item.published_at),
            )
            state = self._state_of_new(source, item, submission is None)
            if state is not ItemState.PUBLISHED or submission is None:
                self.items.record(keys, state)
                return None
            accepted = self.items.submit_new(keys, submission)
            report.published += accepted is not None
            return accepted
        if found.content_hash == digest:
            self.items.note_change(found, digest, raw)  # markup only: readers see no change
            return None
        if item.canceled:
            if self.items.note_change(found, digest, raw, ItemState.CANCELED) and found.article_id:
                self._take_down(found.article_id, report, doorbell)
            return None
        if found.state is ItemState.BASELINE or submission is None:
            self.items.note_change(found, digest, raw)
            return None
        accepted = self.items.submit_change(found, digest, raw, submission)
        report.updated += accepted is not None
        return accepted

    def _state_of_new(self, source: Source, item: FeedItem, empty: bool) -> ItemState:
        if empty:
            return ItemState.SKIPPED
        if item.canceled:
            return ItemState.CANCELED
        if source.spec.backfill:
            return ItemState.PUBLISHED
        first = source.first_fetch_at
        if first is None:
            return ItemState.BASELINE  # on the feed before nashr first read it
        published = item.published_at or item.updated_at
        # feeds give whole seconds: an item dated the second the first fetch began is new
        if published is not None and as_utc(published) < as_utc(first).replace(microsecond=0):
            return ItemState.BASELINE
        return ItemState.PUBLISHED

    def _take_down(self, article_id: int, report: FetchReport, doorbell: Doorbell | None) -> None:
        """The outlet withdrew it: down at once, the listings rebuilt without it (the sweeper
        asks for that rebuild again if the broker is away)."""
        taken = self.takedowns.unpublish(article_id)
        if taken is None or not taken.versions:
            return
        report.taken_down += 1
        if taken.rebuild_delay is not None and doorbell is not None:
            with suppress(BrokerUnavailable):
                doorbell.send_rebuild(taken.rebuild_delay)

    def _ring(self, accepted: Accepted, doorbell: Doorbell | None) -> bool:
        """After the commit, as the API does; with the broker away (False) the sweeper sends
        it."""
        if doorbell is None:
            return False
        try:
            doorbell.send(Step.VALIDATE, accepted.id, accepted.version)
        except BrokerUnavailable:
            return False
        return True


def _naive(moment: datetime | None) -> datetime | None:
    return None if moment is None else as_utc(moment).replace(tzinfo=None)
