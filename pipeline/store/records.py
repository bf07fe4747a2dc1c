"""Plain records the store hands out; no SQLAlchemy types leak past the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pipeline.domain.models import CleanArticle, Section, SourceLink, Submission, Tag
from pipeline.domain.moments import as_utc
from pipeline.domain.states import Status, Step


@dataclass(frozen=True)
class Accepted:
    id: int
    version: int
    status: Status
    outbox_id: int


@dataclass(frozen=True)
class VersionRecord:
    """One article version as a step sees it, with the article's current and live versions.

    Each stored value is parsed into its domain model; a value the step did not ask the store
    for (see `ArticleStore.load`) is None.
    """

    article_id: int
    version: int
    status: Status
    current_version: int
    live_version: int | None
    first_published_at: datetime | None
    submission: Submission | None
    content: CleanArticle | None
    tags: list[Tag] | None
    section: Section | None
    source: SourceLink | None
    reasons: list[str] | None
    failed_step: str | None
    updated_at: datetime
    breaking: bool = False
    """Breaking news: its messages go ahead of the queue."""
    published_at: datetime | None = None
    """When this version became the live one, if it did."""

    @property
    def stale(self) -> bool:
        """A newer version exists: this one must change nothing a reader sees."""
        return self.version != self.current_version


@dataclass(frozen=True)
class StepEvent:
    step: str
    state: str
    at: datetime
    error: str | None
    worker: str | None = None
    """The worker that ran the step (None for events not written by a task)."""


@dataclass(frozen=True)
class ArticleStatus:
    id: int
    version: int
    status: Status
    reasons: list[str]
    steps: list[StepEvent] = field(default_factory=list)
    live_version: int | None = None
    tags: list[Tag] = field(default_factory=list)
    section: Section | None = None
    publish_at: datetime | None = None
    """The embargo, while the version is `scheduled`."""

    def as_json(self) -> dict[str, Any]:
        """What editors see, on GET /articles/{id} and from `nashr status`."""
        return {
            "id": self.id,
            "version": self.version,
            "status": self.status.value,
            "live_version": self.live_version,
            "steps": [
                {"step": e.step, "state": e.state, "at": e.at.isoformat(), "error": e.error}
                for e in self.steps
            ],
            "reasons": self.reasons,
            "publish_at": as_utc(self.publish_at).isoformat() if self.publish_at else None,
            **enrichment_json(self.section, self.tags),
        }


@dataclass(frozen=True)
class Pending:
    """An outbox row or a stuck version: something the sweeper must send again."""

    article_id: int
    version: int
    step: Step
    outbox_id: int | None = None
    urgent: bool = False


def enrichment_json(section: Section | None, tags: list[Tag]) -> dict[str, Any]:
    """The enrich step's fields as `nashr tag` prints them: places apart from topic tags."""
    return {
        "section": section.name if section else None,
        "confidence": section.confidence if section else None,
        "tags": [t.model_dump(mode="json") for t in tags if t.kind != "place"],
        "places": [t.model_dump(mode="json") for t in tags if t.kind == "place"],
    }
