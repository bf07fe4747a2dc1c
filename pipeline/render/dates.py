"""Dates for people and for machines: Arabic words in the readers' time zone on pages, and
exact timestamps with their offset in `datetime` attributes, feeds and sitemaps."""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime as rfc822
from functools import cache
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from pipeline.domain.moments import as_utc

HUMAN_PATTERN = "EEEE d MMMM y، HH:mm"
"""الاثنين 7 ديسمبر 2026، 14:05: the weekday, day, month name, year and 24-hour time."""
LOCALE = "ar"
"""CLDR's Arabic: month names as the Arab press at large writes them, Western digits."""


@cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local(moment: datetime, timezone: str) -> datetime:
    """The moment in the readers' zone, to the second (HTML allows at most three fraction
    digits, and nobody needs them)."""
    return as_utc(moment).astimezone(zone(timezone)).replace(microsecond=0)


def machine(moment: datetime, timezone: str = "UTC") -> str:
    """RFC 3339 with its offset, whole seconds: valid in `<time datetime>`, Atom and sitemaps."""
    return local(moment, timezone).isoformat()


def human(moment: datetime, timezone: str) -> str:
    """How a reader says it: الاثنين 7 ديسمبر 2026، 14:05, in their own time zone."""
    return format_datetime(as_utc(moment), HUMAN_PATTERN, tzinfo=zone(timezone), locale=LOCALE)


def rss_date(moment: datetime) -> str:
    """RFC 822 as RSS wants it, with a numeric offset: Mon, 07 Dec 2026 13:05:00 +0000."""
    return rfc822(as_utc(moment).replace(microsecond=0))
