"""The enrich step as a whole: places, topics and section together, and editor tags merged in."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.domain.errors import ArticleRejected
from pipeline.domain.models import CleanArticle, Submission
from pipeline.domain.validate import validate, validate_text
from pipeline.enrich import arabic
from pipeline.enrich.step import Enrichment, Models, enrich
from tests.services import ROOT

SEED = json.loads((ROOT / "examples" / "seed-article.json").read_text(encoding="utf-8"))


def seed_article(tags: list[str] | None = None) -> CleanArticle:
    payload = dict(SEED, tags=tags if tags is not None else SEED.get("tags", []))
    return validate(Submission.model_validate(payload))


def labels(found: Enrichment) -> tuple[list[str], list[str]]:
    return [t.label for t in found.tags], [t.label for t in found.places]


def test_seed_article_gets_its_regions_countries_and_topics() -> None:
    found = enrich(seed_article(tags=[]))
    tags, places = labels(found)
    assert 5 <= len(tags) <= 8
    assert {"سوس ماسة", "بلجيكا", "فرنسا"} <= set(places)
    assert "الهجرة" in tags
    assert found.section.name in {"society", "politics", "general"}


def test_a_place_is_never_also_a_topic() -> None:
    found = enrich(seed_article(tags=[]))
    place_words = {arabic.stem(w) for p in found.places for w in arabic.tokenize(p.label)}
    for tag in found.tags:
        assert not {arabic.stem(w) for w in arabic.tokenize(tag.label)} & place_words, tag


@pytest.mark.parametrize(
    "spelling",
    ["الهجره", "الهِجْرَة", "الهجـــرة", "ال\u200bهجرة", "الهجرة "],
    ids=["ha-for-ta-marbuta", "tashkeel", "tatweel", "zero-width", "trailing-space"],
)
def test_an_editor_tag_and_the_same_topic_are_one_tag_in_the_editors_spelling(
    spelling: str,
) -> None:
    found = enrich(seed_article(tags=[spelling]))
    slugs = [t.slug for t in found.all_tags]
    assert len(slugs) == len(set(slugs))
    matching = [t for t in found.all_tags if t.slug == arabic.slugify("الهجرة")]
    assert len(matching) == 1
    assert matching[0].kind == "editor"
    assert matching[0].label == arabic.clean_label(spelling)


@pytest.mark.parametrize("spelling", ["بلجيكا", "بَلجيكا", "بلجيـكا"])
def test_an_editor_tag_naming_a_place_stays_a_place_in_the_editors_spelling(
    spelling: str,
) -> None:
    found = enrich(seed_article(tags=[spelling]))
    belgium = [t for t in found.all_tags if t.slug == arabic.slugify("بلجيكا")]
    assert [(t.kind, t.label) for t in belgium] == [("place", arabic.clean_label(spelling))]


def test_alef_and_yeh_variants_of_an_editor_tag_collapse_to_one() -> None:
    found = enrich(seed_article(tags=["إدارة", "ادارة", "آدارة", "مستشفى", "مستشفي"]))
    editor = [t for t in found.tags if t.kind == "editor"]
    assert [t.label for t in editor] == ["إدارة", "مستشفى"]


def test_the_json_answer_has_the_documented_fields() -> None:
    answer = enrich(seed_article()).as_json()
    assert set(answer) == {"section", "confidence", "tags", "places"}
    assert 0.0 <= answer["confidence"] <= 1.0
    assert all(set(t) == {"label", "slug", "kind"} for t in answer["tags"] + answer["places"])


def test_a_threshold_of_one_files_everything_under_general() -> None:
    assert enrich(seed_article(), section_threshold=1.0).section.name == "general"


def test_models_load_once() -> None:
    assert Models.load() is Models.load()


@pytest.mark.parametrize(
    ("title", "body"),
    [
        ("x", "y"),
        ("<script>alert(1)</script>خبر", "<img src=x onerror=alert(1)>نص <b onclick=x>"),
        ("\u202eعنوان\u202c", "\u2066نص\u2069 " * 1000),
        ("Mixed عربي 123 ١٢٣", "Latin text only here and there. " * 50),
        ("عنوان", "كلمة " * 200_000),
    ],
    ids=["tiny", "injection", "bidi", "mixed-scripts", "one-megabyte"],
)
def test_hostile_text_gives_an_answer_not_an_exception(title: str, body: str) -> None:
    found = enrich(validate_text(title, body, [], max_body_bytes=2_000_000))
    assert len(found.tags) <= 8
    for tag in found.all_tags:
        assert "<" not in tag.label and arabic.has_word(tag.label)


@settings(max_examples=60, deadline=None)
@given(title=st.text(min_size=1, max_size=80), body=st.text(min_size=1, max_size=2000))
def test_any_text_that_validates_can_be_enriched(title: str, body: str) -> None:
    try:
        article = validate_text(title, body, [])
    except ArticleRejected:  # rejected input is validate's business, tested there
        return
    found = enrich(article)
    assert len({t.slug for t in found.all_tags}) == len(found.all_tags)
