"""Arabic folding, tokens, stop words, stems and slugs: the matching rules tags rely on."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.enrich import arabic


@pytest.mark.parametrize(
    ("variant", "plain"),
    [
        ("أحمد", "احمد"),
        ("إسلام", "اسلام"),
        ("آمنة", "امنه"),
        ("ٱلله", "الله"),
        ("مصطفى", "مصطفي"),
        ("الهجرة", "الهجره"),
        ("الْهِجْرَةُ", "الهجره"),
        ("الهـــجرة", "الهجره"),
        ("٢٠٢٣", "2023"),
        ("Paris", "paris"),
    ],
)
def test_normalize_folds_spelling_variants(variant: str, plain: str) -> None:
    assert arabic.normalize(variant) == plain


def test_normalize_keeps_hamza_on_waw_and_ya() -> None:
    assert arabic.normalize("مسؤول") == "مسؤول"
    assert arabic.normalize("رئيس") == "رئيس"


def test_normalize_drops_invisible_characters() -> None:
    assert arabic.normalize("الهج\u200cرة\u202e\u200f\ufeff") == "الهجره"


def test_tokenize_splits_digits_glued_to_words() -> None:
    assert arabic.tokenize("من 15إلى 24 مارس") == ["من", "15", "إلى", "24", "مارس"]


def test_tokenize_reads_mixed_scripts_and_drops_marks() -> None:
    assert arabic.tokenize("شركة Apple تُطلق iPhone15، و«غوغل»!") == [
        "شركة",
        "Apple",
        "تطلق",
        "iPhone15",
        "و",
        "غوغل",
    ]


def test_phrases_break_at_punctuation_but_not_at_spaces() -> None:
    assert arabic.phrases("جهة سوس ماسة، بلجيكا وفرنسا.\nالهجرة") == [
        ["جهة", "سوس", "ماسة"],
        ["بلجيكا", "وفرنسا"],
        ["الهجرة"],
    ]


@pytest.mark.parametrize(
    "word", ["في", "من", "على", "الذي", "قال", "وأضاف", "وأوضح", "أشار", "مارس", "آذار", "جوان"]
)
def test_stop_words_include_particles_and_news_filler(word: str) -> None:
    assert arabic.is_stop(word)


@pytest.mark.parametrize("word", ["بلجيكا", "الهجرة", "علي", "فرنسا", "الإدماج", "حكومة"])
def test_content_words_are_not_stop_words(word: str) -> None:
    assert not arabic.is_stop(word)


def test_stem_groups_inflections_and_spellings() -> None:
    assert arabic.stem("الهجرة") == arabic.stem("هجرة") == arabic.stem("الهجره")
    assert arabic.stem("الجهة") == arabic.stem("جهة")
    assert arabic.stem("الإدماج") == arabic.stem("إدماج") == arabic.stem("الادماج")


def test_clitic_splits_offer_the_word_behind_prefixes() -> None:
    assert "بلجيكا" in [s.rest for s in arabic.clitic_splits("وبلجيكا")]
    assert [s.rest for s in arabic.clitic_splits("للهجرة")] == ["الهجرة"]
    assert arabic.clitic_splits("والإدماج")[0].rest == "الإدماج"
    assert arabic.clitic_splits("Paris") == []


@pytest.mark.parametrize(
    "spelling", ["الهجرة", "الهجره", "الْهِجْرَة", "الهـجرة", " الهجرة ", "\u200fالهجرة\u202e"]
)
def test_slug_is_the_same_for_spelling_variants(spelling: str) -> None:
    assert arabic.slugify(spelling) == "الهجره"


@pytest.mark.parametrize(
    ("label", "slug"),
    [
        ("سوس ماسة", "سوس-ماسه"),
        ("أمريكا / إيران", "امريكا-ايران"),
        ("Real Madrid", "real-madrid"),
        ("  --كأس   العالم!!  ", "كاس-العالم"),
        ("جي 20", "جي-20"),
        ("مجموعة ٢٠", "مجموعه-20"),
    ],
)
def test_slug_shape(label: str, slug: str) -> None:
    assert arabic.slugify(label) == slug


def test_slug_of_a_long_label_is_bounded_and_stable() -> None:
    label = "كلمة " * 100
    slug = arabic.slugify(label)
    assert len(slug.encode()) <= arabic.SLUG_MAX_BYTES
    assert slug == arabic.slugify(label)
    assert slug != arabic.slugify("كلمة " * 99)


@pytest.mark.parametrize("char", ["\U0001d400", "ب", "😀", "a"])
def test_slug_is_bounded_in_bytes_whatever_the_characters(char: str) -> None:
    # 80 mathematical bold capitals (fancy text) once made a 320-byte slug: a file name too long
    label = char * 300
    slug = arabic.slugify(label)
    assert 0 < len(slug.encode("utf-8")) <= arabic.SLUG_MAX_BYTES
    assert slug == arabic.slugify(label)
    assert slug != arabic.slugify(char * 299)


def test_slug_falls_back_to_a_hash_when_nothing_survives_folding() -> None:
    assert arabic.slugify("ـــ").startswith("t")
    assert arabic.slugify("   ") == ""


@given(st.text(max_size=200))
def test_slug_is_url_safe_and_never_empty_for_visible_text(label: str) -> None:
    slug = arabic.slugify(label)
    assert len(slug.encode()) <= arabic.SLUG_MAX_BYTES
    assert not slug.startswith("-") and not slug.endswith("-")
    assert "--" not in slug
    assert all(ch.isalnum() or ch == "-" for ch in slug)
    if label.strip():
        assert slug


@given(st.text(max_size=300))
def test_text_functions_never_raise(text: str) -> None:
    for token in arabic.tokenize(text):
        assert token
        arabic.stem(token)
        arabic.is_stop(token)
        arabic.clitic_splits(token)
    assert sum(len(run) for run in arabic.phrases(text)) == len(arabic.tokenize(text))
