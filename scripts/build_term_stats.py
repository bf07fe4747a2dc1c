"""Build `pipeline/enrich/data/term_stats.json`: the document frequencies `pipeline.enrich.tags`
scores with.

Usage, from the repository root: python -m scripts.build_term_stats [path/to/ant-train.jsonl]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from pipeline.enrich import arabic
from pipeline.enrich.tags import article_terms
from pipeline.enrich.term_stats import TermStats
from scripts.corpus import DEFAULT_CORPUS, PROVENANCE, training_split

OUTPUT = Path(__file__).resolve().parent.parent / "pipeline" / "enrich" / "data" / "term_stats.json"
MIN_FORM_DF = 3
MIN_TERM_DF = 2
MIN_BIGRAM_DF = 3
MIN_VERB_CUES = 2
MAX_BYTES = 1_500_000
VERB_CUES = frozenset(
    arabic.normalize(w) for w in ["قد", "لم", "لن", "سوف", "كي", "لكي", "لكيلا", "لئلا"]
)
"""Particles only a verb follows: "لم يعلن", "قد زار"."""
NOUN_CUES = frozenset(
    arabic.normalize(w)
    for w in [
        "في",
        "إلى",
        "من",
        "على",
        "عن",
        "مع",
        "حول",
        "ضد",
        "بين",
        "لدى",
        "عند",
        "نحو",
        "منذ",
        "خلال",
        "ضمن",
        "عبر",
        "رغم",
        "لصالح",
    ]
)
"""Prepositions: a word after one is a noun or a name ("مع ترامب", "إلى تركيا")."""
HEADER = {
    **PROVENANCE,
    "built_by": "scripts/build_term_stats.py",
    "keys": {
        "forms": "document frequency of folded surface words (arabic.normalize), df >= 3",
        "terms": "document frequency of stems of bare words (arabic.stem), df >= 2",
        "bigrams": "document frequency of adjacent stem pairs, df >= 3",
        "verbs": "folded words seen after قد/لم/لن/سوف/كي or with the future س at least twice "
        "as often as after a preposition, and ي-words never used as a noun",
    },
}


def _documents(path: Path) -> list[str]:
    """Title and body of every training article (the held-out fifth stays unseen); the title
    ends with a stop so no pair spans the two."""
    return [f"{article.title}.\n{article.body}" for article in training_split(path)]


def _keep(counts: Counter[str], minimum: int) -> dict[str, int]:
    return {k: v for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if v >= minimum}


def _verbs(docs: list[str], forms: dict[str, int]) -> list[str]:
    """Words the corpus uses as verbs: a tag is a topic, never "يعزز" or "تستضيف"."""
    verb: Counter[str] = Counter()
    noun: Counter[str] = Counter()
    for text in docs:
        previous = ""
        for token in arabic.tokenize(text):
            word = arabic.normalize(token)
            if previous in VERB_CUES:
                verb[word] += 1
            elif previous in NOUN_CUES:
                noun[word] += 1
            if word[:2] in {"سي", "ست", "سن"} and word[1:] in forms:
                verb[word[1:]] += 1
            previous = word
    cued = {w for w, n in verb.items() if n >= MIN_VERB_CUES and n > 2 * noun[w]}
    imperfect = {w for w in forms if _imperfect_without_noun_use(w, forms) and not noun[w]}
    return sorted(cued | imperfect)


def _imperfect_without_noun_use(word: str, forms: dict[str, int]) -> bool:
    """ي + three letters or more, never seen with ال or ب nor after a preposition: "يعزز"."""
    return (
        word.startswith("ي")
        and len(word) >= 4
        and arabic.is_arabic(word)
        and not any(f"{prefix}{word}" in forms for prefix in ("ال", "بال", "لل", "ب", "وال"))
    )


def build(path: Path) -> dict[str, object]:
    """Two passes: surface forms first (they decide clitic splits), then stems and pairs."""
    docs = _documents(path)
    forms: Counter[str] = Counter()
    for text in docs:
        forms.update({arabic.normalize(tok) for tok in arabic.tokenize(text)})
    kept_forms = _keep(forms, MIN_FORM_DF)
    reader = TermStats(documents=len(docs), forms=kept_forms)
    terms: Counter[str] = Counter()
    bigrams: Counter[str] = Counter()
    for text in docs:
        unigrams, pairs = article_terms(text, reader)
        terms.update(unigrams)
        bigrams.update(pairs)
    return {
        **HEADER,
        "documents": len(docs),
        "forms": kept_forms,
        "terms": _keep(terms, MIN_TERM_DF),
        "bigrams": _keep(bigrams, MIN_BIGRAM_DF),
        "verbs": _verbs(docs, kept_forms),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    stats = build(args.corpus)
    text = json.dumps(stats, ensure_ascii=False, indent=0, separators=(",", ":"))
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        print(f"term stats are {size} bytes, over the {MAX_BYTES} cap", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text + "\n", encoding="utf-8")
    counts = {k: len(stats[k]) for k in ("forms", "terms", "bigrams", "verbs")}  # type: ignore[arg-type]
    print(f"wrote {args.output} ({size} bytes, {stats['documents']} documents, {counts})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
