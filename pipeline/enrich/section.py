"""The section an article is filed under, from a linear model over two readings of the text.

The weights come from `scripts/train_section.py`: complement naive Bayes over TF-IDF word stems
and stem pairs, blended with a linear SVM over TF-IDF letter n-grams of the words (which see
through prefixes and spellings the stemmer misses). Scoring is a sparse dot product done with
numpy over the features an article has; the weights stay readable JSON, no pickle.
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

import numpy as np
import numpy.typing as npt

from pipeline.enrich import arabic
from pipeline.enrich.text import bounded_texts

SECTIONS = ("politics", "economy", "sport", "culture", "technology", "society")
GENERAL = "general"
"""What an article gets when no section is likely enough."""
DEFAULT_THRESHOLD = 0.4
"""Under this probability a guess was wrong more often than right in cross-validation, so the
article goes to `general` instead."""
MODEL_FILE = "section_model.json"
FORMAT_VERSION = 2
MIN_STEM_CHARS = 2
GRAM_CACHE_WORDS = 40_000
"""Words per generation whose letter n-gram rows are kept (two generations, ~10 MB at most)."""
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
    _rows: dict[str, int] = field(init=False, repr=False, compare=False)
    _matrix: npt.NDArray[np.float64] = field(init=False, repr=False, compare=False)
    _idf: npt.NDArray[np.float64] = field(init=False, repr=False, compare=False)
    _grams: _WordRows = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        idf = {key: math.log((self.documents + 1) / (n + 1)) + 1.0 for key, n in self.df.items()}
        object.__setattr__(self, "idf", idf)
        keys = list(self.weights)
        object.__setattr__(self, "_rows", {key: row for row, key in enumerate(keys)})
        width = len(next(iter(self.weights.values()))) if keys else 0
        matrix = np.array([self.weights[key] for key in keys], dtype=np.float64)
        object.__setattr__(self, "_matrix", matrix.reshape(len(keys), width))
        object.__setattr__(self, "_idf", np.array([idf[key] for key in keys], dtype=np.float64))
        object.__setattr__(self, "_grams", _WordRows(GRAM_CACHE_WORDS))

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
        """This reading's logits, one per section: the dot products with `vector(counts)`,
        without building it. None when no known feature occurs."""
        rows = self._rows
        found = [(rows[key], tf) for key, tf in counts.items() if tf > 0 and key in rows]
        if not found:
            return None
        indices = np.fromiter((row for row, _ in found), dtype=np.intp, count=len(found))
        tf = np.fromiter((tf for _, tf in found), dtype=np.float64, count=len(found))
        return self.logits_of(indices, tf)

    def logits_of(
        self, rows: npt.NDArray[np.intp], tf: npt.NDArray[np.float64]
    ) -> list[float] | None:
        """`logits` for features already given as rows of the weights, with their counts."""
        if not rows.size:
            return None
        values = (1.0 + np.log(tf)) * self._idf[rows]
        square = float(values @ values)
        if not square:
            return None
        totals = (values @ self._matrix[rows]) / math.sqrt(square)
        return [float(total) for total in totals]

    def letter_logits(self, title: str, body: str) -> list[float] | None:
        """`logits(letter_features(...))` counted in numpy: an article has thousands of letter
        n-grams, and each word's rows are looked up once, then kept (`_WordRows`)."""
        chunks: list[bytes] = []
        weights: list[float] = []
        for text, weight in ((title, self.title_weight), (body, 1)):
            for word, times in Counter(arabic.tokenize(arabic.normalize(text))).items():
                rows = self._gram_rows(word)
                if rows:
                    chunks.append(rows)
                    weights.append(float(times * weight))
        if not chunks:
            return None
        indices = np.frombuffer(b"".join(chunks), dtype=np.int32)
        lengths = np.fromiter((len(c) // 4 for c in chunks), dtype=np.intp, count=len(chunks))
        counts = np.bincount(
            indices, weights=np.repeat(np.array(weights), lengths), minlength=len(self._rows)
        )
        present = np.flatnonzero(counts)
        return self.logits_of(present, counts[present].astype(np.float64))

    def _gram_rows(self, word: str) -> bytes:
        """The rows of a word's known letter n-grams, as int32 bytes (small to keep)."""
        found = self._grams.get(word)
        if found is None:
            rows = self._rows
            found = np.array([rows[g] for g in _grams(word) if g in rows], np.int32).tobytes()
            self._grams.put(word, found)
        return found


class _WordRows:
    """Words' n-gram rows, kept in two generations: a word seen in either is found without
    recounting, the older generation is dropped whole when the newer one fills, so memory stays
    bounded (hostile text included) and news's recurring words stay in."""

    def __init__(self, per_generation: int) -> None:
        self.per_generation = per_generation
        self.newer: dict[str, bytes] = {}
        self.older: dict[str, bytes] = {}

    def get(self, word: str) -> bytes | None:
        found = self.newer.get(word)
        if found is None:
            found = self.older.get(word)
            if found is not None:
                self.put(word, found)
        return found

    def put(self, word: str, rows: bytes) -> None:
        if len(self.newer) >= self.per_generation:
            self.older, self.newer = self.newer, {}
        self.newer[word] = rows

    def __len__(self) -> int:
        return len(self.newer) + len(self.older)


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
        readings = [self.words.logits(word_features(title, body, self.words.title_weight), width)]
        if self.letters is not None:
            readings.append(self.letters.letter_logits(title, body))
        for logits in readings:
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
    raw = (
        resources.files("pipeline.enrich").joinpath("data", MODEL_FILE).read_text(encoding="utf-8")
    )
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
    plain_title, *body = bounded_texts(title, paragraphs)
    return plain_title, "\n".join(body)


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
