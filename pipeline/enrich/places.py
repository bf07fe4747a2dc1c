"""Places a story names (countries, regions, cities), found with the gazetteer shipped in
`pipeline/enrich/data/places.json` that `scripts/build_places.py` writes.

Names match as whole words after `arabic.normalize`, behind the clitics `arabic.clitic_splits`
knows ("وبفرنسا", "للمغرب"); the longest name wins ("الدار البيضاء" over "الدار"). Words that are
also ordinary words or name two places ("صور", "مالي", "عمان") are in the gazetteer only inside
longer names ("مدينة صور", "سلطنة عمان"), so a bare one is never read as a place.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal, cast, get_args

from pipeline.enrich import arabic
from pipeline.enrich.text import bounded_texts

PlaceKind = Literal["country", "region", "city"]
PLACES_FILE = "places.json"
MAX_PLACES = 6
TITLE_WEIGHT = 3
"""A place in the headline counts as three mentions in the body."""
MEMO_SIZE = 1 << 15
"""Chunks of text per memo generation; two generations hold about 10 MB."""

_KINDS: dict[str, PlaceKind] = {kind: kind for kind in get_args(PlaceKind)}
_LETTERS = "\u0621-\u063a\u0641-\u064a"
"""Arabic letters without marks or tatweel: what nearly every word of a story is made of."""
_PUNCTUATION = re.escape(".,;:!?\"'()[]{}«»…،؛؟")
_PLAIN_CHUNK = re.compile(f"([{_PUNCTUATION}]*)([{_LETTERS}]+)([{_PUNCTUATION}]*)")
"""A word between spaces, maybe in quotes or before a comma: read without the tokeniser."""
_PLAIN_WORD = re.compile(f"[{_LETTERS}]+")
_DASH = re.compile("[-\u2010-\u2015\u2212]")
"""Region names are written with hyphens ("بني ملال-خنيفرة"): a dash joins, a comma separates."""
"""Lone surrogates (valid in a Python str, not in UTF-8) would make the HTML cleaner raise."""
_TA_MARBUTA = "\u0629"
_AL = "\u0627\u0644"
_CLITIC_LETTERS = frozenset("\u0648\u0641\u0628\u0644\u0643")
"""و ف ب ل ك: every clitic `arabic.clitic_splits` knows starts with one of them."""


@dataclass(frozen=True)
class Place:
    """A place as a tag: the gazetteer's label (never the text's spelling), its slug and kind."""

    label: str
    slug: str
    kind: PlaceKind
    country: str | None = None
    """ISO 3166-1 alpha-2 code; None where the name is shared or the country disputed."""


@dataclass(frozen=True, slots=True)
class _Name:
    place: Place | None
    """None for a phrase that holds a place name but names something else ("المغرب العربي")."""
    strict: bool = False
    """The last word must be written with ة: "وجدة" the city, not "وجده" (found him)."""


@dataclass(slots=True)
class _Node:
    """One folded word of a name; `name` is set where a whole name ends."""

    children: dict[str, _Node] = field(default_factory=dict)
    name: _Name | None = None


@dataclass(frozen=True, slots=True)
class _NameStart:
    """A word that can begin a name, bare or behind a clitic."""

    token: str
    folded: str
    starts: tuple[_Node, ...]
    """The name trie under each reading of the word, the bare reading first."""


_Item = _NameStart | str | None
"""A word that may begin a name, any other word as written, or None for punctuation."""


@dataclass
class _ChunkMemo:
    """Chunks read, in two generations: when the new one is full it becomes the old one, so the
    words a newsroom uses every day stay while rare ones fall out, at a dict lookup a hit."""

    new: dict[str, tuple[_Item, ...]] = field(default_factory=dict)
    old: dict[str, tuple[_Item, ...]] = field(default_factory=dict)

    def read(self, gazetteer: Gazetteer, chunk: str) -> tuple[_Item, ...]:
        words = self.old.get(chunk)
        if words is None:
            words = _read_chunk(gazetteer, chunk)
        if len(self.new) >= MEMO_SIZE:
            self.old, self.new = self.new, {}
        self.new[chunk] = words
        return words


@dataclass(frozen=True, eq=False)
class Gazetteer:
    """Every known name as a trie of folded words, so a text is read in one pass."""

    places: tuple[Place, ...]
    roots: Mapping[str, _Node] = field(repr=False)
    """First folded word of a name -> the trie of the rest."""
    spellings: frozenset[str] = field(repr=False)
    """Every way to write each first word in plain letters ("الإمارات", "الامارات", ...): a word
    neither in it nor in it after a clitic starts no name, and is never folded or split."""
    memo: _ChunkMemo = field(default_factory=_ChunkMemo, repr=False)
    """Chunks of text already read: news repeats its words, and `clitic_splits` is slow."""

    @classmethod
    def load(cls) -> Gazetteer:
        """The gazetteer committed with the package, read once."""
        return _load_packaged()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Gazetteer:
        """Build from the JSON layout `scripts/build_places.py` writes."""
        strict = {arabic.normalize(name) for name in data.get("strict_ta_marbuta", [])}
        places = [_place(row) for row in data["places"]]
        names = [
            (name, _Name(place, arabic.normalize(name) in strict))
            for place, row in zip(places, data["places"], strict=True)
            for name in row["names"]
        ]
        names += [(phrase, _Name(None)) for phrase in data.get("not_places", [])]
        roots: dict[str, _Node] = {}
        for name, entry in names:
            tokens = _name_tokens(name)
            if not tokens:
                continue
            node = roots.setdefault(tokens[0], _Node())
            for token in tokens[1:]:
                node = node.children.setdefault(token, _Node())
            node.name = entry
        return cls(tuple(places), roots, _spellings(roots))

    def lookup(self, name: str) -> Place | None:
        """The place a whole name (an editor's tag, say) stands for, if it is one."""
        tokens = _name_tokens(name)
        node = self.roots.get(tokens[0]) if tokens else None
        for token in tokens[1:]:
            node = node.children.get(token) if node is not None else None
        return node.name.place if node is not None and node.name is not None else None


def _place(row: Mapping[str, Any]) -> Place:
    label = str(row["label"])
    kind = _KINDS.get(str(row["kind"]))
    if kind is None:
        raise ValueError(f"unknown place kind {row['kind']!r} for {label!r}")
    country = row.get("country")
    return Place(label, arabic.slugify(label), kind, str(country) if country else None)


def _name_tokens(name: str) -> tuple[str, ...]:
    return tuple(arabic.normalize(token) for token in arabic.tokenize(_DASH.sub(" ", name)))


@functools.cache
def _letter_spellings() -> dict[str, tuple[str, ...]]:
    """Folded letter -> the plain letters `arabic.normalize` folds onto it (ا: ا أ إ آ)."""
    spellings: dict[str, list[str]] = {}
    for code in itertools.chain(range(0x0621, 0x063B), range(0x0641, 0x064B)):
        spellings.setdefault(arabic.normalize(chr(code)), []).append(chr(code))
    return {folded: tuple(letters) for folded, letters in spellings.items()}


def _spellings(keys: Iterable[str]) -> frozenset[str]:
    letters = _letter_spellings()
    spellings: set[str] = set()
    for key in keys:
        options = [letters.get(letter, (letter,)) for letter in key]
        spellings.update("".join(spelt) for spelt in itertools.product(*options))
    return frozenset(spellings)


@functools.cache
def _load_packaged() -> Gazetteer:
    raw = (
        resources.files("pipeline.enrich").joinpath("data", PLACES_FILE).read_text(encoding="utf-8")
    )
    return Gazetteer.from_json(json.loads(raw))


def _readings(token: str) -> list[str]:
    """The folded word, then the folded rests after each clitic ("وللمغرب" -> ..., "المغرب").

    ك ("like") counts only before ال: bare, it more often starts a foreign name ("كلاوس")."""
    readings = [arabic.normalize(token)]
    for split in arabic.clitic_splits(token):
        if split.clitic.endswith("ك") and not split.article:
            continue
        rest = arabic.normalize(split.rest)
        if rest not in readings:
            readings.append(rest)
    return readings


def _may_start(word: str, spellings: frozenset[str]) -> bool:
    """Whether a name could start here, bare or behind a clitic: a cheap superset of the rests
    `clitic_splits` gives (one or two letters off, or "لل" read as "ال"), checked unfolded."""
    return word in spellings or (
        word[:1] in _CLITIC_LETTERS
        and (
            word[1:] in spellings
            or word[2:] in spellings
            or _AL + word[2:] in spellings
            or _AL + word[3:] in spellings
        )
    )


def _read_word(gazetteer: Gazetteer, token: str, plain: bool = False) -> _NameStart | str:
    """The word as a possible start of names, or as written when it starts none."""
    plain = plain or _PLAIN_WORD.fullmatch(token) is not None
    if not _may_start(token if plain else arabic.normalize(token), gazetteer.spellings):
        return token
    readings = _readings(token)
    nodes = tuple(node for reading in readings if (node := gazetteer.roots.get(reading)))
    return _NameStart(token, readings[0], nodes) if nodes else token


def _breaks(char: str) -> bool:
    return not (char.isalnum() or char.isspace())


def _read_chunk(gazetteer: Gazetteer, chunk: str) -> tuple[_Item, ...]:
    """The words of one chunk of text between spaces ("(بالمغرب،"), None where punctuation
    breaks a phrase."""
    plain = _PLAIN_CHUNK.fullmatch(chunk)
    if plain:
        before, token, after = plain.groups()
        if not before and not after:
            return (_read_word(gazetteer, chunk, plain=True),)
        words: list[_Item] = [None] if before else []
        words.append(_read_word(gazetteer, token, plain=True))
        if after:
            words.append(None)
        return tuple(words)
    clean = _DASH.sub(" ", arabic.strip_marks(chunk))
    runs = arabic.phrases(clean)
    if not runs:
        return (None,) if clean.strip() else ()
    words = [None] if _breaks(clean[0]) else []
    for index, run in enumerate(runs):
        if index:
            words.append(None)
        words.extend(_read_word(gazetteer, token) for token in run)
    if _breaks(clean[-1]):
        words.append(None)
    return tuple(words)


def _longest(word: _NameStart, words: Sequence[_Item], start: int) -> tuple[_Name, int] | None:
    """The longest name starting at `start` and its length in words; the words after it are
    folded only while some name still fits."""
    folded: list[str | None] = []
    best: tuple[_Name, int] | None = None
    for node in word.starts:
        size = 1
        while True:
            name = node.name
            if name and (best is None or size > best[1]) and _spelt(name, words[start + size - 1]):
                best = (name, size)
            if not node.children:
                break
            if len(folded) < size:
                folded.append(_fold(words, start + size))
            child = node.children.get(folded[size - 1] or "")
            if child is None:
                break
            node, size = child, size + 1
    return best


def _fold(words: Sequence[_Item], index: int) -> str | None:
    word = words[index] if index < len(words) else None
    return word.folded if isinstance(word, _NameStart) else word and arabic.normalize(word)


def _spelt(name: _Name, word: _Item) -> bool:
    text = word.token if isinstance(word, _NameStart) else word
    return not name.strict or (text is not None and text.endswith(_TA_MARBUTA))


def _matches(words: Sequence[_Item]) -> Iterator[tuple[Place, int]]:
    """Places and where they start, reading left to right, the longest name at each word."""
    end = 0
    is_word = map(isinstance, words, itertools.repeat(_NameStart))
    for i in itertools.compress(itertools.count(), is_word):
        word = words[i]
        if i < end or not isinstance(word, _NameStart):
            continue
        found = _longest(word, words, i)
        if found is not None:
            name, size = found
            end = i + size
            if name.place is not None:
                yield name.place, i


def _words(gazetteer: Gazetteer, texts: Iterable[str]) -> tuple[list[_Item], int]:
    """Every text's words in order, None between texts; and where the title's words end."""
    memo = gazetteer.memo
    words: list[_Item] = []
    title_end = 0
    for index, text in enumerate(texts):
        chunks = text.split()
        read = list(map(memo.new.get, chunks))
        for k in [k for k, found in enumerate(read) if found is None]:
            read[k] = memo.read(gazetteer, chunks[k])
        words.extend(itertools.chain.from_iterable(cast("list[tuple[_Item, ...]]", read)))
        words.append(None)
        title_end = title_end if index else len(words)
    return words, title_end


@dataclass
class _Seen:
    place: Place
    first: int
    mentions: int = 0


def find_places(
    title: str, paragraphs: list[str], gazetteer: Gazetteer | None = None, limit: int = MAX_PLACES
) -> list[Place]:
    """Up to `limit` places, the earliest and most mentioned first, each once."""
    gazetteer = gazetteer if gazetteer is not None else Gazetteer.load()
    words, title_end = _words(gazetteer, bounded_texts(title, paragraphs))
    seen: dict[str, _Seen] = {}
    for place, position in _matches(words):
        entry = seen.get(place.slug)
        if entry is None:
            entry = seen[place.slug] = _Seen(place, position)
        entry.mentions += TITLE_WEIGHT if position < title_end else 1
    ranked = sorted(seen.values(), key=lambda s: ((s.first + 1) / s.mentions, s.first))
    return [entry.place for entry in ranked[: max(limit, 0)]]
