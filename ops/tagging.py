"""`nashr tag`: the enrich step on files, with no broker and no database."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from pipeline.domain.errors import ArticleRejected
from pipeline.domain.validate import validate_text
from pipeline.enrich.step import Models, enrich

MAX_LINE_CHARS = 5_000_000
"""A JSON Lines record longer than this is refused unread."""


class TagInputError(ValueError):
    """One input that is not an article to tag; the message says why."""


def _article_fields(document: Any) -> tuple[str, str, list[str]]:
    """title, body and tags of a submission-shaped object; other fields are ignored."""
    if not isinstance(document, dict):
        raise TagInputError("expected a JSON object with title and body")
    title, body, tags = document.get("title"), document.get("body"), document.get("tags", [])
    if not isinstance(title, str) or not isinstance(body, str):
        raise TagInputError("title and body must be strings")
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise TagInputError("tags must be a list of strings")
    return title, body, tags


def tag_document(
    document: Any, models: Models, section_threshold: float, max_body_bytes: int
) -> dict[str, Any]:
    """The enrich step's answer for one parsed JSON document."""
    title, body, tags = _article_fields(document)
    try:
        article = validate_text(title, body, tags, max_body_bytes)
    except ArticleRejected as rejected:
        raise TagInputError("; ".join(rejected.reasons)) from None
    return enrich(article, models, section_threshold).as_json()


def tag_text(
    text: str, models: Models, section_threshold: float, max_body_bytes: int
) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise TagInputError(f"not valid JSON: {exc}") from None
    return tag_document(document, models, section_threshold, max_body_bytes)


def tag_lines(
    lines: Iterable[str], models: Models, section_threshold: float, max_body_bytes: int
) -> Iterator[dict[str, Any]]:
    """One answer per input line, in order; a bad line answers {"line", "error"}, the rest go on."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            yield {"line": number, "error": "empty line"}
            continue
        if len(line) > MAX_LINE_CHARS:
            yield {"line": number, "error": f"line longer than {MAX_LINE_CHARS} characters"}
            continue
        try:
            yield tag_text(line, models, section_threshold, max_body_bytes)
        except TagInputError as exc:
            yield {"line": number, "error": str(exc)}
