"""Arabic text handling for matching and slugs only: nothing here is shown to readers as-is."""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from typing import NamedTuple

import arabicstopwords.arabicstopwords as stp
import Stemmer

from pipeline.domain.charmap import CharMap

SLUG_MAX_BYTES = 120
"""A slug becomes a path segment, a file name and a key column: its UTF-8 size is what is
bounded, since one character may take four bytes ("𝐀" pasted as fancy text)."""

# Harakat, superscript alef, Quranic annotation marks, tatweel, and invisible format characters
# (zero-width, bidi controls, the Arabic letter mark): they change bytes, never the word.
_MARKS = re.compile(
    "[\u064b-\u065f\u0670\u06d6-\u06ed\u0640"
    "\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
_INVISIBLE = re.compile(
    "[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
_PRESENTATION_FORMS = re.compile("[\ufb50-\ufdff\ufe70-\ufeff]")
_FOLD = CharMap(
    {
        "\u0623": "\u0627",  # أ
        "\u0625": "\u0627",  # إ
        "\u0622": "\u0627",  # آ
        "\u0671": "\u0627",  # ٱ
        "\u0649": "\u064a",  # ى
        "\u06cc": "\u064a",  # Persian yeh
        "\u06a9": "\u0643",  # Persian kaf
        "\u0629": "\u0647",  # ة
        **{chr(0x0660 + d): str(d) for d in range(10)},
        **{chr(0x06F0 + d): str(d) for d in range(10)},
    }
)
_ALEF_ONLY = str.maketrans(
    {"\u0623": "\u0627", "\u0625": "\u0627", "\u0622": "\u0627", "\u0671": "\u0627"}
)

_ARABIC = "\u0621-\u063a\u0641-\u064a\u066e\u066f\u0671-\u06d3\u06d5\u06fa-\u06fc\u06ff"
_LATIN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
_DIGITS = "0-9\u0660-\u0669\u06f0-\u06f9"
_TOKEN = re.compile(f"[{_ARABIC}]+|[{_LATIN}][{_LATIN}0-9]*|[{_DIGITS}]+")
_SPACE = re.compile(r"\s+")
_SLUG_JUNK = re.compile(r"[\W_]+")
_ARABIC_LETTER = re.compile(f"[{_ARABIC}]")

# Words that fill every news story: reporting verbs, time words, months (Levantine, Egyptian and
# Maghrebi names), weekdays, vague quantities. Written as they appear; folded by `normalize`.
_NEWS_FILLER = """
قال قالت يقول تقول أضاف أضافت يضيف أوضح أوضحت يوضح أشار أشارت يشير أكد أكدت يؤكد ذكر ذكرت يذكر
أفاد أفادت يفيد صرح صرحت تابع تابعت لفت لفتت نقل نقلت أعلن أعلنت يعلن كشف كشفت يكشف وأضاف وأوضح
وأشار وأكد وقال وقالت وذكر وتابع يشار يذكر وفق وفقا حسب بحسب نقلا مضيفا مشيرا مؤكدا موضحا
معتبرا لافتا المصدر ذاته نفسه نفسها الجاري الماضي الماضية المقبل المقبلة القادم الحالي الحالية
اليوم أمس غدا الآن يوم يوما أيام الأيام سنة السنة سنوات عام العام أعوام شهر الشهر أشهر شهور
أسبوع الأسبوع أسابيع ساعة الساعة ساعات دقيقة دقائق صباح مساء ليلة الليلة السبت الأحد الاثنين
الإثنين الثلاثاء الأربعاء الخميس الجمعة يناير فبراير مارس أبريل ابريل إبريل مايو يونيو يونيه
يوليو يوليه أغسطس سبتمبر أكتوبر نوفمبر ديسمبر جانفي فيفري أفريل ماي جوان جويلية أوت كانون شباط
آذار نيسان أيار حزيران تموز آب أيلول تشرين العديد عديد مختلف مختلفة عدة بعض جميع كافة عدد إطار
الإطار خلال ضمن بشأن إضافة بالإضافة فضلا أيضا كذلك وكذا حوالي قرابة نحو زهاء أكثر أقل مليون
ملايين مليار مليارات ألف آلاف مئة مائة واحد واحدة اثنان اثنين ثلاث ثلاثة أربع أربعة خمس خمسة ست
ستة سبع سبعة ثمان ثمانية تسع تسعة عشر عشرة عشرين ثلاثين عاما أعوام مرة المرة مرات بنسبة نسبة
بالنسبة بلغ يبلغ بلغت تبلغ مهم مهمة تمكن تمكنت يمكن يمكنه بإمكان إمكانية ذكرته وذكرت قبل بعد
أول الأول الأولى ثاني الثاني الثانية ثالث الثالث الثالثة أخرى الأخرى آخر الآخر الأخير الأخيرة
جديد جديدة الجديد الجديدة كبير كبيرة صغير تم يتم تمت خاص خاصة عبر أمام لدى إزاء بينما حين حيث
إذ إذا كان كانت يكون تكون كانوا كنا كنت أكون نكون ليس ليست أصبح مؤكدة مشيرة موضحة
لماذا ينبغي يجب يمكن أكبر أصغر أبرز أهم أفضل أسوأ بالمائة بالمئة المائة المئة بالمية بالأساس
حاليا سابقا لاحقا مجددا جدا فقط تقريبا إطلاقا أبدا دائما غالبا أحيانا ربما بشكل شكل بصفة صفة
"""

# Start a name or a place ("أيت ملول", "بني ملال", "أبو ظبي") but never a tag alone.
_NAME_PARTICLES = """
أيت آيت بن ابن بنت أبو أبي آل بني بنو عبد ولد سيدي مولاي سان
"""

_LATIN_STOP = """
a an and are as at be by for from has have in is it of on or that the this to was were will
with de des du la le les et en un une
"""

# Names that fold onto a stop word (على → علي): a person called Ali is a tag, "on" is not.
_NOT_STOP = frozenset({"علي"})

# Clitics that can sit before a word: conjunctions, prepositions, and these fused with "ال".
_AL_PREFIXES = ("وبال", "وكال", "فبال", "وال", "فال", "بال", "كال")
_LAL_PREFIXES = ("ولل", "فلل", "لل")
_CLITICS = ("وب", "ول", "وك", "فب", "فل", "و", "ف", "ب", "ل", "ك")


WORD_CACHE = 1 << 16
"""Words whose folded forms are kept per process: news repeats its words, so most lookups hit."""
_WORD_CHARS = 40
"""Texts up to this long are words, worth keeping; whole paragraphs are folded each time."""


def strip_marks(text: str) -> str:
    """Drop harakat, tatweel and invisible format characters so equal words have equal bytes."""
    return _strip_word(text) if len(text) <= _WORD_CHARS else _strip(text)


def _strip(text: str) -> str:
    if _PRESENTATION_FORMS.search(text):
        text = unicodedata.normalize("NFKC", text)
    return _MARKS.sub("", text)


_strip_word = functools.lru_cache(maxsize=WORD_CACHE)(_strip)


def normalize(text: str) -> str:
    """Fold spelling variants (hamza on alef, ى/ي, ة/ه, digits, case) so matching ignores them."""
    return _normalize_word(text) if len(text) <= _WORD_CHARS else _normalize(text)


def _normalize(text: str) -> str:
    return _FOLD(strip_marks(text)).casefold()


_normalize_word = functools.lru_cache(maxsize=WORD_CACHE)(_normalize)


def tokenize(text: str) -> list[str]:
    """Words and numbers in reading order, marks removed; digits glued to words are split off."""
    return _TOKEN.findall(strip_marks(text))


def token_spans(text: str) -> list[tuple[int, int]]:
    """Where each word or number of `tokenize` sits in `text` (text already without marks)."""
    return [match.span() for match in _TOKEN.finditer(text)]


def phrases(text: str) -> list[list[str]]:
    """Runs of tokens separated only by spaces: a bigram never spans punctuation."""
    clean = strip_marks(text)
    runs: list[list[str]] = []
    current: list[str] = []
    last_end = 0
    for match in _TOKEN.finditer(clean):
        gap = clean[last_end : match.start()]
        if current and (gap and not gap.isspace()):
            runs.append(current)
            current = []
        current.append(match.group())
        last_end = match.end()
    if current:
        runs.append(current)
    return runs


def clean_label(text: str) -> str:
    """An editor's tag as typed, minus invisible characters and stray whitespace."""
    visible = _INVISIBLE.sub("", text)
    visible = "".join(ch for ch in visible if unicodedata.category(ch) != "Cc" or ch.isspace())
    return _SPACE.sub(" ", visible).strip()


def has_word(text: str) -> bool:
    """Whether any letter or digit survives folding: a tag of only punctuation is no tag."""
    return any(ch.isalnum() for ch in strip_marks(text))


def is_arabic(word: str) -> bool:
    """Only Arabic words carry clitics and go through the Arabic stemmer."""
    return bool(_ARABIC_LETTER.match(word))


def is_number(word: str) -> bool:
    """Digits alone (any script) are never a tag."""
    return word.isdigit()


@functools.cache
def _stop_words() -> frozenset[str]:
    words = {normalize(w) for w in stp.stopwords_list()}
    words.update(normalize(w) for w in _NEWS_FILLER.split())
    words.update(_LATIN_STOP.split())
    return frozenset(words)


@functools.cache
def _function_words() -> frozenset[str]:
    words = {normalize(w) for w in stp.stopwords_list()}
    words.update(_LATIN_STOP.split())
    return frozenset(words - _NOT_STOP)


def is_function_word(word: str) -> bool:
    """A particle, pronoun or auxiliary ("من", "والتي", "the"): no reader searches for it
    alone. Narrower than `is_stop`: months, weekdays and reporting verbs are searchable."""
    folded = normalize(word)
    if folded in _NOT_STOP:
        return "\u0649" in word
    return folded in _function_words()


@functools.cache
def _name_particles() -> frozenset[str]:
    return frozenset(normalize(w) for w in _NAME_PARTICLES.split())


def is_name_particle(word: str) -> bool:
    """The first half of a name ("أبو", "بني"): kept in a two-word tag, dropped alone."""
    return normalize(word) in _name_particles()


@functools.lru_cache(maxsize=WORD_CACHE)
def is_stop(word: str) -> bool:
    """A particle, pronoun, reporting verb or time word: never the start or end of a tag."""
    folded = normalize(word)
    if folded in _NOT_STOP:
        return "\u0649" in word  # على is a particle, علي a name
    return folded in _stop_words()


def without_article(word: str) -> str:
    """The word after ال, when what follows can stand alone; the word itself otherwise."""
    folded = normalize(word)
    return word[2:] if folded.startswith("\u0627\u0644") and len(folded) > 4 else word


class Split(NamedTuple):
    """One reading of a word as clitic + rest."""

    clitic: str
    rest: str
    article: bool
    """The clitic sat before ال, a far safer cut than a bare one-letter clitic."""


def clitic_splits(word: str) -> list[Split]:
    """Ways to read `word` as clitic + word, longest clitic first ("للهجرة" is ل + الهجرة)."""
    if not is_arabic(word):
        return []
    word = strip_marks(word)
    folded = normalize(word)
    splits: list[Split] = []
    for prefix in _AL_PREFIXES:
        if folded.startswith(prefix) and len(folded) - len(prefix) >= 2:
            splits.append(Split(prefix[:-2], word[len(prefix) - 2 :], True))
    for prefix in _LAL_PREFIXES:
        if folded.startswith(prefix) and len(folded) - len(prefix) >= 2:
            splits.append(Split(prefix[:-1], "ال" + word[len(prefix) :], True))
    for prefix in _CLITICS:
        if prefix.endswith("ل") and folded.startswith(prefix + "ل"):
            continue  # "للطب" is ل + الطب, never ل + لطب
        if folded.startswith(prefix) and len(folded) - len(prefix) >= 3:
            splits.append(Split(prefix, word[len(prefix) :], False))
    return splits


@functools.cache
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("arabic")


@functools.lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A key shared by a word's inflections (الهجرة, هجرة, الهجره), for grouping only."""
    if not is_arabic(word):
        return normalize(word)
    light = strip_marks(word).translate(_ALEF_ONLY)
    if light.startswith("\u0627\u0644") and len(light) > 4:
        light = light[2:]  # the stemmer keeps ال on short words: الجهة and جهة must meet
    if light.endswith("\u0647") and len(light) > 3:
        light = light[:-1] + "\u0629"  # ه written for ة: let the stemmer see the ending it knows
    stemmed: str = _stemmer().stemWord(light)
    return normalize(stemmed) or normalize(word)


def slugify(label: str) -> str:
    """A stable URL key for a tag: spelling variants of the same label get the same slug."""
    folded = _SLUG_JUNK.sub("-", normalize(label)).strip("-")
    if not folded:
        visible = _SPACE.sub(" ", label).strip()
        return _short_hash(visible) if visible else ""
    encoded = folded.encode("utf-8")
    if len(encoded) <= SLUG_MAX_BYTES:
        return folded
    # a cut inside a character drops it whole; the hash of the full key keeps it unique and stable
    head = encoded[: SLUG_MAX_BYTES - 11].decode("utf-8", errors="ignore").rstrip("-")
    return f"{head}-{_short_hash(folded)}"


def _short_hash(text: str) -> str:
    return "t" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:9]
