"""How the services ring the broker, without knowing it: the task layer implements this."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from pipeline.domain.states import Step


class Doorbell(Protocol):
    def send(self, step: Step, article_id: int, version: int, urgent: bool = False) -> None:
        """Hand a version to a step: a message carrying only its ids."""

    def send_rebuild(self, delay: float) -> None:
        """Run the site's listing rebuild in `delay` seconds."""

    def waiting(self, steps: Iterable[str]) -> dict[str, int | None]:
        """Messages waiting per step queue; None where the broker cannot tell."""
