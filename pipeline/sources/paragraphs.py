"""Feed HTML as nashr's body: paragraphs apart by a blank line, inline markup kept inside them.

The validate step then sanitises each paragraph with nh3 (`pipeline/domain/validate.py`), so
this only has to put the breaks where a reader sees them: at block elements and at two `<br>`
in a row. Scripts, styles and embedded documents go with their content; figure captions go
too, as they travel with their images (`FeedItem.images`).
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from pipeline.domain.markup import INLINE_TAGS, collapse_whitespace, plain_text, strip_controls

_BLOCKS = frozenset(
    {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd"}
    | {"blockquote", "figure", "section", "article", "aside", "header", "footer", "main"}
    | {"table", "tr", "td", "th", "thead", "tbody", "pre", "hr", "address", "details", "nav"}
    | {"body", "html", "center", "form", "fieldset", "summary", "picture", "video", "audio"}
)
_DROPPED = frozenset(
    {"script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "math"}
    | {"textarea", "select", "title", "head", "xmp", "noembed", "noframes", "figcaption"}
    | {"button", "canvas"}
)
_KEPT_INLINE = INLINE_TAGS - {"br"}
_KEPT_ATTRIBUTES = {"a": ("href",), "abbr": ("title",)}
_TAG = re.compile(r"</?[A-Za-z][^>]*>|<!--")


def body_from_html(html_text: str) -> str:
    """Paragraphs of `html_text` separated by "\\n\\n", each on one line with its inline
    markup; text without tags becomes one paragraph a line."""
    text = strip_controls(html_text)
    if not _TAG.search(text):
        lines = (collapse_whitespace(line) for line in text.split("\n"))
        return "\n\n".join(html.escape(line, quote=False) for line in lines if line)
    builder = _ParagraphBuilder()
    builder.feed(text)
    builder.close()
    return "\n\n".join(builder.finish())


def summary_text(html_text: str, limit: int = 300) -> str:
    """The plain text of an excerpt, cut at a word before `limit` characters with "…"."""
    text = plain_text(html_text)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] or text[: limit - 1]
    return cut.rstrip(" ،,.;:") + "…"


class _ParagraphBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._paragraphs: list[str] = []
        self._current: list[str] = []
        self._open: list[str] = []  # inline tags open in the current paragraph
        self._dropping: list[str] = []
        self._breaks = 0  # <br> seen since the last text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._dropping:
            if tag == self._dropping[-1] or tag in _DROPPED:
                self._dropping.append(tag)
            return
        if tag in _DROPPED:
            self._dropping.append(tag)
        elif tag == "br":
            self._breaks += 1
        elif tag in _BLOCKS:
            self._break()
        elif tag in _KEPT_INLINE:
            self._settle_breaks()
            self._current.append(_start_tag(tag, attrs))
            self._open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._dropping:
            return
        if tag == "br":
            self._breaks += 1
        elif tag in _BLOCKS:
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if self._dropping:
            if tag in self._dropping:
                while self._dropping and self._dropping.pop() != tag:
                    pass
            return
        if tag in _BLOCKS:
            self._break()
        elif tag in _KEPT_INLINE and tag in self._open:
            while self._open:
                closed = self._open.pop()
                self._current.append(f"</{closed}>")
                if closed == tag:
                    break

    def handle_data(self, data: str) -> None:
        if self._dropping or not data.strip():
            if data and not self._dropping:
                self._current.append(" ")
            return
        self._settle_breaks()
        self._current.append(html.escape(data, quote=False))

    def finish(self) -> list[str]:
        self._break()
        return self._paragraphs

    def _settle_breaks(self) -> None:
        """One `<br>` stays a line break; two or more in a row end the paragraph."""
        if self._breaks >= 2:
            self._break()
        elif self._breaks == 1 and self._current:
            self._current.append("<br>")
        self._breaks = 0

    def _break(self) -> None:
        self._breaks = 0
        self._current.extend(f"</{tag}>" for tag in reversed(self._open))
        self._open = []
        paragraph = collapse_whitespace("".join(self._current))
        self._current = []
        if plain_text(paragraph):
            self._paragraphs.append(paragraph)


def _start_tag(tag: str, attrs: list[tuple[str, str | None]]) -> str:
    kept = [
        f' {name}="{html.escape(value, quote=True)}"'
        for name, value in attrs
        if name in _KEPT_ATTRIBUTES.get(tag, ()) and value is not None
    ]
    return f"<{tag}{''.join(kept)}>"
