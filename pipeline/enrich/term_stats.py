"""What the tagger knows from a news corpus: document frequencies, and how each token reads.

A token can be a clitic (و، ف، ب، ل، ك، ال) on a word or a word as it stands; which readings are
possible depends only on the corpus, so they are worked out once per model and kept.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from pipeline.enrich import arabic
from pipeline.enrich.inflection import Inflections, family_key

MAX_CACHED_READINGS = 200_000
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
    _readings: dict[str, tuple[Reading, ...]] = field(
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

    def readings(self, token: str) -> tuple[Reading, ...]:
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
class TermWord:
    label: str
    key: str
    prefixed: bool
    usable: bool
    particle: bool


@dataclass(frozen=True)
class Reading:
    """One way to read a token: as `word`, if `needs_in_text` is empty or occurs in the text."""

    word: TermWord
    needs_in_text: str = ""


def _readings(model: TermStats, token: str) -> tuple[Reading, ...]:
    """Clitic splits, likeliest first, ending with the whole token as it stands."""
    forms = model.forms
    folded = arabic.normalize(token)
    df_token = forms.get(folded, 0)
    found: list[Reading] = []
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
            found.append(Reading(_analyse(model, token, split.rest, prefixed=True)))
            return tuple(found)
        if if_in_text:
            word = _analyse(model, token, split.rest, prefixed=True)
            found.append(Reading(word, needs_in_text=folded_rest))
    found.append(Reading(_analyse(model, token, token, prefixed=False)))
    return tuple(found)


def _analyse(model: TermStats, token: str, bare: str, prefixed: bool) -> TermWord:
    usable = not (
        _verb(model, bare)
        or arabic.is_number(bare)
        or arabic.is_stop(token)
        or arabic.is_stop(bare)
        or arabic.is_stop(arabic.without_article(bare))
        or len(arabic.normalize(bare)) < (3 if arabic.is_arabic(bare) else 2)
    )
    particle = arabic.is_name_particle(bare)
    return TermWord(bare, arabic.stem(bare), prefixed, usable, particle)


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


def _plain_rest(folded: str) -> bool:
    """An unseen و-word whose rest is long and does not open like a foreign name (وي، وا)."""
    return len(folded) >= 4 and folded[0] not in "اوي"


_VERBAL_NOUN = re.compile("^(ا.ت.ا.|است..ا.|ان..ا.|ت..ي.)$")


def _verbal_noun(folded: str) -> bool:
    """A rest shaped like a verbal noun (اجتياز، استقبال، انسحاب، تمويل): ل/ب before it is a
    preposition, as in "لاجتياز" and "بتمويل"."""
    return bool(_VERBAL_NOUN.match(folded))
