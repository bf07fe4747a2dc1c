"""Text and HTML hygiene shared by the steps: invisible controls out, only safe inline markup in."""

from __future__ import annotations

import functools
import html
import re
import unicodedata

import nh3

from pipeline.domain.charmap import CharMap, from_codes

INLINE_TAGS = frozenset({"a", "b", "strong", "i", "em", "br", "q", "cite", "abbr", "sub", "sup"})
LINK_REL = "nofollow noopener"

# Tags whose content is dropped with them, not kept as text (scripts, embedded documents).
_DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "math"}
    | {"textarea", "select", "title", "xmp", "noembed", "noframes"}
)

# Line-like separators become "\n" (U+2029 a blank line); every other unwanted character goes.
_NEWLINES = {0x0B: "\n", 0x0C: "\n", 0x85: "\n", 0x2028: "\n", 0x2029: "\n\n"}
_REMOVED = (
    [c for c in range(0x00, 0x20) if c not in (0x09, 0x0A, 0x0B, 0x0C)]  # C0 but tab, newline
    + list(range(0x7F, 0xA0))  # DEL and C1
    + list(range(0x202A, 0x202F))  # bidi embeddings and overrides: LRE RLE PDF LRO RLO
    + list(range(0x2066, 0x206A))  # bidi isolates: LRI RLI FSI PDI
    + [0x200B, 0x2060, 0xFEFF, 0x180E]  # zero-width space, word joiner, BOM, Mongolian VS
    + list(range(0x2061, 0x2065))  # invisible math operators
    + list(range(0x206A, 0x2070))  # deprecated format characters
    + list(range(0xFFF9, 0xFFFC))  # interlinear annotation
    + list(range(0xD800, 0xE000))  # lone surrogates (not encodable as UTF-8)
    + [0xFFFE, 0xFFFF]
)
_TRANSLATION: dict[int, str | None] = {**dict.fromkeys(_REMOVED), **_NEWLINES}
_CONTROLS = CharMap(from_codes(_TRANSLATION))
_CRLF = re.compile(r"\r\n?")
_WHITESPACE = re.compile(r"\s+")
# Marks that mean nothing at the edges of a string: space, ZWNJ, ZWJ, LRM, RLM, ALM.
_EDGES = " \u200c\u200d\u200e\u200f\u061c"


def strip_controls(text: str) -> str:
    """NFC-normalise and drop characters that hide, reorder or corrupt text; keep ZWJ/ZWNJ/LRM/RLM.

    Line endings become "\\n", tabs stay. Arabic and Persian need ZWJ/ZWNJ to shape words, and
    LRM/RLM/ALM only mark direction at a point, so they stay; embeddings, overrides and isolates,
    which can reorder a whole run of text (the "Trojan Source" trick), are removed.
    """
    cleaned = _CONTROLS(_CRLF.sub("\n", text))
    return unicodedata.normalize("NFC", cleaned)


def collapse_whitespace(text: str) -> str:
    """Collapse runs of whitespace to one space and trim invisible marks from both ends."""
    return _WHITESPACE.sub(" ", text).strip(_EDGES)


def sanitise_fragment(html_text: str) -> str:
    """Return `html_text` as a safe inline fragment: allowed tags only, links http(s) and nofollow.

    Cleaned twice around `strip_controls`, because entities such as `&#x202E;` decode to
    controls inside the sanitiser and removing them must not leave anything unchecked.
    """
    cleaner = _fragment_cleaner()
    first = strip_controls(cleaner.clean(strip_controls(html_text)))
    return collapse_whitespace(strip_controls(cleaner.clean(first)))


def plain_text(html_text: str) -> str:
    """Return the text a reader would see in `html_text`: no tags, entities decoded, one-line."""
    text = nh3.clean(
        strip_controls(html_text), tags=set(), clean_content_tags=_DROPPED_WITH_CONTENT
    )
    return collapse_whitespace(strip_controls(html.unescape(text)))


@functools.cache
def _fragment_cleaner() -> nh3.Cleaner:
    """Build the paragraph sanitiser once, on first use rather than at import."""
    return nh3.Cleaner(
        tags=INLINE_TAGS,
        clean_content_tags=_DROPPED_WITH_CONTENT,
        attributes={"a": {"href"}, "abbr": {"title"}},
        link_rel=LINK_REL,
        url_schemes={"http", "https"},
        url_relative="deny",
        strip_comments=True,
    )


_BLANK_LOOKING = frozenset(
    {0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800, 0x180E, 0x034F, 0x17B4, 0x17B5}
    | set(range(0xE0000, 0xE0080))  # tag characters
    | set(range(0xFE00, 0xFE10))  # variation selectors
    | set(range(0xE0100, 0xE01F0))
)
"""Characters that are letters or symbols to Unicode but show nothing (the Hangul fillers,
the blank Braille pattern, the tag characters): a headline of only these looks empty."""


def has_visible_letter(text: str) -> bool:
    """Whether a reader would see a letter, digit or sign in `text`, not only blank space."""
    for ch in text:
        if ord(ch) in _BLANK_LOOKING or ch.isspace():
            continue
        if unicodedata.category(ch)[0] in "LNPS":
            return True
    return False
