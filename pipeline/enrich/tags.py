"""The `enrich` step's tagging: editor tags first, then keywords scored by TF-IDF over the text."""

from __future__ import annotations

import functools
import itertools
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from pipeline.domain.models import CleanArticle, Tag
from pipeline.enrich import arabic
from pipeline.enrich.term_stats import Reading, TermStats, TermWord
from pipeline.enrich.text import bounded_texts

MAX_TAGS = 8
MIN_TAGS = 5
"""Topics per article: at most eight, and five when the text has that many worth a listing."""
TITLE_WEIGHT = 3
TITLE_BONUS = 1.5
"""A word of the headline is what the story is about, however often the body repeats others."""
MIN_RELATIVE_SCORE = 0.12
PHRASE_STRENGTH = 0.5
ABSORB_SHARE = 0.5
"""A pair that holds this share of both words' uses stands for them ("سوس ماسة" over "سوس")."""
SINGLE_MENTION = 0.01
"""A word the body says once, outside the headline, only fills a short story's list."""


class _Analyser:
    """Reads tokens as (clitic +) bare word.

    What a token can be depends only on the corpus, so it is worked out once per model and
    kept; which reading wins can also depend on the text ("وفرنسا" when "فرنسا" is nearby).
    """

    def __init__(self, model: TermStats, counts: Counter[str]) -> None:
        self.model = model
        self.counts = counts
        self.cache: dict[str, TermWord] = {}

    def word(self, token: str) -> TermWord:
        cached = self.cache.get(token)
        if cached is None:
            cached = self.cache[token] = self._pick(self.model.readings(token))
        return cached

    def _pick(self, readings: tuple[Reading, ...]) -> TermWord:
        for reading in readings:
            if not reading.needs_in_text or self.counts[reading.needs_in_text] > 0:
                return reading.word
        raise AssertionError("the last reading is the token itself")  # pragma: no cover


@functools.lru_cache(maxsize=1 << 16)
def _fold(token: str) -> str:
    """`arabic.normalize` for one word: news repeats its words, so fold each once."""
    return arabic.normalize(token)


def _article_texts(article: CleanArticle) -> list[tuple[str, int]]:
    texts = bounded_texts(article.title, article.paragraphs)
    return [(text, TITLE_WEIGHT if index == 0 else 1) for index, text in enumerate(texts)]


@dataclass
class _Counts:
    tf: Counter[str] = field(default_factory=Counter)
    seen: Counter[str] = field(default_factory=Counter)
    labels: dict[str, dict[str, int]] = field(default_factory=dict)
    """Each key's spellings with their uses, in the order first met."""

    def add(self, key: str, label: str, weight: int) -> None:
        self.tf[key] += weight
        self.seen[key] += 1
        spellings = self.labels.get(key)
        if spellings is None:
            self.labels[key] = {label: 1}
        else:
            spellings[label] = spellings.get(label, 0) + 1

    def label(self, key: str) -> str:
        """The spelling used most, the first met of those used as often."""
        spellings = self.labels[key]
        return max(spellings, key=spellings.__getitem__)


def _count(
    texts: Iterable[tuple[str, int]], model: TermStats
) -> tuple[_Counts, _Counts, set[str], set[str]]:
    runs = [(arabic.phrases(text), weight) for text, weight in texts]
    forms = Counter(_fold(tok) for run_list, _ in runs for run in run_list for tok in run)
    analyser = _Analyser(model, forms)
    unigrams, bigrams = _Counts(), _Counts()
    in_title: set[str] = set()
    particles: set[str] = set()
    for index, (run_list, weight) in enumerate(runs):
        for run in run_list:
            previous: TermWord | None = None
            for token in run:
                word = analyser.word(token)
                if word.usable:
                    unigrams.add(word.key, word.label, weight)
                    if index == 0:
                        in_title.add(word.key)
                    if word.particle:
                        particles.add(word.key)
                    if previous is not None and not word.prefixed and previous.key != word.key:
                        pair = f"{previous.key} {word.key}"
                        bigrams.add(pair, f"{previous.label} {word.label}", weight)
                previous = word if word.usable else None
    return unigrams, bigrams, in_title, particles


def article_terms(text: str, model: TermStats) -> tuple[set[str], set[str]]:
    """Stems and stem pairs a text contains, read exactly as `extract_tags` reads them."""
    unigrams, bigrams, _, _ = _count([(text, 1)], model)
    return set(unigrams.tf), set(bigrams.tf)


def _damp(tf: int) -> float:
    """Sublinear term frequency: the tenth "الجهة" says less than the second "بلجيكا"."""
    return 1.0 + math.log(tf)


@dataclass(frozen=True)
class _Candidate:
    score: float
    key: str
    """A stem, or two joined by a space."""
    counts: _Counts
    stems: frozenset[str]

    @property
    def label(self) -> str:
        """Worked out only for the candidates `extract_tags` gets to: most never are."""
        return self.counts.label(self.key)


def _candidates(article: CleanArticle, model: TermStats) -> Iterator[_Candidate]:
    """Best first; of equal scores, in the order of their labels."""
    unigrams, bigrams, in_title, particles = _count(_article_texts(article), model)
    scores = {
        key: _damp(tf)
        * model.idf(key)
        * (TITLE_BONUS if key in in_title and unigrams.seen[key] > 1 else 1.0)
        for key, tf in unigrams.tf.items()
    }
    found = [
        _Candidate(
            score * (1.0 if unigrams.seen[key] >= 2 or key in in_title else SINGLE_MENTION),
            key,
            unigrams,
            frozenset([key]),
        )
        for key, score in scores.items()
        if key not in particles
    ]
    for pair, tf in bigrams.tf.items():
        if bigrams.seen[pair] < 2:
            continue
        first, second = pair.split(" ")
        rarer, commoner = sorted((unigrams.tf[first], unigrams.tf[second]))
        strength = max(tf / rarer, model.phrase_strength(first, second))
        if strength < PHRASE_STRENGTH:
            continue
        score = _damp(tf) * (model.idf(first) + model.idf(second)) / 2 * (0.5 + strength)
        if tf / commoner >= ABSORB_SHARE:
            score = max(score, 1.05 * max(scores[first], scores[second]))
        found.append(_Candidate(score, pair, bigrams, frozenset([first, second])))
    found.sort(key=lambda c: -c.score)
    for _, tied in itertools.groupby(found, key=lambda c: c.score):
        yield from sorted(tied, key=lambda c: c.label)


def _editor_tags(article: CleanArticle) -> list[Tag]:
    tags: list[Tag] = []
    slugs: set[str] = set()
    for raw in article.editor_tags:
        label = arabic.clean_label(raw)
        slug = arabic.slugify(label)
        if not label or not arabic.has_word(label) or slug in slugs:
            continue
        slugs.add(slug)
        tags.append(Tag(label=label, slug=slug, kind="editor"))
    return tags


def extract_tags(
    article: CleanArticle,
    model: TermStats | None = None,
    limit: int = MAX_TAGS,
    minimum: int = MIN_TAGS,
    taken: Iterable[Tag] = (),
) -> list[Tag]:
    """Editor tags, then up to `limit` tags in all from the text, no two sharing a stem or a
    word family (singular and plural, with or without a pronoun).

    Weak candidates (under a share of the best score) only fill the list up to `minimum`.
    `taken` are tags of another kind (places): no topic repeats their words.
    """
    model = model if model is not None else TermStats.load()
    taken = list(taken)
    tags = _editor_tags(article)
    slugs = {tag.slug for tag in tags + taken}
    used: set[str] = set()
    families: set[str] = set()
    for tag in tags + taken:
        used.update(arabic.stem(tok) for tok in arabic.tokenize(tag.label))
        families.update(model.families(tag.label))
    top: float | None = None
    for candidate in _candidates(article, model):
        if len(tags) >= limit:
            break
        top = candidate.score if top is None else top
        if candidate.score < top * MIN_RELATIVE_SCORE and len(tags) >= minimum:
            break
        slug = arabic.slugify(candidate.label)
        family = model.families(candidate.label)
        if slug in slugs or candidate.stems & used or family & families:
            continue  # the same word again, or its plural ("الاستثمار", "الاستثمارات")
        slugs.add(slug)
        used.update(candidate.stems)
        families.update(family)
        tags.append(Tag(label=candidate.label, slug=slug, kind="topic"))
    return tags
