"""A feed item as nashr submits it: the keys that make it once, the text, the excerpt, images."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pipeline.domain.sources import SourceSpec
from pipeline.domain.validate import validate
from pipeline.sources.items import FeedImage, FeedItem
from pipeline.sources.submissions import (
    EXCERPT_WORDS,
    content_hash,
    identify,
    submission_for,
)

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
SPEC = SourceSpec("hespress", "https://hespress.example/feed", tags=("المغرب",))
TEXT = "<p>أعلن المجلس الجهوي عن برنامج جديد للتنمية.</p><p>وقال المصدر ذاته إن المشروع يمتد.</p>"


def _item(**changes: object) -> FeedItem:
    fields: dict[str, object] = {
        "title": "برنامج جديد للتنمية في جهة سوس",
        "guid": "https://hespress.example/?p=123",
        "link": "https://hespress.example/news/123.html?utm_source=rss",
        "content_html": TEXT,
        "summary_html": "<p>ملخص قصير للخبر.</p>",
        "published_at": NOW - timedelta(hours=2),
        "categories": ("اقتصاد", "Uncategorized"),
        "images": (FeedImage("https://hespress.example/img/1.jpg", "صورة <b>الوفد</b>"),),
    }
    return FeedItem(**(fields | changes))  # type: ignore[arg-type]


def test_the_external_id_is_the_source_name_with_the_guid() -> None:
    found = identify(_item(), "hespress")
    assert found is not None
    assert found.external_id == "hespress:https://hespress.example/?p=123"


def test_without_a_guid_the_normalised_link_names_it() -> None:
    found = identify(_item(guid=None), "hespress")
    assert found is not None
    assert found.external_id == "hespress:link:https://hespress.example/news/123.html"


def test_one_story_in_two_feeds_has_one_link_key() -> None:
    first = identify(_item(link="https://hespress.example/news/123.html?utm_source=a"), "a")
    second = identify(_item(guid="other", link="http://www.hespress.example/news/123.html"), "b")
    assert first is not None and second is not None
    assert first.link_key == second.link_key
    assert first.guid_key != second.guid_key


def test_an_item_with_no_guid_and_no_link_cannot_be_told_apart_so_is_never_submitted() -> None:
    assert identify(_item(guid=None, link=None), "hespress") is None
    assert identify(_item(guid="  ", link="javascript:alert(1)"), "hespress") is None


def test_a_huge_guid_becomes_a_digest_within_the_column() -> None:
    found = identify(_item(guid="x" * 5000), "hespress")
    assert found is not None and len(found.external_id) <= 200
    assert found.external_id.startswith("hespress:sha256:")


def test_the_submission_carries_the_text_the_link_the_source_and_its_time() -> None:
    submission = submission_for(_item(), SPEC, "hespress:1", NOW)
    assert submission is not None
    assert submission.body.split("\n\n") == [
        "أعلن المجلس الجهوي عن برنامج جديد للتنمية.",
        "وقال المصدر ذاته إن المشروع يمتد.",
    ]
    assert submission.source_name == "hespress"
    assert submission.source_url == "https://hespress.example/news/123.html?utm_source=rss"
    assert submission.source_published_at == NOW - timedelta(hours=2)
    assert submission.tags == ["المغرب", "اقتصاد"]  # the placeholder category is dropped
    assert [(i.url, i.caption) for i in submission.images] == [
        ("https://hespress.example/img/1.jpg", "صورة الوفد")
    ]
    clean = validate(submission, now=NOW)  # passes the validate step as an editor's would
    assert clean.source_published_at == NOW - timedelta(hours=2)


def test_excerpt_only_publishes_the_summary_and_never_the_text() -> None:
    spec = SourceSpec("hespress", "https://hespress.example/feed", excerpt_only=True)
    submission = submission_for(_item(), spec, "hespress:1", NOW)
    assert submission is not None
    assert submission.body == "ملخص قصير للخبر."
    assert "المشروع" not in submission.body


def test_excerpt_only_with_no_summary_cuts_the_text_to_its_first_words() -> None:
    spec = SourceSpec("hespress", "https://hespress.example/feed", excerpt_only=True)
    long_text = "<p>" + " ".join(["كلمة"] * 500) + "</p><p>فقرة ثانية</p>"
    submission = submission_for(_item(summary_html="", content_html=long_text), spec, "x", NOW)
    assert submission is not None
    assert len(submission.body.split()) == EXCERPT_WORDS + 1  # and the ellipsis
    assert "فقرة ثانية" not in submission.body


def test_a_future_date_is_taken_as_now() -> None:
    submission = submission_for(_item(published_at=NOW + timedelta(days=3)), SPEC, "x", NOW)
    assert submission is not None and submission.source_published_at == NOW


def test_script_in_the_title_is_text_and_in_the_body_is_gone_after_validate() -> None:
    item = _item(
        title="<script>alert(1)</script>عنوان \u202eمقلوب",
        content_html='<p onclick="x()">نص<script>alert(2)</script><img src=x onerror=alert(3)></p>',
    )
    submission = submission_for(item, SPEC, "x", NOW)
    assert submission is not None
    clean = validate(submission, now=NOW)
    assert "<" not in clean.title and "\u202e" not in clean.title
    assert "script" not in " ".join(clean.paragraphs) and "onerror" not in " ".join(
        clean.paragraphs
    )


def test_a_long_title_is_cut_at_a_word_to_the_validate_limit() -> None:
    submission = submission_for(_item(title="كلمة " * 100), SPEC, "x", NOW)
    assert submission is not None
    assert len(submission.title) <= 200 and submission.title.endswith("…")


def test_an_item_with_no_title_takes_its_first_words_and_one_with_no_text_is_none() -> None:
    untitled = submission_for(_item(title=""), SPEC, "x", NOW)
    assert untitled is not None and untitled.title.startswith("أعلن المجلس")
    empty = _item(title="", content_html="", summary_html="<p> </p>")
    assert submission_for(empty, SPEC, "x", NOW) is None


def test_a_body_over_the_limit_keeps_whole_paragraphs() -> None:
    paragraphs = "".join(f"<p>{'نص ' * 300}{n}</p>" for n in range(100))
    submission = submission_for(_item(content_html=paragraphs), SPEC, "x", NOW, 20_000)
    assert submission is not None
    assert len(submission.body.encode()) <= 20_000
    assert all(p.endswith(tuple("0123456789")) for p in submission.body.split("\n\n"))


@pytest.mark.parametrize(
    "change",
    [{"title": "عنوان آخر"}, {"content_html": "<p>نص جديد</p>"}],
)
def test_a_changed_title_or_text_changes_the_hash(change: dict[str, object]) -> None:
    before = submission_for(_item(), SPEC, "x", NOW)
    after = submission_for(_item(**change), SPEC, "x", NOW)
    assert before is not None and after is not None
    assert content_hash(before) != content_hash(after)


def test_the_same_item_fetched_again_has_the_same_hash() -> None:
    first = submission_for(_item(), SPEC, "x", NOW)
    again = submission_for(_item(), SPEC, "x", NOW + timedelta(minutes=5))
    assert first is not None and again is not None
    assert content_hash(first) == content_hash(again)
    assert content_hash(first) != content_hash(first, canceled=True)


def test_an_image_on_an_internal_address_is_left_out_not_the_story() -> None:
    images = (
        FeedImage("http://169.254.169.254/latest/meta-data/x.jpg"),
        FeedImage("javascript:alert(1)"),
        FeedImage("https://hespress.example/img/ok.jpg"),
    )
    submission = submission_for(_item(images=images), SPEC, "x", NOW)
    assert submission is not None
    assert [i.url for i in submission.images] == ["https://hespress.example/img/ok.jpg"]
    validate(submission, now=NOW)
