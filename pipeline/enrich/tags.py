"""The `enrich` step's tagging: editor tags first, then keywords scored by TF-IDF over the text."""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from pipeline.domain.models import CleanArticle, Tag
from pipeline.enrich import arabic
from pipeline.enrich.inflection import Inflections, family_key
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
MAX_CACHED_READINGS = 200_000
SINGLE_MENTION = 0.01
"""A word the body says once, outside the headline, only fills a short story's list."""
STATS_FILE = "term_stats.json"
CLITIC_EVIDENCE = {"و": 2.5, "ف": 8.0, "ب": 1.5, "ل": 1.5, "ك": 2.0}
"""How much more common the rest must be than the whole: فيصل is a name, not ف + يصل."""
DEFAULT_CLITIC_EVIDENCE = 3.0


@dataclass(frozen=True)
class TermStats:
    """Document frequencies learned from a news corpus: what is common, hence not a topic."""

    documents: int
    forms: Mapping[str, int] = field(default_factory=dict)
    """Folded surface forms: tells "وفرنسا" (و + فرنسا) from "وزير" (a word that starts with و)."""
    terms: Mapping[str, int] = field(default_factory=dict)
    """Stems of bare words."""
    bigrams: Mapping[str, int] = field(default_factory=dict)
    """Two stems joined by a space: how often a pair is a fixed phrase ("الأمم المتحدة")."""
    verbs: frozenset[str] = frozenset()
    """Folded words the corpus uses as verbs (after لم، قد، سوف): never a tag nor part of one."""
    _readings: dict[str, tuple[_Reading, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )
    _inflections: list[Inflections] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def load(cls) -> TermStats:
        """The statistics committed with the package, read once."""
        return _load_packaged()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TermStats:
        """Build from the JSON layout `scripts/build_term_stats.py` writes."""
        return cls(
            documents=int(data["documents"]),
            forms=dict(data.get("forms", {})),
            terms=dict(data.get("terms", {})),
            bigrams=dict(data.get("bigrams", {})),
            verbs=frozenset(data.get("verbs", ())),
        )

    def idf(self, key: str) -> float:
        """Smoothed IDF; a stem outside the vocabulary counts as seen once (rare, so weighty)."""
        df = self.terms.get(key, 1)
        return math.log((self.documents + 1) / (df + 1)) + 1.0

    def readings(self, token: str) -> tuple[_Reading, ...]:
        """How `token` can be read, worked out once per model (bounded: hostile text is huge)."""
        found = self._readings.get(token)
        if found is None:
            found = _readings(self, token)
            if len(self._readings) < MAX_CACHED_READINGS:
                self._readings[token] = found
        return found

    @property
    def inflections(self) -> Inflections:
        """Plural and pronoun folding with this corpus as its dictionary, built once."""
        if not self._inflections:
            self._inflections.append(Inflections(self.forms))
        return self._inflections[0]

    def families(self, label: str) -> set[str]:
        """One key per word of `label` that a plural or a pronoun does not change."""
        return {family_key(token, self.inflections) for token in arabic.tokenize(label)}

    def phrase_strength(self, first: str, second: str) -> float:
        """Share of the rarer word's documents where the pair occurs: 1.0 for a fixed phrase."""
        pair = self.bigrams.get(f"{first} {second}", 0)
        rarer = min(self.terms.get(first, 1), self.terms.get(second, 1))
        return min(1.0, pair / rarer) if pair else 0.0


@functools.cache
def _load_packaged() -> TermStats:
    raw = (
        resources.files("pipeline.enrich").joinpath("data", STATS_FILE).read_text(encoding="utf-8")
    )
    return TermStats.from_json(json.loads(raw))


@dataclass(frozen=True)
class _TermWord:
    label: str
    key: str
    prefixed: bool
    usable: bool
    particle: bool


@dataclass(frozen=True)
class _Reading:
    """One way to read a token: as `word`, if `needs_in_text` is empty or occurs in the text."""

    word: _TermWord
    needs_in_text: str = ""


class _Analyser:
    """Reads tokens as (clitic +) bare word.

    What a token can be depends only on the corpus, so it is worked out once per model and
    kept; which reading wins can also depend on the text ("وفرنسا" when "فرنسا" is nearby).
    """

    def __init__(self, model: TermStats, counts: Counter[str]) -> None:
        self.model = model
        self.counts = counts
        self.cache: dict[str, _TermWord] = {}

    def word(self, token: str) -> _TermWord:
        cached = self.cache.get(token)
        if cached is None:
            cached = self.cache[token] = self._pick(self.model.readings(token))
        return cached

    def _pick(self, readings: tuple[_Reading, ...]) -> _TermWord:
        for reading in readings:
            if not reading.needs_in_text or self.counts[reading.needs_in_text] > 0:
                return reading.word
        raise AssertionError("the last reading is the token itself")  # pragma: no cover


def _readings(model: TermStats, token: str) -> tuple[_Reading, ...]:
    """Clitic splits, likeliest first, ending with the whole token as it stands."""
    forms = model.forms
    folded = arabic.normalize(token)
    df_token = forms.get(folded, 0)
    found: list[_Reading] = []
    for split in arabic.clitic_splits(token):
        folded_rest = arabic.normalize(split.rest)
        df_rest = forms.get(folded_rest, 0)
        if split.article:
            always = df_rest >= df_token
            if_in_text = True
        else:
            ratio = CLITIC_EVIDENCE.get(split.clitic, DEFAULT_CLITIC_EVIDENCE)
            always = (
                df_rest > ratio * df_token
                or (split.clitic == "و" and df_token == 0 and _plain_rest(folded_rest))
                or (split.clitic in "بل" and df_token == 0 and _verbal_noun(folded_rest))
            )
            if_in_text = df_token < df_rest + 5
        if always:
            found.append(_Reading(_analyse(model, token, split.rest, prefixed=True)))
            return tuple(found)
        if if_in_text:
            word = _analyse(model, token, split.rest, prefixed=True)
            found.append(_Reading(word, needs_in_text=folded_rest))
    found.append(_Reading(_analyse(model, token, token, prefixed=False)))
    return tuple(found)


def _analyse(model: TermStats, token: str, bare: str, prefixed: bool) -> _TermWord:
    usable = not (
        _verb(model, bare)
        or arabic.is_number(bare)
        or arabic.is_stop(token)
        or arabic.is_stop(bare)
        or arabic.is_stop(arabic.without_article(bare))
        or len(arabic.normalize(bare)) < (3 if arabic.is_arabic(bare) else 2)
    )
    particle = arabic.is_name_particle(bare)
    return _TermWord(bare, arabic.stem(bare), prefixed, usable, particle)


def _verb(model: TermStats, word: str) -> bool:
    """Known from the corpus, or an unseen word shaped like a present-tense verb, bare or
    behind و/ف ("ويخطف", "ويسأله": the clitic reading needs the rest in the text alone)."""
    folded = arabic.normalize(word)
    if folded in model.verbs:
        return True
    if not arabic.is_arabic(word) or model.forms.get(folded, 0):
        return False
    rest = folded[1:]
    if folded[0] in "وف" and (rest in model.verbs or _verb_shaped(rest)):
        return not model.forms.get(rest, 0) or rest in model.verbs
    return _verb_shaped(folded)


def _verb_shaped(folded: str) -> bool:
    """A present-tense verb by its letters: يـ and four letters or more, or a plural يـ/تـ...ون."""
    return (folded[:1] == "ي" and len(folded) >= 4) or (
        folded[:1] in "يت" and len(folded) >= 5 and folded.endswith(("ون", "وا"))
    )


@functools.lru_cache(maxsize=1 << 16)
def _fold(token: str) -> str:
    """`arabic.normalize` for one word: news repeats its words, so fold each once."""
    return arabic.normalize(token)


def _plain_rest(folded: str) -> bool:
    """An unseen و-word whose rest is long and does not open like a foreign name (وي، وا)."""
    return len(folded) >= 4 and folded[0] not in "اوي"


_VERBAL_NOUN = re.compile("^(ا.ت.ا.|است..ا.|ان..ا.|ت..ي.)$")


def _verbal_noun(folded: str) -> bool:
    """A rest shaped like a verbal noun (اجتياز، استقبال، انسحاب، تمويل): ل/ب before it is a
    preposition, as in "لاجتياز" and "بتمويل"."""
    return bool(_VERBAL_NOUN.match(folded))


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
            previous: _TermWord | None = None
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
