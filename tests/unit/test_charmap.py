"""CharMap gives exactly what `str.translate` gives, on short and long texts, for every table
nashr uses."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.domain import markup
from pipeline.domain.charmap import SHORT_TEXT, CharMap, from_codes
from pipeline.enrich import arabic
from pipeline.render import json_text

TABLES = {
    "controls": markup._CONTROLS,
    "arabic folding": arabic._FOLD,
    "unsafe in HTML": json_text._UNSAFE_IN_HTML,
}
MAPPED = "".join(chr(code) for table in TABLES.values() for code in table.table)
"""Every character some table maps, so generated texts hit them often."""

texts = st.text(
    alphabet=st.one_of(
        st.sampled_from(MAPPED),
        st.characters(codec="utf-8"),
        st.sampled_from("ابتثجحخدذرزسشصضطظعغفقكلمنهوي "),
    ),
    max_size=400,
)


@pytest.mark.parametrize("name", list(TABLES))
@given(text=texts)
@settings(max_examples=150)
def test_the_same_as_translate(name: str, text: str) -> None:
    charmap = TABLES[name]
    assert charmap(text) == text.translate(charmap.table)
    long_text = text * (SHORT_TEXT // max(1, len(text)) + 1)
    assert charmap(long_text) == long_text.translate(charmap.table)


def test_a_long_text_with_nothing_to_map_comes_back_as_it_is() -> None:
    text = "نص عربي طويل بلا أي حرف خفي " * 20
    assert markup._CONTROLS(text) is text


def test_lone_surrogates_and_bidi_overrides_go_from_a_long_text() -> None:
    text = "خبر " * 30 + "\u202e\ud800" + "نهاية"
    assert markup._CONTROLS(text) == "خبر " * 30 + "نهاية"


def test_a_table_whose_output_another_key_would_change_is_refused() -> None:
    with pytest.raises(ValueError, match="another key"):
        CharMap({"a": "b", "b": "c"})


def test_only_single_characters_map() -> None:
    with pytest.raises(ValueError, match="single characters"):
        CharMap({"ab": "c"})


def test_code_point_tables_convert() -> None:
    assert from_codes({0x41: "a", 0x42: None}) == {"A": "a", "B": None}
