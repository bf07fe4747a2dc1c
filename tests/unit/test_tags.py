"""Tags from the text: editor tags first, then keywords an editor would keep."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.domain.models import CleanArticle, Tag
from pipeline.enrich import arabic
from pipeline.enrich.tags import extract_tags
from pipeline.enrich.term_stats import TermStats
from pipeline.enrich.text import visible_text

SEED = Path(__file__).resolve().parents[2] / "examples" / "seed-article.json"
PUNCTUATION = re.compile(r"[^\w\s]|_")


def article(
    title: str = "عنوان", paragraphs: list[str] | None = None, editor_tags: list[str] | None = None
) -> CleanArticle:
    return CleanArticle(
        title=title,
        paragraphs=paragraphs if paragraphs is not None else [],
        source_url="https://news.example/a",
        source_name="مصدر",
        editor_tags=editor_tags or [],
    )


def seed_article(editor_tags: list[str] | None = None) -> CleanArticle:
    data = json.loads(SEED.read_text(encoding="utf-8"))
    paragraphs = [f"<p>{html.escape(p)}</p>" for p in data["body"].split("\n") if p.strip()]
    return article(data["title"], paragraphs, editor_tags)


def assert_valid(tags: list[Tag]) -> None:
    slugs = [tag.slug for tag in tags]
    assert len(slugs) == len(set(slugs))
    stems: set[str] = set()
    for tag in tags:
        assert tag.label.strip() == tag.label and tag.label
        assert tag.slug == arabic.slugify(tag.label)
        assert 0 < len(tag.slug.encode()) <= arabic.SLUG_MAX_BYTES
        if tag.kind != "topic":
            continue
        words = tag.label.split(" ")
        assert 1 <= len(words) <= 2
        assert not PUNCTUATION.search(tag.label), tag.label
        assert not arabic.is_stop(words[0]) and not arabic.is_stop(words[-1]), tag.label
        assert not any(arabic.is_number(word) for word in words), tag.label
        tag_stems = {arabic.stem(word) for word in words}
        assert not tag_stems & stems, tag.label
        stems |= tag_stems


def test_seed_article_gets_the_tags_an_editor_would_pick() -> None:
    # Given the Souss-Massa delegation story
    # When tags are extracted
    tags = extract_tags(seed_article())

    # Then there are 5 to 8 topic tags, and most of the story's subjects are among them
    assert 5 <= len(tags) <= 8
    assert {tag.kind for tag in tags} == {"topic"}
    expected = {arabic.slugify(w) for w in ["سوس ماسة", "الهجرة", "الإدماج", "بلجيكا", "فرنسا"]}
    assert len(expected & {tag.slug for tag in tags}) >= 3
    assert_valid(tags)


def test_seed_tags_show_the_bare_word_not_the_one_with_a_conjunction() -> None:
    labels = {tag.label for tag in extract_tags(seed_article())}
    assert "بلجيكا" in labels
    assert not any(label.startswith(("وبلجيكا", "وفرنسا", "والإدماج")) for label in labels)


def test_editor_tags_come_first_and_merge_spelling_variants() -> None:
    tags = extract_tags(seed_article(["الهجرة", "الهجره", "الْهِجْرَة", "  ", "", "!!"]))

    assert tags[0] == Tag(label="الهجرة", slug="الهجره", kind="editor")
    assert [tag.kind for tag in tags].count("editor") == 1
    assert sum(tag.slug == "الهجره" for tag in tags) == 1
    assert all(
        arabic.stem("الهجرة") not in {arabic.stem(w) for w in t.label.split()} for t in tags[1:]
    )
    assert_valid(tags)


def test_an_extracted_tag_equal_to_an_editor_tag_is_dropped() -> None:
    tags = extract_tags(seed_article(["بلجيكا"]))
    assert [tag.label for tag in tags].count("بلجيكا") == 1
    assert tags[0].kind == "editor"


def test_editor_tags_lose_invisible_characters_but_keep_their_spelling() -> None:
    tags = extract_tags(article(editor_tags=["\u202eكرة  القدم\u200f", "كرة القدم"]))
    editor = [tag for tag in tags if tag.kind == "editor"]
    assert editor == [Tag(label="كرة القدم", slug="كره-القدم", kind="editor")]


def test_limit_caps_the_extracted_tags() -> None:
    assert len(extract_tags(seed_article(), limit=3)) == 3
    assert extract_tags(seed_article(), limit=0) == []


def test_a_short_text_gets_few_tags() -> None:
    tags = extract_tags(article("زلزال في تركيا", ["<p>ضرب زلزال جنوب تركيا.</p>"]))
    assert 1 <= len(tags) <= 4
    assert "تركيا" in {tag.label for tag in tags}
    assert_valid(tags)


def test_visible_text_drops_markup_and_scripts() -> None:
    assert visible_text("<b>غزة</b> &amp; <script>alert(1)</script>رفح") == "غزة & رفح"


def test_an_empty_model_still_tags() -> None:
    tags = extract_tags(seed_article(), model=TermStats(documents=0))
    assert 1 <= len(tags) <= 8
    assert_valid(tags)


def test_packaged_stats_record_their_source() -> None:
    stats = TermStats.load()
    assert stats.documents > 1000
    assert stats.terms and stats.bigrams and stats.forms
    assert TermStats.load() is stats


@pytest.mark.parametrize(
    "paragraphs",
    [
        [],
        [""],
        ["<script>alert('سوس ماسة')</script><style>p{}</style>"],
        ["&lt;script&gt;alert(1)&lt;/script&gt; <b></b> <i>&nbsp;</i>"],
        ["\u202eالهجرة\u200f والإدماج\u200f في \u202bبلجيكا\u202c وفرنسا\u200e. الهجرة بلجيكا"],
        ["الهج\u200bرة و\u200dالإد\u200cماج \ufeffالهجرة الإدماج"],
        ["Apple و Google تتنافسان على iPhone في السوق. Apple وGoogle وiPhone"],
        ["في عام ٢٠٢٣ ارتفع عدد السكان إلى ١٥٠٠٠ نسمة في ٢٠٢٣ و١٥٠٠٠"],
        ["،،، ؛؛ ؟؟ !!! ... «» ـــ"],
        ["وفد " * 10 + "ﻻ ﷲ ﻷ"],
    ],
)
def test_hostile_paragraphs_give_valid_tags(paragraphs: list[str]) -> None:
    tags = extract_tags(article("", paragraphs))
    assert len(tags) <= 8
    assert_valid(tags)


def test_a_one_megabyte_paragraph_is_tagged_quickly() -> None:
    body = (
        "<p>" + ("الحكومة تدرس ميزانية الصحة في تونس، والبرلمان يناقش القانون. " * 17_000) + "</p>"
    )
    assert len(body) > 1_000_000
    tags = extract_tags(article("ميزانية الصحة", [body]))
    assert 1 <= len(tags) <= 8
    assert_valid(tags)


PIECES = [
    *"ابتثجحخدذرسشصضطظعغفقكلمنهويىةءأإآؤئ ًٌٍَُِّْـ٠١٢3 ،.؟!<>&;\u200f\u202e",
    *["ال", "و", "وال", " في ", " من ", " بلجيكا ", "<b>", "</b>", "&amp;", "x"],
]
ARABICISH = st.lists(st.sampled_from(PIECES), max_size=120).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=st.one_of(st.text(max_size=80), ARABICISH),
    paragraphs=st.lists(st.one_of(ARABICISH, st.text(max_size=200)), max_size=5),
    editor_tags=st.lists(st.one_of(st.text(max_size=20), ARABICISH), max_size=5),
)
def test_any_text_gives_valid_tags(
    title: str, paragraphs: list[str], editor_tags: list[str]
) -> None:
    tags = extract_tags(article(title, paragraphs, editor_tags))
    assert_valid(tags)
    editor = [tag for tag in tags if tag.kind == "editor"]
    assert tags[: len(editor)] == editor
    assert len(tags) <= max(8, len(editor))


def test_a_verb_behind_a_conjunction_is_not_a_tag() -> None:
    text = (
        "<p>يتقدم المهاجم ويخطف الكرة من المدافع، ثم ويخطف الأضواء في الملعب ويخطف قلوب "
        "الجماهير، ويسأله الصحفيون عن المباراة فيجيب ويقصيه المدرب من التشكيلة.</p>"
    )
    labels = [tag.label for tag in extract_tags(article("المهاجم في الملعب", [text]))]
    assert labels, "the text still has tags"
    for verb in ("ويخطف", "يخطف", "ويسأله", "ويقصيه"):
        assert verb not in labels, labels
