"""The text enrichment reads: what a reader sees of the article, bounded for hostile input."""

from __future__ import annotations

import html
from collections.abc import Iterable, Iterator

import nh3

MAX_TEXT_CHARS = 100_000
"""Tags, places and the section come from the first 100k characters: enough for any story."""


def visible_text(fragment: str) -> str:
    """Reader-visible text of a sanitised HTML paragraph: tags dropped, entities decoded.

    Plain text passes through untouched; a lone surrogate (which nh3 cannot encode)
    becomes "?" rather than an exception.
    """
    if "<" not in fragment and "&" not in fragment:
        return fragment
    safe = fragment.encode("utf-8", "replace").decode("utf-8")
    return html.unescape(nh3.clean(safe, tags=set()))


def bounded_texts(title: str, paragraphs: Iterable[str]) -> Iterator[str]:
    """The title, then each paragraph's visible text, within `MAX_TEXT_CHARS` in all.

    A paragraph is cut before it is cleaned (four times the budget left is more markup
    than any real paragraph carries), so a hostile megabyte costs no more than 100k.
    """
    budget = MAX_TEXT_CHARS
    for index, fragment in enumerate([title, *paragraphs]):
        if budget <= 0:
            return
        text = fragment[:budget] if index == 0 else visible_text(fragment[: budget * 4])
        text = text[:budget]
        budget -= len(text)
        yield text
