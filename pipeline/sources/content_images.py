"""The pictures inside an item's HTML, with their captions: the last resort when a feed names
no image of its own."""

from __future__ import annotations

from html.parser import HTMLParser

from pipeline.domain.markup import collapse_whitespace

_SKIPPED = frozenset({"script", "style", "noscript", "template", "iframe", "svg", "math"})


def content_images(html_text: str) -> list[tuple[str, str]]:
    """Each `<img src>` in `html_text` with its caption: the `<figcaption>` of its `<figure>`,
    else its `alt`. Sources are returned as written (relative ones too)."""
    finder = _ImageFinder()
    finder.feed(html_text)
    finder.close()
    return [(src, caption) for src, caption in finder.found]


class _ImageFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []
        self._figures: list[list[int]] = []  # for each open <figure>, the images inside it
        self._caption: list[str] | None = None
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skipping += 1
        elif tag == "figure":
            self._figures.append([])
        elif tag == "figcaption" and self._figures:
            self._caption = []
        elif tag == "img" and not self._skipping:
            self._image(dict(attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img" and not self._skipping:
            self._image(dict(attrs))

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag == "figcaption" and self._caption is not None and self._figures:
            caption = collapse_whitespace(" ".join(self._caption))
            self._caption = None
            if caption:
                for index in self._figures[-1]:
                    self.found[index] = (self.found[index][0], caption)
        elif tag == "figure" and self._figures:
            self._figures.pop()

    def handle_data(self, data: str) -> None:
        if self._caption is not None and not self._skipping:
            self._caption.append(data)

    def _image(self, attrs: dict[str, str | None]) -> None:
        src = (attrs.get("src") or attrs.get("data-src") or "").strip()
        if not src:
            return
        if self._figures:
            self._figures[-1].append(len(self.found))
        self.found.append((src, collapse_whitespace(attrs.get("alt") or "")))
