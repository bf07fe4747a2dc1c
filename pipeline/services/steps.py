"""Each step's body: compute with the pure step function, save by compare-and-set.

The task layer loads the version and guards it (stale, or not waiting for this step), calls the
body, and hands on to the next step when the body says it moved the version.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeVar

from pipeline.domain.embargo import embargo_until
from pipeline.domain.source import attach_source
from pipeline.domain.states import Status, Step
from pipeline.domain.validate import validate
from pipeline.enrich.step import Models, enrich
from pipeline.services.doorbell import Doorbell
from pipeline.services.runtime import Services
from pipeline.store.records import VersionRecord

Loaded = TypeVar("Loaded")


class Steps:
    def __init__(self, services: Services, doorbell: Doorbell) -> None:
        self.services = services
        self.articles = services.articles
        self.doorbell = doorbell
        self.settings = services.settings

    def validate(self, record: VersionRecord) -> bool:
        clean = validate(_loaded(record.submission, record), self.settings.max_body_bytes)
        return self.articles.advance(
            *_key(record), Step.VALIDATE, Status.VALIDATED, content=clean.model_dump(mode="json")
        )

    def enrich(self, record: VersionRecord) -> bool:
        article = _loaded(record.content, record)
        found = enrich(article, Models.load(), self.settings.section_threshold)
        return self.articles.advance(
            *_key(record),
            Step.ENRICH,
            Status.ENRICHED,
            tags=[t.model_dump(mode="json") for t in found.all_tags],
            section=found.section.model_dump(mode="json"),
        )

    def attach_source(self, record: VersionRecord) -> bool:
        clean = _loaded(record.content, record)
        link = attach_source(clean).model_dump(mode="json")
        embargo = embargo_until(clean, datetime.now(UTC))
        if embargo is not None:
            # held in `scheduled`: the sweeper hands it to publish at its time, so nothing now
            self.articles.advance(
                *_key(record), Step.SOURCE, Status.SCHEDULED, source=link, publish_at=embargo
            )
            return False
        return self.articles.advance(*_key(record), Step.SOURCE, Status.SOURCED, source=link)

    def publish(self, record: VersionRecord) -> bool:
        return self.services.publisher.publish(record)

    def update_ticker(self, record: VersionRecord) -> bool:
        """Ask for the rebuild that puts the headline on the ticker (with the home page and the
        feeds); that rebuild moves every version it covers to `live`, this one included. When
        it may run at once, it runs here: one message fewer, and live sooner."""
        listings = self.services.listings
        delay = listings.request(urgent=record.breaking)
        if delay == 0.0:
            listings.rebuild()
        elif delay is not None:
            self.doorbell.send_rebuild(delay)
        return False


def _loaded(value: Loaded | None, record: VersionRecord) -> Loaded:
    """What the store loads for this step: missing only if the row was damaged by hand."""
    if value is None:
        raise ValueError(f"version {record.version} of {record.article_id} lacks a stored value")
    return value


def _key(record: VersionRecord) -> tuple[int, int]:
    return record.article_id, record.version
