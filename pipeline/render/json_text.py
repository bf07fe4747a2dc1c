"""JSON that may sit inside HTML (a script block, a page's JSON twin read by a browser)."""

from __future__ import annotations

from pipeline.domain.charmap import CharMap

_UNSAFE_IN_HTML = CharMap(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def html_safe(json_text: str) -> str:
    """The same JSON with `<`, `>`, `&` and the two line separators escaped: it cannot close a
    script element or open a comment, and old JavaScript parsers read it whole."""
    return _UNSAFE_IN_HTML(json_text)
