"""Dates for people (Arabic, in the readers' zone) and for machines (RFC 3339 and 822)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import pytest
from pydantic import ValidationError

from config.settings import Settings
from pipeline.render import dates

MOMENT = datetime(2026, 5, 15, 21, 5, 9, 123456, tzinfo=UTC)


def test_machine_dates_are_whole_seconds_with_the_zone_offset() -> None:
    assert dates.machine(MOMENT) == "2026-05-15T21:05:09+00:00"
    assert dates.machine(MOMENT, "Africa/Casablanca") == "2026-05-15T22:05:09+01:00"
    assert dates.machine(MOMENT, "Asia/Riyadh") == "2026-05-16T00:05:09+03:00"
    assert datetime.fromisoformat(dates.machine(MOMENT, "Asia/Riyadh")) == MOMENT.replace(
        microsecond=0
    )


def test_naive_moments_from_the_store_are_utc() -> None:
    naive = MOMENT.replace(tzinfo=None)
    assert dates.machine(naive, "Africa/Casablanca") == dates.machine(MOMENT, "Africa/Casablanca")


def test_people_read_the_weekday_day_month_and_time_in_arabic_in_their_zone() -> None:
    assert dates.human(MOMENT, "Africa/Casablanca") == "الجمعة 15 مايو 2026، 22:05"
    # the day changes with the zone
    assert dates.human(MOMENT, "Asia/Riyadh") == "السبت 16 مايو 2026، 00:05"


def test_ramadan_hour_change_in_casablanca_is_followed() -> None:
    # Morocco sets its clocks back to UTC+0 for Ramadan: the zone database knows, so do we
    during_ramadan = datetime(2026, 2, 25, 12, 0, tzinfo=UTC)
    assert dates.machine(during_ramadan, "Africa/Casablanca").endswith("+00:00")


def test_rss_dates_are_rfc_822_with_a_numeric_offset() -> None:
    text = dates.rss_date(MOMENT.astimezone(timezone(timedelta(hours=5))))
    assert text == "Fri, 15 May 2026 21:05:09 +0000"
    assert parsedate_to_datetime(text) == MOMENT.replace(microsecond=0)


@pytest.mark.parametrize(
    "zone", ["", "Mars/Olympus", "../../etc/passwd", "Africa/Casablanca\x00", "x" * 65]
)
def test_an_unknown_time_zone_is_refused_at_start_by_name(zone: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(timezone=zone)
    assert "timezone" in str(refused.value)


def test_the_default_zone_is_casablanca() -> None:
    assert Settings().timezone == "Africa/Casablanca"
    assert Settings().websub_hub is None
