"""The sweeper: what makes the broker a doorbell. Run by beat every few seconds.

It sends again what a lost message left behind (an outbox row never sent, a version stuck
before a step, a listing rebuild asked for and never run), republishes articles whose readers
have had an image hidden, and hands embargoed versions whose time has come to publish.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from pipeline.domain.errors import BrokerUnavailable
from pipeline.domain.states import Step
from pipeline.services.doorbell import Doorbell
from pipeline.services.listings import SiteListings
from pipeline.services.publishing import Publisher
from pipeline.store.database import utcnow
from pipeline.store.reports import ReportStore
from pipeline.store.sweep import SweepQueries

log = logging.getLogger(__name__)

RELEASES_PER_SWEEP = 200
"""Embargoed versions one sweep sends to publish; a newsroom rarely times more at one minute."""
HIDES_PER_SWEEP = 20
"""Articles republished for hidden images per sweep, so one sweep stays well inside its limit."""


@dataclass(frozen=True)
class Swept:
    resent: int
    released: int
    republished: int
    rebuild_resent: bool


class Sweeper:
    def __init__(
        self,
        articles: SweepQueries,
        reports: ReportStore,
        publisher: Publisher,
        listings: SiteListings,
        doorbell: Doorbell,
        stuck_after_seconds: float,
    ) -> None:
        self.articles = articles
        self.reports = reports
        self.publisher = publisher
        self.listings = listings
        self.doorbell = doorbell
        self.stuck_after = timedelta(seconds=stuck_after_seconds)

    def sweep(self) -> Swept:
        republished = self.hide_reported_images()
        rebuild_resent = self._rebuild_if_lost()
        released = self.release_embargoes()
        return Swept(self._resend_stuck(), released, republished, rebuild_resent)

    def hide_reported_images(self) -> int:
        """Republish articles whose readers have had an image hidden since they were written.

        The report endpoint only marks the image; doing the rebuild here keeps readers away
        from the broker and makes the republish as sure as the sweep itself.
        """
        due = self.reports.due_for_republish(limit=HIDES_PER_SWEEP)
        if not due:
            return 0
        articles = sorted({article_id for article_id, _ in due})
        for article_id in articles:
            self.publisher.republish(article_id)
        self.reports.republished(due)
        self._rebuild_now()
        log.info("reported images hidden", extra={"articles": articles, "images": len(due)})
        return len(articles)

    def release_embargoes(self) -> int:
        """Send to publish every scheduled version whose time has come."""
        released = self.articles.release_due(utcnow(), limit=RELEASES_PER_SWEEP)
        for article_id, version in released:
            try:
                self.doorbell.send(Step.PUBLISH, article_id, version)
            except BrokerUnavailable:
                log.warning("broker unreachable; the stuck-version sweep sends it later")
                break
        if released:
            log.info("embargoes released", extra={"versions": released})
        return len(released)

    def _rebuild_if_lost(self) -> bool:
        """A rebuild asked for and never run (its message lost) is asked for again."""
        if not self.listings.lost():
            return False
        self._rebuild_now()
        return True

    def _rebuild_now(self) -> None:
        delay = self.listings.request(urgent=True)
        if delay is not None:
            try:
                self.doorbell.send_rebuild(delay)
            except BrokerUnavailable:
                log.warning("broker unreachable; the rebuild is asked for again later")

    def _resend_stuck(self) -> int:
        pending = self.articles.pending(utcnow() - self.stuck_after)
        if not pending:
            return 0
        # A version whose step queue still holds messages is most likely waiting in it, not
        # lost: it is sent again once that queue has drained.
        waiting = self.doorbell.waiting({item.step.value for item in pending})
        pending = [
            item
            for item in pending
            if item.outbox_id is not None or waiting.get(item.step.value) in (0, None)
        ]
        sent = []
        for item in pending:
            try:
                self.doorbell.send(item.step, item.article_id, item.version, item.urgent)
            except BrokerUnavailable:
                break
            sent.append(item)
        self.articles.mark_dispatched([i.outbox_id for i in sent if i.outbox_id is not None])
        self.articles.touch(sent)
        if pending:
            log.info("swept", extra={"found": len(pending), "sent": len(sent)})
        return len(sent)
