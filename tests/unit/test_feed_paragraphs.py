"""body_from_html: feed HTML into nashr's body, paragraphs apart, inline markup kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.domain.models import Submission
from pipeline.domain.validate import validate
from pipeline.sources.paragraphs import body_from_html, summary_text
from pipeline.sources.parse import parse_feed

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"


def test_paragraphs_are_separated_by_a_blank_line_with_inline_markup_kept() -> None:
    html_text = (
        '<p>الأولى <a href="https://a.example/x" class="c" onclick="x()">رابط</a> و<b>غامق</b></p>'
        "<p>الثانية <em>مائل</em></p>"
    )
    assert body_from_html(html_text) == (
        'الأولى <a href="https://a.example/x">رابط</a> و<b>غامق</b>\n\nالثانية <em>مائل</em>'
    )


@pytest.mark.parametrize(
    ("html_text", "expected"),
    [
        ("<div>أ</div><div>ب</div>", "أ\n\nب"),
        ("<h2>عنوان</h2><p>نص</p>", "عنوان\n\nنص"),
        ("<ul><li>واحد</li><li>اثنان</li></ul>", "واحد\n\nاثنان"),
        ("<blockquote>قال</blockquote>بعده", "قال\n\nبعده"),
        ("سطر<br>تال", "سطر<br>تال"),
        ("فقرة<br><br>أخرى", "فقرة\n\nأخرى"),
        ("فقرة<br/>\n<br />أخرى", "فقرة\n\nأخرى"),
        ("<p>  كثير \n  من   الفراغ </p>", "كثير من الفراغ"),
        ("<p>a &lt; b &amp; c</p>", "a &lt; b &amp; c"),
        ("<p><span style='x'>داخل</span> سبان</p>", "داخل سبان"),
        ("<p></p><p> </p><p>&nbsp;</p><p>نص</p>", "نص"),
    ],
)
def test_block_elements_and_double_breaks_end_paragraphs(html_text: str, expected: str) -> None:
    assert body_from_html(html_text) == expected


def test_scripts_styles_frames_and_captions_go_with_their_content() -> None:
    html_text = (
        "<p>قبل<script>alert('x')</script></p><style>p{}</style>"
        '<iframe src="https://e.example"><p>داخل</p></iframe>'
        '<figure><img src="https://a.example/i.jpg"><figcaption>تعليق</figcaption></figure>'
        "<p>بعد</p>"
    )
    assert body_from_html(html_text) == "قبل\n\nبعد"


def test_an_inline_tag_left_open_is_closed_at_the_paragraph_end() -> None:
    assert body_from_html("<p><b>غامق</p><p>عادي</p>") == "<b>غامق</b>\n\nعادي"


def test_plain_text_lines_become_paragraphs_escaped() -> None:
    assert body_from_html("سطر أول\nسطر ثان\n\n  a < b  \n") == ("سطر أول\n\nسطر ثان\n\na &lt; b")


def test_a_full_html_document_gives_only_its_body() -> None:
    html_text = "<html><head><title>عنوان الصفحة</title></head><body><p>النص</p></body></html>"
    assert body_from_html(html_text) == "النص"


def test_wordpress_fixture_body_passes_nashr_validation_paragraph_for_paragraph() -> None:
    item = parse_feed((FEEDS / "wordpress-rss.xml").read_bytes()).items[0]
    body = body_from_html(item.content_html)
    assert body.count("\n\n") == 2  # three paragraphs, the figure's caption left out
    assert "وأكد وزير المواصلات" in body.split("\n\n")[1]
    article = validate(
        Submission(
            title=item.title,
            body=body,
            source_url=item.link or "",
            source_name="هسبريس",
        )
    )
    assert len(article.paragraphs) == 3


def test_summary_text_is_plain_and_cut_at_a_word() -> None:
    assert summary_text("<p>نص <b>قصير</b></p>") == "نص قصير"
    long_text = "<p>" + " ".join(["كلمة"] * 100) + "</p>"
    cut = summary_text(long_text, limit=50)
    assert len(cut) <= 50 and cut.endswith("…") and cut.startswith("كلمة كلمة")
    assert "كلم…" not in cut
