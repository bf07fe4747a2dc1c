"""The section an article is filed under, from a linear model over two readings of the text.

The weights come from `scripts/train_section.py`: complement naive Bayes over TF-IDF word stems
and stem pairs, blended with a linear SVM over TF-IDF letter n-grams of the words (which see
through prefixes and spellings the stemmer misses). Reading them needs only the standard library,
so the enrich step stays pure.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, NamedTuple

from pipeline import arabic
from pipeline.tags import plain_text

SECTIONS = ("politics", "economy", "sport", "culture", "technology", "society")
GENERAL = "general"
"""What an article gets when no section is likely enough."""
DEFAULT_THRESHOLD = 0.4
"""Under this probability a guess was wrong more often than right in cross-validation, so the
article goes to `general` instead."""
MAX_TEXT_CHARS = 100_000
"""Only the first 100k characters are read: enough for any story, bounded for hostile input."""
MODEL_FILE = "section_model.json"
FORMAT_VERSION = 2
MIN_STEM_CHARS = 2
LETTER_GRAMS = (2, 5)
"""Shortest and longest letter n-gram, taken inside each word padded with a space each side."""
WORDS, LETTERS = "words", "letters"
"""The two readings, as the model file names them."""


class SectionGuess(NamedTuple):
    """A section name (one of `SECTIONS` or `general`) and the model's probability for it."""

    section: str
    confidence: float


@dataclass(frozen=True)
class View:
    """One reading of the text: per-feature document frequency and one weight per section.

    A text's unit-length sublinear TF-IDF vector over the known features, dotted with each
    section's weights, is this reading's contribution to the section's logit.
    """

    documents: int
    """Training articles: with `df` it gives each feature's IDF."""
    df: Mapping[str, int]
    weights: Mapping[str, tuple[float, ...]]
    title_weight: int
    """How many times the headline counts, against once for the body."""
    idf: Mapping[str, float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        idf = {key: math.log((self.documents + 1) / (n + 1)) + 1.0 for key, n in self.df.items()}
        object.__setattr__(self, "idf", idf)

    @classmethod
    def from_json(cls, data: Mapping[str, Any], documents: int, width: int) -> View:
        """From `{"title_weight": n, "features": {feature: [df, w1, ...]}}`."""
        df: dict[str, int] = {}
        weights: dict[str, tuple[float, ...]] = {}
        for key, row in data["features"].items():
            if len(row) != width + 1:
                raise ValueError(f"feature {key!r} has {len(row)} numbers")
            df[key] = int(row[0])
            weights[key] = tuple(map(float, row[1:]))
        return cls(documents, df, weights, int(data["title_weight"]))

    def vector(self, counts: Mapping[str, int]) -> dict[str, float]:
        """Sublinear TF times IDF over the known features, scaled to unit length."""
        raw = {
            key: (1.0 + math.log(tf)) * self.idf[key]
            for key, tf in counts.items()
            if tf > 0 and key in self.idf
        }
        norm = math.sqrt(sum(v * v for v in raw.values()))
        return {key: v / norm for key, v in raw.items()} if norm else {}

    def logits(self, counts: Mapping[str, int], width: int) -> list[float] | None:
        """This reading's logits, one per section: the dot products with `vector(counts)`, in
        one pass without building it (the letters give thousands of features per article).
        None when no known feature occurs."""
        totals = [0.0] * width
        square = 0.0
        weights, idf, log = self.weights, self.idf, math.log
        for key, tf in counts.items():
            row = weights.get(key)
            if row is None or tf <= 0:
                continue
            value = (1.0 + log(tf)) * idf[key]
            square += value * value
            for i, weight in enumerate(row):
                totals[i] += value * weight
        if not square:
            return None
        norm = math.sqrt(square)
        return [total / norm for total in totals]


@dataclass(frozen=True)
class SectionModel:
    """The two readings; a section's probability is the softmax of their summed logits."""

    sections: tuple[str, ...]
    words: View
    letters: View | None = None
    version: str = ""

    @classmethod
    def load(cls) -> SectionModel:
        """The model committed with the package, read once per process."""
        return _load_packaged()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SectionModel:
        """Build from the layout `scripts/train_section.py` writes."""
        if int(data["format"]) != FORMAT_VERSION:
            raise ValueError(f"section model format {data['format']} is not {FORMAT_VERSION}")
        sections = tuple(str(name) for name in data["sections"])
        if set(sections) != set(SECTIONS) or len(sections) != len(SECTIONS):
            raise ValueError(f"section model names {sections}, expected {SECTIONS}")
        documents = int(data["documents"])
        views = data["views"]
        letters = views.get(LETTERS)
        return cls(
            sections=sections,
            words=View.from_json(views[WORDS], documents, len(sections)),
            letters=View.from_json(letters, documents, len(sections)) if letters else None,
            version=str(data.get("version", "")),
        )

    def scores(self, title: str, body: str) -> list[float] | None:
        """Summed logits in `sections` order; None when no known feature occurs."""
        width = len(self.sections)
        totals = [0.0] * width
        found = False
        readings = [(self.words, word_features)]
        if self.letters is not None:
            readings.append((self.letters, letter_features))
        for view, read in readings:
            logits = view.logits(read(title, body, view.title_weight), width)
            if logits is not None:
                found = True
                totals = [total + logit for total, logit in zip(totals, logits, strict=True)]
        return totals if found else None

    def probabilities(self, title: str, body: str) -> dict[str, float]:
        """Softmax of the scores; empty when no known feature occurs (no evidence at all)."""
        scores = self.scores(title, body)
        if scores is None:
            return {}
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return {name: e / total for name, e in zip(self.sections, exps, strict=True)}


@functools.cache
def _load_packaged() -> SectionModel:
    raw = resources.files("pipeline").joinpath("data", MODEL_FILE).read_text(encoding="utf-8")
    return SectionModel.from_json(json.loads(raw))


def _keys(text: str) -> list[str | None]:
    """A stem per token; None for stop words, numbers and scraps, so no pair spans them."""
    keys: list[str | None] = []
    for token in arabic.tokenize(text):
        if arabic.is_number(token) or arabic.is_stop(token):
            keys.append(None)
            continue
        key = arabic.stem(token)
        keys.append(key if len(key) >= MIN_STEM_CHARS else None)
    return keys


def word_features(title: str, body: str, title_weight: int) -> Counter[str]:
    """Stems and adjacent stem pairs ("a b"), headline counted `title_weight` times.

    Training and classifying both call this, so the model sees the same keys in both.
    """
    counts: Counter[str] = Counter()
    for text, weight in ((title, title_weight), (body, 1)):
        keys = _keys(text)
        for key in keys:
            if key:
                counts[key] += weight
        for first, second in itertools.pairwise(keys):
            if first and second:
                counts[f"{first} {second}"] += weight
    return counts


@functools.lru_cache(maxsize=20_000)
def _grams(word: str) -> tuple[str, ...]:
    """Letter n-grams of one normalised word, kept for the 20,000 most recent words: news
    repeats its words, and the bound keeps hostile text from growing the cache past ~25 MB."""
    padded = f" {word} "
    low, high = LETTER_GRAMS
    grams: list[str] = []
    for n in range(low, high + 1):
        if n > len(padded):
            break
        grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return tuple(grams)


def letter_features(title: str, body: str, title_weight: int) -> Counter[str]:
    """Letter n-grams of every word after spelling is folded, headline `title_weight` times."""
    counts: Counter[str] = Counter()
    for text, weight in ((title, title_weight), (body, 1)):
        words = Counter(arabic.tokenize(arabic.normalize(text)))
        for word, times in words.items():
            for gram in _grams(word):
                counts[gram] += times * weight
    return counts


def bounded_text(title: str, paragraphs: Iterable[str]) -> tuple[str, str]:
    """Plain title and body from sanitised HTML paragraphs, at most `MAX_TEXT_CHARS` in all."""
    title = title[:MAX_TEXT_CHARS]
    budget = MAX_TEXT_CHARS - len(title)
    parts: list[str] = []
    for paragraph in paragraphs:
        if budget <= 0:
            break
        text = plain_text(paragraph[: budget * 4])[:budget]
        budget -= len(text)
        parts.append(text)
    return title, "\n".join(parts)


def classify(
    title: str,
    paragraphs: list[str],
    model: SectionModel | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> SectionGuess:
    """The likeliest section and its probability; `general` when that is under `threshold`.

    A text with no word the model knows is `general` with confidence 0, whatever the threshold.
    """
    model = model if model is not None else SectionModel.load()
    plain_title, body = bounded_text(title, paragraphs)
    probabilities = model.probabilities(plain_title, body)
    if not probabilities:
        return SectionGuess(GENERAL, 0.0)
    best = max(model.sections, key=lambda name: probabilities[name])
    confidence = min(1.0, max(0.0, probabilities[best]))
    if confidence < threshold:
        return SectionGuess(GENERAL, confidence)
    return SectionGuess(best, confidence)
