"""Plurals and attached pronouns fold onto the singular, so a tag list never holds a word twice."""

from __future__ import annotations

import pytest

from pipeline.domain.models import CleanArticle
from pipeline.enrich.inflection import Inflections, family_key
from pipeline.enrich.tags import extract_tags
from pipeline.enrich.term_stats import TermStats


@pytest.fixture(scope="module")
def model() -> TermStats:
    return TermStats.load()


@pytest.mark.parametrize(
    ("singular", "other"),
    [
        ("الاستثمار", "الاستثمارات"),
        ("الحوثي", "الحوثيين"),
        ("الحوثي", "الحوثيون"),
        ("لوحات", "لوحاته"),
        ("لوحة", "لوحات"),
        ("مدينة", "مدينته"),
        ("حكومة", "حكوماتهم"),
        ("سعر", "أسعار"),
        ("الحزب", "الأحزاب"),
        ("مصري", "المصريين"),
    ],
)
def test_a_plural_or_a_pronoun_keeps_the_family(
    model: TermStats, singular: str, other: str
) -> None:
    inflections = Inflections(model.forms)
    assert family_key(singular, inflections) == family_key(other, inflections)


@pytest.mark.parametrize(("word", "not_this"), [("فلسطين", "فلسط"), ("لبنان", "لبن"),
                                                 ("اتجاه", "اتجا"), ("بنات", "بن")])  # fmt: skip
def test_a_word_that_only_ends_like_a_plural_stays_whole(
    model: TermStats, word: str, not_this: str
) -> None:
    assert Inflections(model.forms).singular(word) == word
    assert Inflections(model.forms).singular(word) != not_this


def test_latin_and_numbers_pass_through(model: TermStats) -> None:
    inflections = Inflections(model.forms)
    assert inflections.singular("Investments") == "Investments"
    assert inflections.singular("2024") == "2024"


@pytest.mark.parametrize(
    ("one", "two"),
    [("الاستثمار", "الاستثمارات"), ("الحوثي", "الحوثيين"), ("لوحات", "لوحاته")],
)
def test_a_tag_list_never_holds_a_word_and_its_plural(model: TermStats, one: str, two: str) -> None:
    # Given a story that says both forms often, in the headline and the body
    body = [f"<p>تحدث التقرير عن {one} مرة بعد مرة، ثم عن {two} في المنطقة.</p>"] * 3 + [
        f"<p>وعاد الخبراء إلى {two} و{one} في الاجتماع السنوي للمجلس.</p>"
    ]
    article = CleanArticle(
        title=f"{one} و{two} في المنطقة",
        paragraphs=body,
        source_url="https://news.example/a",
        source_name="مصدر",
    )
    # Then the tags hold the family once
    tags = extract_tags(article, model)
    families = [frozenset(model.families(tag.label)) for tag in tags]
    assert len(families) == len(set(families))
    assert sum(1 for tag in tags if model.families(tag.label) & model.families(one)) == 1
