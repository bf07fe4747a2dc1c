"""Moments in time: the store keeps naive UTC; whatever is shown or compared carries its offset."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(moment: datetime) -> datetime:
    """A naive moment (as the store keeps them) is UTC; an aware one is moved to UTC, the same
    instant, so any two compare and print alike."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
