"""Embargoes: what `publish_at` a submission may carry, and when the article may go out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from pipeline.domain.embargo import embargo_until
from pipeline.domain.errors import ArticleRejected
from pipeline.domain.models import CleanArticle, Submission
from pipeline.domain.validate import MAX_EMBARGO, validate

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
RABAT = timezone(timedelta(hours=1))


def submission(publish_at: object) -> Submission:
    return Submission.model_validate(
        {
            "title": "عنوان",
            "body": "نص الخبر.",
            "source_url": "https://news.example/a",
            "source_name": "مصدر",
            "publish_at": publish_at,
        }
    )


def test_an_embargo_is_kept_in_utc() -> None:
    clean = validate(submission("2026-11-29T18:30:00+01:00"), now=NOW)
    assert clean.publish_at == datetime(2026, 11, 29, 17, 30, tzinfo=UTC)


@pytest.mark.parametrize("past", ["2026-11-29T12:00:00+00:00", "2020-01-01T00:00:00Z"])
def test_a_moment_already_past_publishes_at_once(past: str) -> None:
    assert validate(submission(past), now=NOW).publish_at is None


def test_too_far_ahead_is_taken_for_a_typo() -> None:
    with pytest.raises(ArticleRejected) as raised:
        validate(submission("2062-11-29T12:00:00+00:00"), now=NOW)
    assert raised.value.reasons == [f"publish_at: must be at most {MAX_EMBARGO.days} days ahead"]


@pytest.mark.parametrize(
    "value",
    [
        "2026-12-01T10:00:00",  # no offset: whose ten o'clock?
        "tomorrow",
        "",
        1764417600,
        ["2026-12-01T10:00:00Z"],
        "2026-12-01T10:00:00+01:00<script>",
    ],
)
def test_a_publish_at_that_is_not_a_moment_is_a_shape_error(value: object) -> None:
    with pytest.raises(ValidationError):
        submission(value)


@pytest.mark.parametrize("extreme", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"])
def test_the_ends_of_the_calendar_neither_crash_nor_schedule(extreme: str) -> None:
    try:
        clean = validate(submission(extreme), now=NOW)
    except ArticleRejected as rejected:
        assert rejected.reasons[0].startswith("publish_at:")
    else:
        assert clean.publish_at is None


def test_the_embargo_holds_until_its_moment_and_no_longer() -> None:
    article = CleanArticle(
        title="t", paragraphs=["p"], source_url="https://a.example", source_name="s",
        publish_at=datetime(2026, 11, 29, 13, 0, tzinfo=RABAT),
    )  # fmt: skip
    assert embargo_until(article, NOW - timedelta(minutes=1)) == datetime(2026, 11, 29, 12, 0)
    assert embargo_until(article, NOW) is None
    assert embargo_until(article.model_copy(update={"publish_at": None}), NOW) is None
