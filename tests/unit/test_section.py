"""The section classifier: the committed model, clear-cut stories, and text meant to break it."""

from __future__ import annotations

import json
import time
from importlib import resources

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.enrich.section import (
    DEFAULT_THRESHOLD,
    GENERAL,
    SECTIONS,
    SectionGuess,
    SectionModel,
    classify,
    letter_features,
)

VALID = {*SECTIONS, GENERAL}

CLEAR_CUT = {
    "sport": (
        "المنتخب يتأهل إلى نهائي البطولة بعد فوزه في المباراة",
        [
            "سجل المهاجم هدفين في الشوط الثاني ليقود الفريق إلى الفوز على منافسه، "
            "ويتأهل المنتخب إلى المباراة النهائية من بطولة كأس العالم لكرة القدم.",
            "وقال المدرب إن اللاعبين قدموا مباراة كبيرة أمام الجماهير في الملعب.",
        ],
    ),
    "economy": (
        "ارتفاع أسعار النفط وتراجع مؤشرات البورصة",
        [
            "ارتفعت أسعار النفط في الأسواق العالمية وتراجعت مؤشرات البورصة، بينما قرر "
            "البنك المركزي رفع أسعار الفائدة لمواجهة التضخم وتراجع النمو الاقتصادي.",
            "وتوقع خبراء أن تؤثر الخطوة على الاستثمار والصادرات وسعر صرف العملة.",
        ],
    ),
    "technology": (
        "شركة أبل تكشف عن هاتف آيفون جديد",
        [
            "كشفت شركة أبل عن هاتف آيفون جديد بمعالج أسرع وكاميرا محسنة، مع تحديث لنظام "
            "التشغيل وتطبيقات تعتمد على الذكاء الاصطناعي.",
            "ويمكن للمستخدمين تحميل التحديث عبر الإنترنت على الهواتف الذكية والحواسيب.",
        ],
    ),
    "culture": (
        "مهرجان السينما يمنح جائزة أفضل فيلم لمخرج شاب",
        [
            "منحت لجنة تحكيم مهرجان السينما جائزة أفضل فيلم لمخرج شاب، وشهد حفل الختام "
            "حضور عدد من الفنانين والممثلين والكتاب.",
            "ويعرض الفيلم قصة عائلة في رواية للكاتب نفسه، إلى جانب معرض للفنون والمسرح.",
        ],
    ),
}


@pytest.fixture(scope="module")
def model() -> SectionModel:
    return SectionModel.load()


def assert_valid(guess: SectionGuess) -> None:
    assert guess.section in VALID
    assert 0.0 <= guess.confidence <= 1.0


def test_the_committed_model_loads_once_with_every_section(model: SectionModel) -> None:
    assert SectionModel.load() is model
    assert set(model.sections) == set(SECTIONS)
    assert model.version
    assert model.letters is not None
    for view in (model.words, model.letters):
        assert view.weights and set(view.weights) == set(view.df)
        assert all(len(row) == len(SECTIONS) for row in view.weights.values())
    assert " " in next(iter(model.letters.weights))  # letter n-grams carry the word's edges


def test_a_word_read_through_its_prefix_still_counts_for_the_letters() -> None:
    # "والاقتصاد" and "الاقتصاد": the stemmer keeps them apart only when a clitic is unknown;
    # the letter n-grams share "قتصا" whatever is attached
    grams = letter_features("", "والاقتصاد", 1)
    assert grams["قتصا"] == 1
    assert grams[" وا"] == 1
    assert letter_features("اقتصاد", "", 2)["قتصا"] == 2


def test_the_model_file_is_small_and_says_where_it_comes_from() -> None:
    path = resources.files("pipeline.enrich").joinpath("data", "section_model.json")
    raw = path.read_bytes()
    assert len(raw) < 3_000_000
    data = json.loads(raw)
    assert data["licence"] == "Apache-2.0"
    assert "ANT Corpus" in data["citation"]
    assert data["version"]


@pytest.mark.parametrize("section", sorted(CLEAR_CUT))
def test_a_clear_cut_story_gets_its_section(model: SectionModel, section: str) -> None:
    title, paragraphs = CLEAR_CUT[section]
    guess = classify(title, paragraphs, model)
    assert guess.section == section
    assert guess.confidence >= DEFAULT_THRESHOLD


def test_inline_markup_reads_as_its_text(model: SectionModel) -> None:
    title, paragraphs = CLEAR_CUT["sport"]
    marked = [
        f'<strong>{p[:40]}</strong>{p[40:]} <a href="https://x.test/">رابط</a>' for p in paragraphs
    ]
    plain = [f"{p} رابط" for p in paragraphs]
    assert classify(title, marked, model) == classify(title, plain, model)


def test_empty_text_is_general_with_no_confidence(model: SectionModel) -> None:
    assert classify("", [], model) == SectionGuess(GENERAL, 0.0)
    assert classify("   ", ["", "<p></p>"], model, threshold=0.0) == SectionGuess(GENERAL, 0.0)


def test_threshold_only_decides_between_the_section_and_general(model: SectionModel) -> None:
    title, paragraphs = CLEAR_CUT["economy"]
    argmax = classify(title, paragraphs, model, threshold=0.0)
    assert argmax.section == "economy"
    unsure = classify(title, paragraphs, model, threshold=1.01)
    assert unsure == SectionGuess(GENERAL, argmax.confidence)
    assert classify(title, paragraphs, model, threshold=argmax.confidence) == argmax


def test_a_vague_text_is_less_sure_than_a_clear_one(model: SectionModel) -> None:
    title, paragraphs = CLEAR_CUT["technology"]
    clear = classify(title, paragraphs, model, threshold=0.0)
    vague = classify("خبر", ["هذا نص قصير عن موضوع ما."], model, threshold=0.0)
    assert vague.confidence < clear.confidence


HOSTILE = [
    ("", ["ا" * 1_000_000]),
    ("عنوان", ["كرة القدم " * 100_000]),
    ("\u202eالمنتخب\u202c", ["\u200fفاز\u200b الفريق\u2066 في\u2069 المباراة\ufeff\u061c"]),
    ("Breaking news", ["The quick brown fox jumps over the lazy dog."]),
    ("2024", ["1234567890 ٠١٢٣٤٥٦٧٨٩ ۰۱۲۳"]),
    ("<script>alert(1)</script>", ["<script>alert('x')</script><img src=x onerror=alert(1)>"]),
    ("&lt;b&gt;", ["&amp;&#0;&#x110000;&bogus; <<<>>>", "<" * 10_000]),
    ("\x00\x01\x7f", ["\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace")]),
    ("🙂" * 1000, ["\u0301" * 5000, "ـــــــ", "ًٌٍَُِّْ"]),
]


@pytest.mark.parametrize(("title", "paragraphs"), HOSTILE)
def test_hostile_text_never_raises_and_stays_fast(
    model: SectionModel, title: str, paragraphs: list[str]
) -> None:
    started = time.perf_counter()
    guess = classify(title, paragraphs, model)
    assert time.perf_counter() - started < 5.0
    assert_valid(guess)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=st.text(max_size=200), paragraphs=st.lists(st.text(max_size=500), max_size=5))
def test_any_text_gets_a_valid_guess(title: str, paragraphs: list[str]) -> None:
    model = SectionModel.load()
    guess = classify(title, paragraphs, model, threshold=0.0)
    assert_valid(guess)
    if guess.section == GENERAL:
        assert guess.confidence == 0.0
    thresholded = classify(title, paragraphs, model)
    assert_valid(thresholded)
    assert thresholded.confidence == guess.confidence


def test_a_model_in_another_format_is_refused() -> None:
    with pytest.raises(ValueError, match="format"):
        SectionModel.from_json({"format": 99, "sections": list(SECTIONS), "features": {}})
