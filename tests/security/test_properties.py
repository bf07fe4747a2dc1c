"""Property tests of the pure steps over hostile text in every field at once: arbitrary Unicode
(lone surrogates included), Arabic with tashkeel, bidi and zero-width controls, Latin and
Arabic-Indic digits, markup fragments, 1 MB paragraphs.

Whatever comes in, `validate` answers a clean article or ArticleRejected naming the fields,
nothing else escapes, and every view of an accepted article is valid HTML5 (html5lib, strict)
or well-formed XML (defusedxml) or JSON, with nothing in it that runs. The unit tests cover
single fields (tests/unit/test_validate.py, test_feed.py, test_tags.py); these cover the chain.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from defusedxml import ElementTree as defused_xml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from pipeline.domain.errors import ArticleRejected
from pipeline.domain.markup import strip_controls
from pipeline.domain.models import MAX_IMAGES, MAX_TAGS
from pipeline.domain.source import clean_source_url, http_url_problem
from tests.security.inert import assert_inert_feed, assert_inert_page
from tests.security.pure import clean, own_scripts, publish, render, run
from tests.security.xss import BASE, assert_rendered_inert

LETTERS = "ابتثجحخدذرسشصضطظعغفقكلمنهويىةءأإآؤئ"
TASHKEEL = "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0670\u0640"
BIDI = "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u180e\u2061\ufff9"
DIGITS = "0123456789٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹"
MARKUP = [
    "<", ">", "&", '"', "'", "`", "<b>", "</b>", '<a href="https://x.example/">', "</a>",
    "<script>", "</script>", "<img src=x onerror=alert(1)>", "&#x202E;", "&lt;", "&amp;",
    "&#0;", "<!--", "-->", "]]>", "{{", "}}", "\n\n", "\n", "\r\n", "\r", "\t", "\u2028",
    "\u2029", "\x00", "\x0b", "\x85", " ", "  ", "الـ", "في ", " و", "javascript:",
]  # fmt: skip

_arabic_word = st.text(st.sampled_from(LETTERS), min_size=1, max_size=8).flatmap(
    lambda word: st.lists(st.sampled_from(TASHKEEL), max_size=len(word)).map(
        lambda marks: "".join(
            a + b for a, b in zip(word, [*marks, *[""] * len(word)], strict=False)
        )
    )
)
_surrogate = st.integers(0xD800, 0xDFFF).map(chr)
_piece = st.one_of(
    _arabic_word,
    st.sampled_from(MARKUP),
    st.text(st.sampled_from(BIDI + ZERO_WIDTH), min_size=1, max_size=3),
    st.text(st.sampled_from(DIGITS), min_size=1, max_size=6),
    st.text(max_size=12),
    _surrogate,
)
HOSTILE = st.one_of(
    st.lists(_piece, max_size=40).map("".join),
    st.text(max_size=300),
    st.text(st.one_of(st.characters(), _surrogate), max_size=80),
)
"""Text as an editor, a broken client or an attacker might send it."""

_host = st.one_of(
    st.sampled_from(["news.example", "أخبار.example", "xn--mgbh0fb.example", "127.0.0.1", "[::1]"]),
    st.text(st.sampled_from("abc٠١.-"), min_size=1, max_size=12),
)
URL = st.one_of(
    st.builds(
        lambda scheme, host, port, path, query: f"{scheme}://{host}{port}/{path}?{query}",
        st.sampled_from(["http", "https", "HTTPS", "javascript", "data", "ftp"]),
        _host,
        st.sampled_from(["", ":80", ":443", ":٨٠", ":99999", ":0x1", ":"]),
        HOSTILE,
        HOSTILE,
    ),
    HOSTILE,
)
"""Mostly URL-shaped, often broken: odd schemes, Arabic and Arabic-Indic hosts and ports."""


def submission(draw: Any) -> dict[str, Any]:
    return {
        "title": draw(HOSTILE),
        "body": "\n\n".join(draw(st.lists(HOSTILE, min_size=1, max_size=6))),
        "source_url": draw(URL),
        "source_name": draw(HOSTILE),
        "tags": draw(st.lists(HOSTILE, max_size=MAX_TAGS)),
        "category": draw(st.none() | HOSTILE),
        "images": draw(
            st.lists(
                st.fixed_dictionaries({"url": URL, "caption": HOSTILE}), max_size=MAX_IMAGES // 4
            )
        ),
        "breaking": draw(st.booleans()),
    }


SUBMISSIONS = st.composite(submission)()
FIELDS = ("title", "body", "source_url", "source_name", "tags", "images")


@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
@given(payload=SUBMISSIONS)
def test_validate_answers_an_article_or_every_reason(payload: dict[str, Any]) -> None:
    try:
        article = clean(payload)
    except ValidationError as refused:
        # Refused at the door (422): only lone surrogates get past the generator's shape
        assert all(e["type"] == "string_unicode" for e in refused.errors()), refused
        return
    except ArticleRejected as rejected:
        assert rejected.reasons
        for reason in rejected.reasons:
            assert reason.split(":", 1)[0].split("[")[0].split(".")[0] in FIELDS, reason
        return
    assert 1 <= len(article.title) <= 200 and article.paragraphs
    assert json.loads(article.model_dump_json()) is not None  # storable as JSON, no surrogates


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    title=HOSTILE,
    paragraphs=st.lists(HOSTILE, min_size=1, max_size=5),
    tags=st.lists(HOSTILE, max_size=6),
    caption=HOSTILE,
    source_name=HOSTILE,
    category=st.none() | HOSTILE,
    path=HOSTILE,
)
def test_every_view_of_an_accepted_article_is_valid_and_inert(
    title: str,
    paragraphs: list[str],
    tags: list[str],
    caption: str,
    source_name: str,
    category: str | None,
    path: str,
) -> None:
    payload = BASE | {
        "title": f"خبر {title}",
        "body": "\n\n".join(["فقرة", *paragraphs]),
        "tags": tags,
        "images": [{"url": f"https://news.example/{path}", "caption": caption}],
        "source_name": f"مصدر {source_name}",
        "source_url": f"https://news.example/src?{path}",
        "category": category,
    }
    try:
        rendered = run(payload)
    except ValidationError as refused:  # a lone surrogate: the API answers 422
        assert all(e["type"] == "string_unicode" for e in refused.errors()), refused
        return
    except ArticleRejected as rejected:  # too long, or a URL with quotes or spaces
        assert rejected.reasons
        return
    assert_rendered_inert(rendered, "property")


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(url=URL)
def test_a_source_url_is_refused_or_cleaned_into_a_safe_link(url: str) -> None:
    """Invisible controls go first (as `validate` does), then the URL is judged."""
    if http_url_problem(strip_controls(url).strip()) is not None:
        with pytest.raises(ArticleRejected):
            clean_source_url(url)
        return
    cleaned = clean_source_url(url)
    assert cleaned.lower().startswith(("http://", "https://"))
    assert http_url_problem(cleaned) is None
    assert clean_source_url(cleaned) == cleaned


@settings(max_examples=1, deadline=None, suppress_health_check=list(HealthCheck))
@given(chunk=HOSTILE.filter(lambda text: len(text) > 5))
def test_a_one_megabyte_paragraph_is_refused_by_default_and_renders_when_allowed(
    chunk: str,
) -> None:
    paragraph = ("فقرة " + chunk.replace("\n", " ").replace("\u2029", " ") + " ") * (
        1_000_000 // (len(chunk) + 6) + 1
    )
    payload = BASE | {"body": paragraph}

    # The default limit (200 KB) refuses it by name, quickly, without parsing it
    with pytest.raises((ArticleRejected, ValidationError)) as rejected:
        clean(payload)
    if not isinstance(rejected.value, ArticleRejected):
        return  # a lone surrogate: refused at the door
    assert [r for r in rejected.value.reasons if r.startswith("body:")]

    # A deployment that allows it gets a valid, inert page and feeds, and valid JSON
    try:
        article = publish(clean(payload, max_body_bytes=8_000_000))
    except ArticleRejected as refused:
        assert refused.reasons
        return
    out = render(article, tag_views=False)
    assert_inert_page(out.pages["page"], "1 MB page", own_scripts())
    assert_inert_feed(out.feeds["rss"], "1 MB rss")
    defused_xml.fromstring(out.feeds["atom"])
    for name in ("article.json", "feed.json"):
        raw = out.json_documents[name]
        assert "<" not in raw and json.loads(raw), name
