"""Search text: every spelling readers type finds the article, and no query can break it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.domain.search import SearchQuery
from pipeline.enrich.search_terms import (
    CUT,
    MAX_DOCUMENT_TERMS,
    MAX_QUERY_CHARS,
    MAX_QUERY_TERMS,
    ONLY_STOP_WORDS,
    SearchAnalyser,
)

ARTICLE_TITLE = "الاستثمارات الأجنبية في مُراكش"
ARTICLE_BODY = [
    "<p>قال وزير الاستثمار إن وفدا من إيران زار بلجيكا وفرنسا.</p>",
    "<p>وأكد أن مجموعة G20 ستجتمع في ٢٠٢٤ لبحث ملف الطاقة.</p>",
]


@pytest.fixture(scope="module")
def analyser() -> SearchAnalyser:
    return SearchAnalyser.load()


def indexed_terms(analyser: SearchAnalyser) -> set[str]:
    document = analyser.document(1, 1, ARTICLE_TITLE, ARTICLE_BODY, "economy")
    return set(document.terms.split(" "))


def finds(analyser: SearchAnalyser, query: str) -> bool:
    parsed = analyser.query(query)
    terms = indexed_terms(analyser)
    return not parsed.empty and all(t in terms for t in parsed.words)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("الاستثمارات", "استثمار"),
        ("وبلجيكا", "بلجيكا"),
        ("إيران", "ايران"),
        ("مُراكش", "مراكش"),
        ("أإيران", "اايران"),
        ("مراكـــش", "مراكش"),
        ("الحوثيين", "الحوثي"),
        ("لوحاته", "لوحات"),
        ("مدينته", "المدينة"),
        ("الولايات", "الولاية"),
        ("أسعار", "سعر"),
    ],
)
def test_spelling_variants_become_one_term(analyser: SearchAnalyser, one: str, other: str) -> None:
    assert analyser.query(one).terms == analyser.query(other).terms != ()


@pytest.mark.parametrize(
    "query",
    ["الاستثمارات", "استثمار", "وبلجيكا", "بلجيكا", "إيران", "ايران", "مُراكش", "مراكش",
     "g20", "G20", "2024", "٢٠٢٤", "۲۰۲۴", "\u202bإيران\u202c", "إي\u200dران"],
)  # fmt: skip
def test_every_spelling_finds_the_article(analyser: SearchAnalyser, query: str) -> None:
    assert finds(analyser, query)


def test_a_word_the_article_lacks_finds_nothing(analyser: SearchAnalyser) -> None:
    assert not finds(analyser, "كرة القدم")


def test_stop_words_never_match_alone(analyser: SearchAnalyser) -> None:
    parsed = analyser.query("من في على إن the of")
    assert parsed.empty and parsed.notice == ONLY_STOP_WORDS
    # but a stop word inside a phrase keeps the phrase's word order
    phrase = analyser.query('"وزير من الداخلية"')
    assert phrase.phrases == (tuple(analyser.term(w) for w in ("وزير", "من", "الداخلية")),)
    assert analyser.query('"من في"').empty


def test_months_and_reporting_words_are_searchable(analyser: SearchAnalyser) -> None:
    assert analyser.query("يناير").terms and analyser.query("الأسبوع").terms


def test_quoted_phrase_keeps_order_and_single_quoted_word_is_a_term(
    analyser: SearchAnalyser,
) -> None:
    parsed = analyser.query('«مجموعة العشرين» "مراكش" بلجيكا')
    assert parsed.phrases == ((analyser.term("مجموعة"), analyser.term("العشرين")),)
    assert parsed.terms == (analyser.term("مراكش"), analyser.term("بلجيكا"))


def test_document_keeps_word_positions_and_an_excerpt(analyser: SearchAnalyser) -> None:
    document = analyser.document(7, 2, ARTICLE_TITLE, ARTICLE_BODY, "economy")
    assert (document.article_id, document.version, document.section) == (7, 2, "economy")
    terms = document.terms.split(" ")
    assert terms[:2] == [analyser.term("الاستثمارات"), analyser.term("الأجنبية")]
    assert "<p>" not in document.excerpt and document.excerpt.startswith("قال وزير")
    assert all(term.isalnum() for term in terms)
    assert document.title_terms == " ".join(terms[:4])
    assert document.lead_terms.split(" ")[:2] == [analyser.term("قال"), analyser.term("وزير")]


def test_a_huge_document_is_indexed_by_its_start(analyser: SearchAnalyser) -> None:
    document = analyser.document(1, 1, "عنوان", ["<p>" + "كلمة " * 50_000 + "</p>"], None)
    assert len(document.terms.split(" ")) <= MAX_DOCUMENT_TERMS
    assert len(document.excerpt) <= 2_000


def test_snippet_marks_the_matches_in_their_sentence(analyser: SearchAnalyser) -> None:
    document = analyser.document(1, 1, ARTICLE_TITLE, ARTICLE_BODY, None)
    segments = analyser.snippet(document.excerpt, analyser.query("استثمار ايران"))
    assert [s.text for s in segments if s.marked] == ["الاستثمار", "إيران"]
    assert "".join(s.text for s in segments).startswith("قال وزير الاستثمار")


# -- hostile queries ---------------------------------------------------------------------------


def assert_safe(parsed: SearchQuery) -> None:
    assert len(parsed.text) <= MAX_QUERY_CHARS
    assert len(parsed.terms) + sum(len(p) for p in parsed.phrases) <= MAX_QUERY_TERMS
    for term in parsed.words:
        assert term and term.isalnum(), term  # nothing a database could read as an operator


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "x" * 10_000,
        "مراكش " * 5_000,
        "من في على عن إلى",
        '"مراكش',
        'مراكش" بلجيكا "إيران',
        '""""',
        "مراكش OR بلجيكا",
        "NEAR(مراكش بلجيكا, 2)",
        "مراك*",
        "-مراكش +بلجيكا",
        "title:مراكش",
        "'; DROP TABLE articles; --",
        "1' OR '1'='1",
        "\u202eمراكش\u202c\u2066بلجيكا\u2069\u200f",
        "<script>alert(1)</script>",
        "مراكش\x00بلجيكا",
        "\ud800",
        "مراكش & | ! <-> : ( )",
    ],
)
def test_hostile_queries_are_safe(analyser: SearchAnalyser, query: str) -> None:
    assert_safe(analyser.query(query))


def test_long_queries_are_cut_and_say_so(analyser: SearchAnalyser) -> None:
    parsed = analyser.query(" ".join(f"word{n}" for n in range(40)))
    assert parsed.notice == CUT
    assert len(parsed.terms) == MAX_QUERY_TERMS


def test_operators_are_words_or_nothing(analyser: SearchAnalyser) -> None:
    parsed = analyser.query("مراكش OR بلجيكا * NEAR")
    assert set(parsed.terms) == {analyser.term("مراكش"), analyser.term("بلجيكا"), "near"}


def test_empty_and_control_only_queries_are_empty(analyser: SearchAnalyser) -> None:
    for query in ("", "\u200f\u202e\u2066", "*** ---", '""'):
        assert analyser.query(query).empty


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=500))
def test_any_text_gives_a_safe_query(text: str) -> None:
    assert_safe(SearchAnalyser.load().query(text))
