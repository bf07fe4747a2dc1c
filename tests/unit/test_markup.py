"""Text hygiene: controls out, shaping marks kept, only inline markup with http(s) links."""

from __future__ import annotations

import pytest

from pipeline.domain.markup import (
    collapse_whitespace,
    plain_text,
    sanitise_fragment,
    strip_controls,
)

RLO, LRE, PDF, LRI, PDI = "\u202e", "\u202a", "\u202c", "\u2066", "\u2069"
ZWNJ, ZWJ, ZWSP, BOM, LRM, RLM = "\u200c", "\u200d", "\u200b", "\ufeff", "\u200e", "\u200f"


@pytest.mark.parametrize("char", [RLO, LRE, PDF, LRI, PDI, "\u202b", "\u202d", "\u2067", "\u2068"])
def test_strip_controls_removes_bidi_embeddings_overrides_and_isolates(char: str) -> None:
    assert strip_controls(f"abc{char}def") == "abcdef"


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x80", "\x9f", ZWSP, BOM])
def test_strip_controls_removes_c0_c1_zero_width_space_and_bom(char: str) -> None:
    assert strip_controls(f"خبر{char}عاجل") == "خبرعاجل"


def test_strip_controls_keeps_joiners_and_direction_marks_arabic_and_persian_need() -> None:
    text = f"می{ZWNJ}خواهم {ZWJ}ـه {LRM}Windows 11{RLM}"
    assert strip_controls(text) == text


def test_strip_controls_normalises_line_endings_keeps_tabs_and_newlines() -> None:
    assert strip_controls("a\r\nb\rc\td\ne") == "a\nb\nc\td\ne"
    assert strip_controls("a\u2028b\u2029c\x85d\x0be") == "a\nb\n\nc\nd\ne"


def test_strip_controls_applies_nfc() -> None:
    assert strip_controls("e\u0301") == "\u00e9"
    # Arabic: alef + hamza above composes to U+0623.
    assert strip_controls("\u0627\u0654") == "\u0623"


def test_strip_controls_drops_lone_surrogates() -> None:
    assert strip_controls("a\ud800b") == "ab"


def test_collapse_whitespace_trims_invisible_marks_at_the_edges_only() -> None:
    assert collapse_whitespace(f" {ZWNJ} \t a{ZWNJ}b \n\n c {LRM} ") == f"a{ZWNJ}b c"


@pytest.mark.parametrize(
    ("hostile", "forbidden"),
    [
        ("<script>alert(1)</script>", "alert"),
        ("<img src=x onerror=alert(1)>", "onerror"),
        ('<a href="javascript:alert(1)">x</a>', "javascript"),
        ('<a href="&#106;avascript:alert(1)">x</a>', "avascript"),
        ('<a href="JaVaScRiPt:alert(1)">x</a>', "alert"),
        ('<a href="java&#x202e;script:alert(1)">x</a>', "script"),
        ("<svg onload=alert(1)><circle/></svg>", "onload"),
        ('<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>', "data:"),
        ('<b style="width: expression(alert(1))">x</b>', "expression"),
        ("<style>body{background:url(javascript:x)}</style>", "background"),
        ('<iframe src="https://evil.example"></iframe>', "iframe"),
        ('<math><mi xlink:href="javascript:alert(1)">x</mi></math>', "xlink"),
        ('<noscript><p title="</noscript><img src=x onerror=alert(1)>">', "onerror"),
        ("<!-- <script>alert(1)</script> -->", "alert"),
    ],
)
def test_sanitise_fragment_removes_hostile_markup(hostile: str, forbidden: str) -> None:
    assert forbidden not in sanitise_fragment(hostile).lower()


def test_sanitise_fragment_keeps_entity_encoded_markup_as_text() -> None:
    assert sanitise_fragment("&lt;script&gt;alert(1)&lt;/script&gt;") == (
        "&lt;script&gt;alert(1)&lt;/script&gt;"
    )


def test_sanitise_fragment_keeps_inline_tags_and_drops_block_ones() -> None:
    html = "<p><b>a</b> <strong>b</strong> <i>c</i> <em>d</em><br><q>e</q> <cite>f</cite></p>"
    html += '<abbr title="x">g</abbr> H<sub>2</sub>O x<sup>2</sup><div>h</div>'
    assert sanitise_fragment(html) == (
        "<b>a</b> <strong>b</strong> <i>c</i> <em>d</em><br><q>e</q> <cite>f</cite>"
        '<abbr title="x">g</abbr> H<sub>2</sub>O x<sup>2</sup>h'
    )


def test_sanitise_fragment_links_are_http_only_and_nofollow() -> None:
    html = '<a href="https://news.example/a" onclick="x()" target="_blank" rel="opener">مصدر</a>'
    assert sanitise_fragment(html) == (
        '<a href="https://news.example/a" rel="nofollow noopener">مصدر</a>'
    )


@pytest.mark.parametrize(
    "href",
    ["/relative", "//evil.example/x", "mailto:a@b.example", "ftp://x.example/", "vbscript:x"],
)
def test_sanitise_fragment_drops_non_http_and_relative_hrefs(href: str) -> None:
    assert "href" not in sanitise_fragment(f'<a href="{href}">x</a>')


def test_sanitise_fragment_removes_controls_hidden_in_entities() -> None:
    assert sanitise_fragment("a&#x202E;b&#x1;c&#xFEFF;d") == "abcd"


def test_sanitise_fragment_closes_unclosed_tags() -> None:
    assert sanitise_fragment("<b>مفتوح") == "<b>مفتوح</b>"


def test_plain_text_strips_tags_decodes_entities_and_collapses_space() -> None:
    assert plain_text("  <b>وفد</b>\n\t من &amp; إلى  &quot;سوس&quot; ") == 'وفد من & إلى "سوس"'


def test_plain_text_drops_script_content_and_keeps_encoded_text_as_text() -> None:
    assert plain_text("<script>alert(1)</script>عنوان") == "عنوان"
    assert plain_text("&lt;script&gt;") == "<script>"


def test_plain_text_removes_controls_hidden_in_entities() -> None:
    assert plain_text("a&#x202e;b&#8207;c") == f"ab{RLM}c"
