"""One key per word family: sound plurals, attached pronouns and the simplest broken plural
folded onto the singular before the stemmer sees the word.

Snowball's Arabic stemmer leaves "الاستثمارات" as "استثمارا" and "الحوثيين" as "حوثي", so a
tag list could hold a word and its plural, and a search for one would miss the other. A suffix
is taken off only when what remains is a word the corpus uses ("لوحاته" → "لوحات" → "لوحة"),
so names that merely end like a plural ("فلسطين", "لبنان") are left alone.
"""

from __future__ import annotations

from collections.abc import Mapping

from pipeline.enrich import arabic

MIN_ATTESTED = 2
"""Documents of the corpus a shorter form must appear in to count as a word."""
MAX_CACHED = 1 << 16

_PRONOUNS = ("هما", "كما", "هم", "هن", "ها", "كم", "كن", "نا", "ه", "ك")
"""Possessive and object pronouns, longest first, as written (ة is never one: it stays ة)."""
_Endings = tuple[tuple[str, tuple[str, ...]], ...]
_PLURALS: _Endings = (
    ("ات", ("ة", "")),  # حكومات → حكومة, انتخابات → انتخاب
    ("ين", ("",)),  # الحوثيين → الحوثي
    ("ون", ("",)),  # الحوثيون → الحوثي
)
_MIN_REST = 3
"""Letters a word keeps after a suffix comes off: "بنات" is not ب + ات."""


class Inflections:
    """Folds a word onto the form its family shares, with the corpus as the dictionary."""

    def __init__(self, forms: Mapping[str, int]) -> None:
        self.forms = forms
        self._cache: dict[str, str] = {}

    def attested(self, word: str) -> bool:
        folded = arabic.normalize(word)
        if self.forms.get(folded, 0) >= MIN_ATTESTED:
            return True
        other = folded[2:] if folded.startswith("ال") else "ال" + folded
        return self.forms.get(other, 0) >= MIN_ATTESTED

    def singular(self, word: str) -> str:
        """`word` without an attached pronoun and a plural ending, when the corpus knows the
        shorter word; the word itself otherwise (marks stripped)."""
        found = self._cache.get(word)
        if found is None:
            found = self._singular(word)
            if len(self._cache) < MAX_CACHED:
                self._cache[word] = found
        return found

    def _singular(self, word: str) -> str:
        word = arabic.strip_marks(word)
        if not arabic.is_arabic(word):
            return word
        word = self._strip(word, tuple((p, ("",)) for p in _PRONOUNS))
        word = self._strip(word, _PLURALS)
        return self._broken(word)

    def _strip(self, word: str, endings: _Endings) -> str:
        bare_length = len(arabic.without_article(word))
        for ending, replacements in endings:
            if not word.endswith(ending) or bare_length - len(ending) < _MIN_REST:
                continue
            for replacement in replacements:
                shorter = word[: -len(ending)] + replacement
                if self.attested(shorter):
                    return shorter
                if shorter.endswith("ت") and self.attested(shorter[:-1] + "ة"):
                    return shorter[:-1] + "ة"  # مدينته → مدينة: ة is written ت before a pronoun
        return word

    def _broken(self, word: str) -> str:
        """The plural pattern أفعال (أسعار، أطفال، أحزاب) onto فعل when the corpus knows فعل."""
        has_article = arabic.normalize(word).startswith("ال") and len(word) > 4
        bare = word[2:] if has_article else word
        folded = arabic.normalize(bare)
        if len(folded) == 5 and folded[0] == "ا" and folded[3] == "ا":
            single = bare[1:3] + bare[4]
            if self.attested(single) and arabic.normalize(single) not in ("الا",):
                return ("ال" if has_article else "") + single
        return word


def family_key(word: str, inflections: Inflections) -> str:
    """The stem of the word's singular: one key for "الاستثمار" and "الاستثمارات"."""
    return arabic.stem(inflections.singular(word))
