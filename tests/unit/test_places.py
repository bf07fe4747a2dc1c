"""Places named in a story, read with the gazetteer in `pipeline/enrich/data/places.json`."""

from __future__ import annotations

import html
import json
import time
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.enrich import arabic
from pipeline.enrich.places import MAX_PLACES, Gazetteer, Place, find_places
from pipeline.enrich.text import MAX_TEXT_CHARS

SEED = Path(__file__).resolve().parents[2] / "examples" / "seed-article.json"
MOROCCAN_REGIONS = {
    "طنجة تطوان الحسيمة",
    "جهة الشرق",
    "فاس مكناس",
    "الرباط سلا القنيطرة",
    "بني ملال خنيفرة",
    "الدار البيضاء سطات",
    "مراكش آسفي",
    "درعة تافيلالت",
    "سوس ماسة",
    "كلميم واد نون",
    "العيون الساقية الحمراء",
    "الداخلة وادي الذهب",
}


def labels(text: str, *paragraphs: str, limit: int = 8) -> list[str]:
    return [place.label for place in find_places(text, list(paragraphs), limit=limit)]


def packaged_json() -> dict[str, object]:
    raw = resources.files("pipeline.enrich").joinpath("data", "places.json").read_text("utf-8")
    data: dict[str, object] = json.loads(raw)
    return data


def test_seed_article_names_its_region_countries_and_cities() -> None:
    # Given the seed story, as HTML paragraphs the way the enrich step sees them
    data = json.loads(SEED.read_text(encoding="utf-8"))
    paragraphs = [f"<p>{html.escape(p)}</p>" for p in data["body"].split("\n") if p.strip()]

    # When its places are read
    places = find_places(data["title"], paragraphs, limit=20)

    # Then the headline's region and countries lead, then the places of the body
    found = [place.label for place in places]
    assert found[:3] == ["سوس ماسة", "بلجيكا", "فرنسا"]
    assert {"المغرب", "إنزكان", "أيت ملول", "تزنيت", "بني ملال خنيفرة", "جهة الشرق"} <= set(found)
    assert "الدار" not in found and "أندلس" not in found
    kinds = {place.label: place.kind for place in places}
    assert kinds["سوس ماسة"] == "region" and kinds["فرنسا"] == "country"
    assert kinds["تزنيت"] == "city"
    assert len(find_places(data["title"], paragraphs)) == MAX_PLACES  # the page shows six


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("وفرنسا", "فرنسا"),
        ("بفرنسا", "فرنسا"),
        ("لفرنسا", "فرنسا"),
        ("فبفرنسا", "فرنسا"),
        ("والمغرب", "المغرب"),
        ("بالمغرب", "المغرب"),
        ("للمغرب", "المغرب"),
        ("وللمغرب", "المغرب"),
        ("فالمغرب", "المغرب"),
        ("كالمغرب", "المغرب"),
        ("وبالدار البيضاء", "الدار البيضاء"),
        ("للولايات المتحدة", "الولايات المتحدة"),
    ],
)
def test_clitics_are_read_off_and_the_gazetteer_label_is_kept(text: str, label: str) -> None:
    assert labels(f"زيارة {text} اليوم") == [label]


def test_bare_kaf_is_not_read_as_a_clitic() -> None:
    # "كلاوس" is Klaus, not "like Laos"; "كالمغرب" (ك before ال) still is
    assert labels("قال كلاوس شواب") == []


@pytest.mark.parametrize(
    "text",
    [
        "فَرَنْسَا",
        "فـــرنسا",
        "فر\u200cنسا",
        "\u200fفرنسا\u200f",
        "\u2067فرنسا\u2069",
        "\ufeffفرنسا",
        "ﻓﺮﻧﺴﺎ",
    ],
)
def test_marks_tatweel_and_invisible_characters_are_ignored(text: str) -> None:
    assert labels(f"في {text} أمس") == ["فرنسا"]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("اسبانيا", "إسبانيا"),
        ("الامارات", "الإمارات"),
        ("سوس ماسه", "سوس ماسة"),
        ("أمريكا", "الولايات المتحدة"),
        ("أميركا", "الولايات المتحدة"),
        ("المملكة العربية السعودية", "السعودية"),
        ("المملكة المتحدة", "بريطانيا"),
        ("الاتحاد الروسي", "روسيا"),
        ("جمهورية مصر العربية", "مصر"),
    ],
)
def test_spellings_and_long_forms_give_the_label_editors_write(text: str, label: str) -> None:
    assert labels(f"في {text}") == [label]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("الدار البيضاء", ["الدار البيضاء"]),
        ("جهة الدار البيضاء سطات", ["الدار البيضاء سطات"]),
        ("الولايات المتحدة الأمريكية", ["الولايات المتحدة"]),
        ("روسيا البيضاء", ["بيلاروسيا"]),
        ("جنوب السودان", ["جنوب السودان"]),
        ("إنزكان أيت ملول", ["إنزكان", "أيت ملول"]),
        ("جهة بني ملال -خنيفرة", ["بني ملال خنيفرة"]),
        ("بني ملال–خنيفرة", ["بني ملال خنيفرة"]),
        ("فاس مكناس", ["فاس مكناس"]),
        ("فاس، مكناس", ["فاس", "مكناس"]),
        ("الرباط. سلا", ["الرباط", "سلا"]),
    ],
)
def test_the_longest_name_wins_and_punctuation_ends_a_name(text: str, expected: list[str]) -> None:
    assert labels(f"زار الوفد {text} أمس") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("التقط صور الحدث", []),
        ("في مدينة صور اللبنانية", ["صور"]),
        ("قدم دعم مالي للجمعيات", []),
        ("هجوم في شمال مالي", ["مالي"]),
        ("عاد إلى عمان", []),
        ("وزير خارجية سلطنة عمان", ["سلطنة عمان"]),
        ("وصل إلى العاصمة الأردنية عمان", ["عمان"]),
        ("الوجوه الجديدة في الفريق", []),
        ("وجده ميتا في منزله", []),
        ("زار وجدة والناظور", ["وجدة", "الناظور"]),
        ("بعد صلاة المغرب", []),
        ("دول المغرب العربي", []),
        ("بسبب القوة القاهرة", []),
        ("إصابة في الرباط الصليبي", []),
        ("عاد إلى مسقط رأسه", []),
        ("في الجهة الشرقية من المدينة", []),
        ("لاعب ريال مدريد", []),
        ("كيف حالك", []),
        ("استيقظ باكرا", []),
    ],
)
def test_ambiguous_words_are_places_only_in_their_unambiguous_forms(
    text: str, expected: list[str]
) -> None:
    assert labels(text) == expected


def test_a_name_shared_by_a_country_and_its_capital_is_the_country() -> None:
    places = find_places("الجزائر وتونس", ["الجزائر العاصمة"])
    assert [(p.label, p.kind) for p in places] == [
        ("الجزائر", "country"),
        ("تونس", "country"),
        ("الجزائر العاصمة", "city"),
    ]


def test_places_come_once_earliest_and_most_mentioned_first() -> None:
    body = [
        "زار الوزير بلجيكا ثم فرنسا.",
        "وفي فرنسا التقى نظيره، وبفرنسا وقع اتفاقا، ولفرنسا شكر.",
    ]
    assert labels("لقاء في المغرب", *body) == ["المغرب", "فرنسا", "بلجيكا"]


def test_limit_bounds_the_list() -> None:
    text = "مصر والأردن ولبنان وسوريا والعراق واليمن وقطر والكويت والبحرين وتونس"
    assert len(labels(text)) == 8
    assert len(labels(text, limit=3)) == 3
    assert labels(text, limit=0) == []


def test_inline_html_is_read_as_text_and_scripts_are_not() -> None:
    paragraphs = [
        "<p>زيارة إلى <strong>المغرب</strong> و<a href='https://x.example'>فرنسا</a></p>",
        "<script>var x = 'بلجيكا';</script>",
        "<p>مصر &amp; الأردن</p>",
    ]
    assert labels("", *paragraphs) == ["المغرب", "فرنسا", "مصر", "الأردن"]


@pytest.mark.parametrize(
    ("title", "paragraphs"),
    [
        ("", []),
        ("", ["", "   ", "\n"]),
        ("،،، ... !!!", ["ـــ", "\u200b\u200f", "-", "—"]),
        ("<script>alert(1)</script>", ["<p><b>غير مغلق", "&#x0;&bogus;", "\x00\x01"]),
        ("Paris 2024 فرنسا١٢٣", ["١٢٣المغرب456 abcمصر", "Maroc, France & Belgique"]),
        ("فرنسا\ud800", ["<p>المغرب \udfff</p>"]),
    ],
)
def test_hostile_input_never_raises(title: str, paragraphs: list[str]) -> None:
    places = find_places(title, paragraphs)
    assert all(isinstance(place, Place) for place in places)


def test_mixed_digits_and_latin_do_not_hide_a_place() -> None:
    assert labels("Paris 2024 فرنسا١٢٣", "١٢٣المغرب456") == ["فرنسا", "المغرب"]


def test_a_megabyte_paragraph_is_read_only_up_to_the_bound_and_quickly() -> None:
    filler = "كلمة عادية " * (1_000_000 // 11)
    started = time.perf_counter()
    places = labels("عنوان", "فرنسا " + filler + " المغرب")
    assert time.perf_counter() - started < 2.0
    assert places == ["فرنسا"]
    late = "ب" * MAX_TEXT_CHARS + " مصر"
    assert labels("", late) == []


def test_gazetteer_covers_un_members_and_moroccan_regions() -> None:
    gazetteer = Gazetteer.load()
    kinds: dict[str, set[str]] = {}
    for place in gazetteer.places:
        kinds.setdefault(place.kind, set()).add(place.label)
    assert len(kinds["country"]) >= 193
    assert kinds["region"] >= MOROCCAN_REGIONS
    assert {"الرباط", "الدار البيضاء", "أكادير", "مراكش", "فاس", "طنجة", "تزنيت"} <= kinds["city"]
    assert {"تارودانت", "إنزكان", "أيت ملول", "بيروت", "دمشق", "باريس", "بروكسل"} <= kinds["city"]
    assert "واشنطن" in kinds["city"] and "غزة" in kinds["region"]


def test_every_name_in_the_data_looks_up_to_its_own_place() -> None:
    gazetteer = Gazetteer.load()
    data = packaged_json()
    rows = data["places"]
    assert isinstance(rows, list)
    slugs = set()
    for row in rows:
        place = gazetteer.lookup(row["label"]) or gazetteer.lookup(row["names"][0])
        assert place is not None and place.label == row["label"], row["label"]
        assert place.slug == arabic.slugify(place.label)
        slugs.add(place.slug)
        for name in row["names"]:
            assert gazetteer.lookup(name) == place, name
    assert len(slugs) == len(rows)
    assert gazetteer.lookup("المغرب العربي") is None
    assert gazetteer.lookup("صور") is None


def test_every_one_word_name_is_found_behind_a_clitic() -> None:
    # The quick test that lets most words skip `clitic_splits` must never skip a real name.
    rows = packaged_json()["places"]
    assert isinstance(rows, list)
    missed = []
    for row in rows:
        for name in row["names"]:
            if " " in name or "-" in name:
                continue
            if arabic.normalize(name).startswith("ال"):
                forms = ["و" + name, "ب" + name, "فب" + name, "لل" + name[2:], "ولل" + name[2:]]
            else:  # "للاوس" is ل + الاوس, as `clitic_splits` reads "للطب"
                forms = ["و" + name, "ب" + name, "وب" + name]
                forms += [] if name.startswith("ل") else ["ل" + name]
            for form in forms:
                if labels(f"زار {form} أمس") != [row["label"]]:
                    missed.append(form)
    assert missed == [], missed


def test_unknown_kind_is_refused() -> None:
    bad = {"places": [{"label": "الأمم المتحدة", "kind": "body", "names": ["الأمم المتحدة"]}]}
    with pytest.raises(ValueError, match="kind"):
        Gazetteer.from_json(bad)


def test_a_small_gazetteer_can_be_passed_in() -> None:
    gazetteer = Gazetteer.from_json(
        {
            "places": [
                {"label": "سوس", "kind": "region", "country": "MA", "names": ["سوس"]},
                {"label": "سوس ماسة", "kind": "region", "country": "MA", "names": ["سوس ماسة"]},
            ],
            "not_places": ["عرق السوس"],
        }
    )
    found = find_places("جهة سوس ماسة وسوس وعرق السوس", [], gazetteer=gazetteer)
    assert [p.label for p in found] == ["سوس ماسة", "سوس"]
    assert found[0].country == "MA"


def test_the_committed_data_is_what_the_build_script_writes() -> None:
    pytest.importorskip("pycountry")
    from scripts.build_places import build

    assert build() == packaged_json()


_ARABIC_LETTERS = st.characters(min_codepoint=0x0621, max_codepoint=0x064A)
_NOISE = st.sampled_from(["\u064e", "\u0640", "\u200c", "\u200f", "،", ".", "-", " ", "<b>", "&"])
_NAMES = st.sampled_from(
    ["فرنسا", "بالمغرب", "وللمغرب", "سوس ماسة", "الدار البيضاء", "صور", "مالي", "عمان", "وجدة"]
)
_TEXT = st.lists(
    st.one_of(_NAMES, _NOISE, st.text(_ARABIC_LETTERS, max_size=8), st.text(max_size=8)),
    max_size=40,
).map(" ".join)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=_TEXT, paragraphs=st.lists(_TEXT, max_size=5), limit=st.integers(-1, 10))
def test_output_is_always_known_places_each_once_within_limit(
    title: str, paragraphs: list[str], limit: int
) -> None:
    known = {place.label for place in Gazetteer.load().places}
    places = find_places(title, paragraphs, limit=limit)
    assert {place.label for place in places} <= known
    assert len({place.slug for place in places}) == len(places)
    assert len(places) <= max(limit, 0)
