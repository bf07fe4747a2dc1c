"""The `validate` step: a submission becomes clean text and safe paragraphs, or every fault."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pipeline.domain.errors import ArticleRejected
from pipeline.domain.markup import (
    has_visible_letter,
    plain_text,
    sanitise_fragment,
    strip_controls,
)
from pipeline.domain.models import CleanArticle, Image, ImageIn, Submission
from pipeline.domain.moments import as_utc
from pipeline.domain.source import http_url_problem, internal_host_problem

MAX_TITLE_CHARS = 200
MAX_SOURCE_NAME_CHARS = 200
MAX_TAG_CHARS = 100
MAX_EMBARGO = timedelta(days=366)
"""A publish_at further ahead is taken for a typo (2062 for 2026), not an embargo."""
MAX_RAW_FIELD_CHARS = 10_000
"""A short field longer than this before cleaning is refused unread, so no one can make us parse
megabytes to find a title."""


def validate(
    submission: Submission, max_body_bytes: int = 200_000, now: datetime | None = None
) -> CleanArticle:
    """Clean every field of `submission`; raise `ArticleRejected` naming every rule it breaks.

    `now` (aware, default the clock) bounds an embargo's `publish_at`."""
    reasons: list[str] = []
    title = _bounded_text("title", submission.title, MAX_TITLE_CHARS, reasons)
    paragraphs = _paragraphs(submission.body, max_body_bytes, reasons)
    source_url = strip_controls(submission.source_url).strip()
    if (problem := http_url_problem(source_url)) is not None:
        reasons.append(f"source_url: {problem}")
    source_name = _bounded_text(
        "source_name", submission.source_name, MAX_SOURCE_NAME_CHARS, reasons
    )
    tags = _tags(submission.tags, reasons)
    images = _images(submission.images, reasons)
    category = plain_text(submission.category) if submission.category is not None else None
    publish_at = _publish_at(submission.publish_at, now or datetime.now(UTC), reasons)
    source_published_at = _source_published_at(
        submission.source_published_at, now or datetime.now(UTC), reasons
    )
    if reasons:
        raise ArticleRejected(reasons)
    return CleanArticle(
        title=title,
        paragraphs=paragraphs,
        source_url=source_url,
        source_name=source_name,
        editor_tags=tags,
        category=category or None,
        images=images,
        breaking=submission.breaking,
        publish_at=publish_at,
        section=submission.section,
        source_published_at=source_published_at,
    )


def _publish_at(wanted: datetime | None, now: datetime, reasons: list[str]) -> datetime | None:
    """The embargo in UTC; None when there is none (a moment already past publishes at once)."""
    if wanted is None:
        return None
    if wanted - now > MAX_EMBARGO:
        reasons.append(f"publish_at: must be at most {MAX_EMBARGO.days} days ahead")
        return None
    try:
        moment = wanted.astimezone(UTC)
    except OverflowError:  # year 1 with a positive offset: long past
        return None
    return moment if moment > now else None


def _source_published_at(
    given: datetime | None, now: datetime, reasons: list[str]
) -> datetime | None:
    """The source's own publication time, in UTC; a day or more ahead of now is a wrong clock
    or a wrong zone, not news."""
    if given is None:
        return None
    moment = as_utc(given)
    if moment > now + timedelta(days=1):
        reasons.append("source_published_at: is more than a day in the future")
    return moment


def validate_text(
    title: str, body: str, tags: list[str], max_body_bytes: int = 200_000
) -> CleanArticle:
    """Only the rules the text must meet, for tagging an article outside the pipeline."""
    reasons: list[str] = []
    clean_title = _bounded_text("title", title, MAX_TITLE_CHARS, reasons)
    paragraphs = _paragraphs(body, max_body_bytes, reasons)
    clean_tags = _tags(tags, reasons)
    if reasons:
        raise ArticleRejected(reasons)
    return CleanArticle(
        title=clean_title,
        paragraphs=paragraphs,
        source_url="",
        source_name="",
        editor_tags=clean_tags,
    )


def _bounded_text(field: str, raw: str, max_chars: int, reasons: list[str]) -> str:
    """Plain text of a one-line field, with a reason added unless it has 1 to `max_chars` chars."""
    if len(raw) > MAX_RAW_FIELD_CHARS:
        reasons.append(f"{field}: must be 1 to {max_chars} characters (got {len(raw)})")
        return ""
    text = plain_text(raw)
    if not 1 <= len(text) <= max_chars:
        reasons.append(f"{field}: must be 1 to {max_chars} characters (got {len(text)})")
    elif not has_visible_letter(text):
        reasons.append(f"{field}: has no visible letter (only blank or invisible characters)")
    return text


def _paragraphs(body: str, max_bytes: int, reasons: list[str]) -> list[str]:
    """Split the body on blank lines and sanitise each paragraph, dropping empty ones."""
    too_big = _utf8_excess(body, max_bytes)
    if too_big:
        reasons.append(f"body: must be at most {max_bytes} bytes of UTF-8 (got {too_big})")
        return []
    paragraphs = []
    for block in _blocks(strip_controls(body)):
        fragment = sanitise_fragment(block)
        if has_visible_letter(plain_text(fragment)):
            paragraphs.append(fragment)
    if not paragraphs:
        reasons.append("body: must have at least one paragraph with text")
    return paragraphs


def _utf8_excess(text: str, limit: int) -> str:
    """Describe the UTF-8 size of `text` if over `limit`, else ""; huge text is not even encoded."""
    if len(text) > limit:  # every character takes at least one byte
        return f"at least {len(text)}"
    size = len(text.encode("utf-8", errors="surrogatepass"))
    return str(size) if size > limit else ""


def _blocks(body: str) -> list[str]:
    """Group lines into blocks separated by blank lines (a line of only whitespace is blank)."""
    blocks: list[str] = []
    current: list[str] = []
    for line in body.split("\n"):
        if line.strip():
            current.append(line)
        elif current:
            blocks.append("\n".join(current))
            current = []
    if current:
        blocks.append("\n".join(current))
    return blocks


def _tags(raw_tags: list[str], reasons: list[str]) -> list[str]:
    """Editor tags as plain text, blanks and exact repeats dropped, each at most 100 characters."""
    tags: list[str] = []
    for index, raw in enumerate(raw_tags):
        tag = plain_text(raw) if len(raw) <= MAX_RAW_FIELD_CHARS else raw
        if len(tag) > MAX_TAG_CHARS:
            reasons.append(
                f"tags[{index}]: must be at most {MAX_TAG_CHARS} characters (got {len(tag)})"
            )
        elif tag and not has_visible_letter(tag):
            reasons.append(
                f"tags[{index}]: has no visible letter (only blank or invisible characters)"
            )
        elif tag and tag not in tags:
            tags.append(tag)
    return tags


def _images(raw_images: list[ImageIn], reasons: list[str]) -> list[Image]:
    """Images with http(s) URLs and plain-text captions; one reason per bad URL."""
    images: list[Image] = []
    for index, raw in enumerate(raw_images):
        url = strip_controls(raw.url).strip()
        problem = http_url_problem(url) or internal_host_problem(url)
        if problem is not None:
            reasons.append(f"images[{index}].url: {problem}")
        images.append(Image(url=url, caption=plain_text(raw.caption)))
    return images
