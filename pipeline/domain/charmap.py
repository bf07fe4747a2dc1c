"""Character mappings fast enough for whole article bodies.

`str.translate` looks every character of the text up in its table, about 100 ns each: on an
article's body that was most of the validate step's time, and again in every step that folds or
cleans text. A mapping of a few characters is instead a few `str.replace` calls (each a C scan
that returns the text itself when the character is absent); a large table whose characters are
rare (controls, bidi overrides) is one regex search, and `translate` only when it finds one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

SHORT_TEXT = 64
"""Below this many characters `translate` is as fast as anything else."""
CHAINED_KEYS = 32
"""Tables with at most this many characters are applied as a chain of replacements."""


class CharMap:
    """`text.translate(table)`, same result, at the cost of a scan or a few."""

    def __init__(self, table: Mapping[str, str | None]) -> None:
        self._pairs = [(key, value or "") for key, value in table.items()]
        for key, value in self._pairs:
            if len(key) != 1:
                raise ValueError(f"only single characters map: {key!r}")
            if any(char in table for char in value):  # a chain would map it twice
                raise ValueError(f"{key!r} maps to text another key would change: {value!r}")
        self.table = str.maketrans(dict(table))
        self._finder = (  # None: a small table, applied as a chain of replacements
            None
            if len(self._pairs) <= CHAINED_KEYS
            else re.compile("[" + "".join(re.escape(key) for key in table) + "]")
        )

    def __call__(self, text: str) -> str:
        if len(text) < SHORT_TEXT:
            return text.translate(self.table)
        if self._finder is None:
            for key, value in self._pairs:
                text = text.replace(key, value)
            return text
        return text.translate(self.table) if self._finder.search(text) else text


def from_codes(table: Mapping[int, str | None]) -> dict[str, str | None]:
    """A `str.maketrans`-style table keyed by code point, keyed by character instead."""
    return {chr(code): value for code, value in table.items()}
