"""validate: the seed passes, every rule fails on its own, and all failures are listed together."""

from __future__ import annotations

import json
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.domain.errors import ArticleRejected
from pipeline.domain.markup import INLINE_TAGS
from pipeline.domain.models import CleanArticle, ImageIn, Submission
from pipeline.domain.validate import validate

SEED = Path(__file__).resolve().parents[2] / "examples" / "seed-article.json"
GOOD_URL = "https://news.example/story"


def submission(**fields: Any) -> Submission:
    """A valid submission with `fields` overriding its values."""
    values: dict[str, Any] = {
        "title": "عنوان الخبر",
        "body": "فقرة أولى.\n\nفقرة ثانية.",
        "source_url": GOOD_URL,
        "source_name": "شبكة أندلس",
    }
    values.update(fields)
    return Submission(**values)


def reasons_for(sub: Submission, **kwargs: Any) -> list[str]:
    with pytest.raises(ArticleRejected) as caught:
        validate(sub, **kwargs)
    return caught.value.reasons


# --- the seed -------------------------------------------------------------------------------


def test_seed_article_validates_into_seven_paragraphs() -> None:
    # Given the sample article the project was described from
    seed = Submission(**json.loads(SEED.read_text(encoding="utf-8")))
    # When it is validated
    article = validate(seed)
    # Then its title and all seven paragraphs survive, text untouched (even "15إلى")
    assert article.title == "وفد من جهة سوس يقوم بزيارة عمل إلى بلجيكا وفرنسا"
    assert len(article.paragraphs) == 7
    assert "من 15إلى 24 مارس" in article.paragraphs[0]
    assert article.paragraphs[0].startswith("بدأ وفد من جهة سوس ماسة")
    assert article.source_name == "شبكة أندلس"
    assert article.images[0].url == "https://news.example/img/souss-delegation.jpg"
    assert article.images[0].caption == "وفد جهة سوس ماسة"


# --- one failing test per rule --------------------------------------------------------------


@pytest.mark.parametrize(
    "title", ["", "   ", "\n\t", "<b></b>", "<script>x</script>", "\u202e\u200b"]
)
def test_title_empty_after_cleaning_is_rejected(title: str) -> None:
    assert reasons_for(submission(title=title)) == ["title: must be 1 to 200 characters (got 0)"]


def test_title_over_200_characters_is_rejected() -> None:
    assert reasons_for(submission(title="ب" * 201)) == [
        "title: must be 1 to 200 characters (got 201)"
    ]


def test_title_of_200_characters_counted_after_cleaning_is_accepted() -> None:
    assert validate(submission(title=f"<b>{'ب' * 200}</b>")).title == "ب" * 200


def test_title_huge_is_rejected_without_reading_it() -> None:
    reasons = reasons_for(submission(title="x" * 5_000_000))
    assert reasons == ["title: must be 1 to 200 characters (got 5000000)"]


def test_title_is_plain_text_with_whitespace_collapsed() -> None:
    sub = submission(title="  <i>وفد</i>\n من   جهة &amp; سوس ")
    assert validate(sub).title == "وفد من جهة & سوس"


def test_body_over_the_byte_limit_is_rejected() -> None:
    # 100 Arabic letters are 200 bytes of UTF-8: the limit counts bytes, not characters.
    assert reasons_for(submission(body="ب" * 100), max_body_bytes=199) == [
        "body: must be at most 199 bytes of UTF-8 (got 200)"
    ]
    assert validate(submission(body="ب" * 100), max_body_bytes=200).paragraphs == ["ب" * 100]


def test_body_of_ten_megabytes_is_rejected_quickly() -> None:
    started = time.perf_counter()
    reasons = reasons_for(submission(body="<b>خبر</b>\n\n" * 1_000_000))
    assert time.perf_counter() - started < 1.0
    assert reasons == ["body: must be at most 200000 bytes of UTF-8 (got at least 12000000)"]


@pytest.mark.parametrize(
    "body", ["", " ", "\n\n\n", " \n \t\n", "<br><b></b>", "<script>alert(1)</script>", "\u200b"]
)
def test_body_without_text_is_rejected(body: str) -> None:
    assert reasons_for(submission(body=body)) == [
        "body: must have at least one paragraph with text"
    ]


def test_body_splits_on_blank_lines_including_whitespace_only_ones() -> None:
    body = "أ\r\nب\r\n\r\nج\n   \t\nد\n\n\n\nهـ\u2029و"
    assert validate(submission(body=body)).paragraphs == ["أ ب", "ج", "د", "هـ", "و"]


def test_body_paragraphs_are_sanitised_and_empty_ones_dropped() -> None:
    body = "<b>قوي</b> <script>x()</script>\n\n<img src=x onerror=alert(1)>\n\n<p>نص</p>"
    assert validate(submission(body=body)).paragraphs == ["<b>قوي</b>", "نص"]


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "ftp://a.example/x", "/relative", "news.example/x", "", "https://"],
)
def test_source_url_must_be_absolute_http(url: str) -> None:
    (reason,) = reasons_for(submission(source_url=url))
    assert reason.startswith("source_url: ")


def test_source_url_is_kept_for_attach_source_to_clean() -> None:
    url = "https://news.example/x?utm_source=feed"
    assert validate(submission(source_url=f"  {url}\n")).source_url == url


@pytest.mark.parametrize("name", ["", "  ", "<i></i>"])
def test_source_name_empty_is_rejected(name: str) -> None:
    assert reasons_for(submission(source_name=name)) == [
        "source_name: must be 1 to 200 characters (got 0)"
    ]


def test_source_name_is_plain_text() -> None:
    assert validate(submission(source_name="<b>هسبريس</b> &amp; co")).source_name == "هسبريس & co"


def test_tags_are_cleaned_trimmed_and_empty_and_repeated_ones_dropped() -> None:
    sub = submission(tags=["  الهجرة ", "", "   ", "<b>سوس</b>", "الهجرة", "<script>x</script>"])
    assert validate(sub).editor_tags == ["الهجرة", "سوس"]


def test_tag_over_100_characters_is_rejected_by_index() -> None:
    assert reasons_for(submission(tags=["ok", "ت" * 101])) == [
        "tags[1]: must be at most 100 characters (got 101)"
    ]


def test_each_bad_image_url_gets_a_reason() -> None:
    images = [
        ImageIn(url="https://news.example/a.jpg"),
        ImageIn(url="data:image/png;base64,AAAA"),
        ImageIn(url="javascript:alert(1)"),
    ]
    reasons = reasons_for(submission(images=images))
    assert [r.split(":")[0] for r in reasons] == ["images[1].url", "images[2].url"]


def test_image_captions_are_plain_text() -> None:
    images = [ImageIn(url="https://news.example/a.jpg", caption="<i>وفد</i> <img src=x onerror=y>")]
    assert validate(submission(images=images)).images[0].caption == "وفد"


def test_category_is_plain_text_or_none() -> None:
    assert validate(submission(category="<b>جهات</b>")).category == "جهات"
    assert validate(submission(category="  ")).category is None
    assert validate(submission()).category is None


def test_breaking_flag_is_carried() -> None:
    assert validate(submission(breaking=True)).breaking is True


# --- all failures at once -------------------------------------------------------------------


def test_every_failing_rule_is_listed_at_once() -> None:
    # Given a submission that breaks every rule
    sub = submission(
        title=" ",
        body="\n\n",
        source_url="javascript:alert(1)",
        source_name="",
        tags=["و" * 101],
        images=[ImageIn(url="ftp://x.example/a.jpg"), ImageIn(url="data:,x")],
    )
    # When it is validated, then every fault is reported, in field order
    reasons = reasons_for(sub)
    assert [r.split(":")[0] for r in reasons] == [
        "title",
        "body",
        "source_url",
        "source_name",
        "tags[0]",
        "images[0].url",
        "images[1].url",
    ]
    assert "title: must be 1 to 200 characters (got 0)" in reasons


def test_oversized_body_is_listed_with_the_other_failures() -> None:
    reasons = reasons_for(submission(title="", body="x" * 300_001, source_url="ftp://x"))
    assert [r.split(":")[0] for r in reasons] == ["title", "body", "source_url"]


# --- hostile input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        "<svg onload=alert(1)>",
        '<a href="&#106;avascript:alert(1)">x</a>',
        '<a href="data:text/html,<script>alert(1)</script>">x</a>',
        '<b style="x: expression(alert(1))">x</b>',
    ],
)
def test_hostile_markup_never_reaches_title_or_paragraphs(hostile: str) -> None:
    article = validate(submission(title=f"عنوان {hostile}", body=f"نص {hostile}\n\nفقرة"))
    for html in [article.title, *article.paragraphs]:
        lowered = html.lower()
        assert "<script" not in lowered
        assert "javascript:" not in lowered
        assert "onerror" not in lowered and "onload" not in lowered
        assert "expression" not in lowered and "data:" not in lowered


def test_entity_encoded_script_stays_text_in_paragraphs() -> None:
    article = validate(submission(body="&lt;script&gt;alert(1)&lt;/script&gt;"))
    assert article.paragraphs == ["&lt;script&gt;alert(1)&lt;/script&gt;"]


@pytest.mark.parametrize("control", ["\u202e", "\u202a", "\u202b", "\u202d", "\u2066", "\u2067"])
def test_bidi_controls_are_removed_from_title_and_body(control: str) -> None:
    article = validate(
        submission(title=f"exe.{control}txt عنوان", body=f"نص{control} ثم&#x202e;نص")
    )
    assert control not in article.title
    assert all(control not in p and "\u202e" not in p for p in article.paragraphs)
    assert article.title == "exe.txt عنوان"


def test_zero_width_characters_go_except_the_joiners_arabic_needs() -> None:
    article = validate(submission(title="خبر\u200b\ufeffعاجل می\u200cخواهم", body="\u200b\ufeffنص"))
    assert article.title == "خبرعاجل می\u200cخواهم"
    assert article.paragraphs == ["نص"]


def test_mixed_latin_arabic_and_arabic_indic_digits_are_kept() -> None:
    title = "قمة COP28 في ٢٠٢٣ و۲۰۲۴ at 10:30"
    article = validate(submission(title=title, body=f"{title}\n\n«اقتباس» — ‹نص›"))
    assert article.title == title
    assert article.paragraphs == [title, "«اقتباس» — ‹نص›"]


def test_controls_are_stripped_from_every_text_field() -> None:
    sub = submission(
        source_name="مصدر\x00\u202e",
        tags=["وسم\x07"],
        category="فئة\x1b",
        images=[ImageIn(url="https://news.example/a.jpg\u202e", caption="تعليق\x85")],
    )
    article = validate(sub)
    assert article.source_name == "مصدر"
    assert article.editor_tags == ["وسم"]
    assert article.category == "فئة"
    assert article.images[0].url == "https://news.example/a.jpg"
    assert article.images[0].caption == "تعليق"


# --- property: whatever the text, a clean article or a rejection, never unsafe markup --------

_HOSTILE_BITS = st.sampled_from(
    [
        "<script>",
        "</script>",
        "<a href='javascript:x'>",
        "<a href=",
        "javascript:",
        "&#106;",
        "<img src=x onerror=",
        "<svg onload=",
        " onclick=",
        "<b>",
        "</b>",
        '"',
        "'",
        "<",
        ">",
        "&",
        "&lt;",
        "<!--",
        "-->",
        "\n\n",
        "\u202e",
        "\u200b",
        "<style>",
        "data:",
        "<a href='https://x.example'>",
    ]
)
_TEXT = st.lists(st.one_of(st.text(max_size=20), _HOSTILE_BITS), max_size=25).map("".join)


class _Markup(HTMLParser):
    """Collects the tags and attributes a browser would see in a fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


def _assert_safe(fragment: str) -> None:
    assert "<script" not in fragment.lower()
    parser = _Markup()
    parser.feed(fragment)
    parser.close()
    for tag, attrs in parser.tags:
        assert tag in INLINE_TAGS
        for name, value in attrs:
            assert name in {"href", "rel", "title"}, (tag, name)
            assert not name.startswith("on")
            if name == "href":
                assert value is not None and value.lower().startswith(("http://", "https://"))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(title=_TEXT, body=_TEXT)
def test_validate_returns_an_article_or_rejects_and_output_is_safe(title: str, body: str) -> None:
    try:
        article = validate(submission(title=title, body=body))
    except ArticleRejected as rejected:
        assert rejected.reasons
        return
    assert isinstance(article, CleanArticle)
    assert 1 <= len(article.title) <= 200
    assert article.paragraphs
    for paragraph in article.paragraphs:
        _assert_safe(paragraph)
        assert "\u202e" not in paragraph and "\u200b" not in paragraph


BLANK_LOOKING = [
    "\u3164",  # HANGUL FILLER, as the probe's headline was
    "\u2800",  # BRAILLE PATTERN BLANK
    "\U000e0041\U000e0042",  # tag characters
    "\u115f\u1160",  # Hangul choseong and jungseong fillers
    "\u3164 \u2800\u200b",  # mixed with a space and a zero-width space
]


@pytest.mark.parametrize("blank", BLANK_LOOKING)
def test_a_title_that_shows_nothing_is_a_reason(blank: str) -> None:
    reasons = reasons_for(submission(title=blank))
    assert any(r.startswith("title: has no visible letter") for r in reasons), reasons


@pytest.mark.parametrize("blank", BLANK_LOOKING)
def test_a_tag_that_shows_nothing_is_a_reason(blank: str) -> None:
    reasons = reasons_for(submission(tags=["الهجرة", blank]))
    assert reasons == ["tags[1]: has no visible letter (only blank or invisible characters)"]


def test_a_body_of_blank_paragraphs_has_no_paragraph() -> None:
    reasons = reasons_for(submission(body="\u3164\n\n\u2800"))
    assert reasons == ["body: must have at least one paragraph with text"]


def test_blank_looking_characters_beside_letters_are_kept() -> None:
    clean = validate(submission(title="خبر\u3164عاجل", tags=["وسم\u2800"]))
    assert clean.title == "خبر\u3164عاجل" and clean.editor_tags == ["وسم\u2800"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:6379/x.jpg",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/a.png",
        "http://192.168.1.1/a.png",
        "http://[::1]/a.png",
        "http://[fe80::1]/a.png",
        "http://[::ffff:127.0.0.1]/a.png",
        "http://localhost/a.png",
        "http://printer.local/a.png",
        "http://2130706433/a.png",
        "http://0x7f.1/a.png",
        "http://0.0.0.0/a.png",
    ],
)
def test_an_image_inside_a_network_is_a_reason(url: str) -> None:
    reasons = reasons_for(submission(images=[ImageIn(url=url)]))
    assert len(reasons) == 1 and reasons[0].startswith("images[0].url: must point to a public")


def test_a_public_image_host_is_kept() -> None:
    for url in (
        "https://news.example/a.jpg",
        "https://93.184.216.34/a.jpg",
        "https://[2606:4700::1]/a.png",
    ):
        assert validate(submission(images=[ImageIn(url=url)])).images[0].url == url
