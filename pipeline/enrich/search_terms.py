"""Search text: an article and a reader's query become the same terms.

Both sides go through the same folding (alef and hamza forms, ة/ه, ى/ي, tashkeel, tatweel,
invisible characters), the same clitic reading the tags use ("وبلجيكا" is و + بلجيكا, "وزير"
stays whole: the corpus decides), plurals and pronouns folded onto the singular, and the same
Snowball stem. The query language is only words and quoted phrases: operators (OR, NEAR, *, -)
are plain characters, and every term reaching a database is letters and digits alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pipeline.domain.search import SearchDocument, SearchQuery, Segment
from pipeline.enrich import arabic
from pipeline.enrich.inflection import Inflections, family_key
from pipeline.enrich.term_stats import TermStats
from pipeline.enrich.text import bounded_texts

MAX_QUERY_CHARS = 200
MAX_QUERY_TERMS = 8
"""A query is cut to this many characters and terms: enough for any headline."""
MAX_DOCUMENT_TERMS = 16_000
"""PostgreSQL keeps word positions up to 16,383; a longer article is indexed by its start."""
EXCERPT_CHARS = 2_000
LEAD_WORDS = 60
"""The lead: a news story says what it is about in its first sentences."""
SNIPPET_WORDS = 30
SNIPPET_LEAD = 8
"""Words shown before the first match, so the match reads in its sentence."""
MAX_CACHED_TERMS = 1 << 17
MAX_TERM_CHARS = 60
"""A "word" longer than this is noise (or an attack); both sides cut it the same way."""

_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff\ud800-\udfff]")
"""Control characters, noncharacters and lone surrogates: no word, and no valid HTML either
(the query is shown back on the results page)."""
_QUOTES = str.maketrans({"«": '"', "»": '"', "“": '"', "”": '"', "„": '"', "＂": '"'})
ONLY_STOP_WORDS = "the query has only words too common to search for"
CUT = f"the query was cut to {MAX_QUERY_TERMS} words"


class SearchAnalyser:
    """Terms for the index and for queries, from the packaged corpus statistics."""

    def __init__(self, model: TermStats) -> None:
        self.model = model
        self.inflections = Inflections(model.forms)
        self._terms: dict[str, str] = {}

    @classmethod
    def load(cls) -> SearchAnalyser:
        return cls(TermStats.load())

    def term(self, token: str) -> str:
        """The index key of one word or number, the same wherever it is written."""
        found = self._terms.get(token)
        if found is None:
            found = self._term(token)
            if len(self._terms) < MAX_CACHED_TERMS:
                self._terms[token] = found
        return found

    def _term(self, token: str) -> str:
        token = token[:MAX_TERM_CHARS]
        word = next(r.word.label for r in self.model.readings(token) if not r.needs_in_text)
        if not arabic.is_arabic(word):
            return arabic.normalize(word)
        return arabic.normalize(family_key(word, self.inflections)) or arabic.normalize(word)

    def document(
        self, article_id: int, version: int, title: str, paragraphs: Iterable[str],
        section: str | None,
    ) -> SearchDocument:  # fmt: skip
        """The article as the index holds it: every word's term in order (stop words too, so
        a quoted phrase with one in it still matches), and the excerpt snippets come from."""
        texts = list(bounded_texts(title, paragraphs))
        terms: list[str] = []
        heading = 0
        for index, text in enumerate(texts):
            for token in arabic.tokenize(text):
                if len(terms) >= MAX_DOCUMENT_TERMS:
                    break
                terms.append(self.term(token))
            if index == 0:
                heading = len(terms)
        body = _CONTROLS.sub(" ", " ".join(arabic.strip_marks(text) for text in texts[1:]))
        excerpt = " ".join(body.split())[:EXCERPT_CHARS]
        return SearchDocument(
            article_id,
            version,
            title,
            section,
            " ".join(terms),
            excerpt,
            title_terms=" ".join(terms[:heading]),
            lead_terms=" ".join(terms[heading : heading + LEAD_WORDS]),
        )

    def query(self, raw: str) -> SearchQuery:
        """Words and "quoted phrases"; stop words never count alone; an unbalanced quote is
        an ordinary character. Capped in characters and in terms."""
        text = " ".join(_CONTROLS.sub(" ", arabic.strip_marks(raw[: MAX_QUERY_CHARS * 4])).split())
        text = text[:MAX_QUERY_CHARS]
        parts = text.translate(_QUOTES).split('"')
        if len(parts) % 2 == 0:  # an odd number of quotes: the last one opens nothing
            parts = [*parts[:-2], parts[-2] + " " + parts[-1]]
        terms: list[str] = []
        phrases: list[tuple[str, ...]] = []
        budget = MAX_QUERY_TERMS
        cut = dropped = False
        for index, part in enumerate(parts):
            tokens = arabic.tokenize(part)
            quoted = index % 2 == 1 and len(tokens) > 1
            groups = [tokens] if quoted else [[token] for token in tokens]
            for group in groups:
                if all(arabic.is_function_word(token) for token in group):
                    dropped = True
                    continue
                if budget <= 0:
                    cut = True
                    break
                keys = tuple(self.term(token) for token in group)
                if keys in phrases or (len(keys) == 1 and keys[0] in terms):
                    continue
                cut = cut or len(keys) > budget
                keys = keys[:budget]
                budget -= len(keys)
                if len(keys) > 1:
                    phrases.append(keys)
                elif keys[0] not in terms:
                    terms.append(keys[0])
        notice = CUT if cut else (ONLY_STOP_WORDS if dropped and not terms and not phrases
                                  else None)  # fmt: skip
        return SearchQuery(text=text, terms=tuple(terms), phrases=tuple(phrases), notice=notice)

    def snippet(self, excerpt: str, query: SearchQuery) -> list[Segment]:
        """A window of the excerpt around its first matching word, the matches marked."""
        spans = arabic.token_spans(excerpt)
        if not spans:
            return []
        wanted = query.words

        def matches(index: int) -> bool:
            start, stop = spans[index]
            return self.term(excerpt[start:stop]) in wanted

        first = next((i for i in range(len(spans)) if matches(i)), 0)
        begin = max(0, first - SNIPPET_LEAD)
        end = min(len(spans), begin + SNIPPET_WORDS)
        segments: list[Segment] = [Segment("… ", False)] if begin > 0 else []
        cursor = spans[begin][0]
        for index in range(begin, end):
            start, stop = spans[index]
            if matches(index):
                if start > cursor:
                    segments.append(Segment(excerpt[cursor:start], False))
                segments.append(Segment(excerpt[start:stop], True))
                cursor = stop
        tail = spans[end - 1][1]
        if tail > cursor:
            segments.append(Segment(excerpt[cursor:tail], False))
        if end < len(spans):
            segments.append(Segment(" …", False))
        return segments
