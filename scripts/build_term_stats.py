"""Build `pipeline/data/term_stats.json`, the document frequencies `pipeline.tags` scores with.

Usage, from the repository root: python -m scripts.build_term_stats [path/to/ant-train.jsonl]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from pipeline import arabic
from pipeline.tags import TermStats, article_terms

DEFAULT_CORPUS = Path("../shared/corpus/ant-train.jsonl")
OUTPUT = Path(__file__).resolve().parent.parent / "pipeline" / "data" / "term_stats.json"
MIN_FORM_DF = 3
MIN_TERM_DF = 2
MIN_BIGRAM_DF = 3
MAX_BYTES = 1_500_000
HEADER = {
    "source": "ANT Corpus v1.1 and v2.1 multi-source (ant-train.jsonl: 1,969 news articles)",
    "citation": (
        "A. Chouigui, O. Ben Khiroun, B. Elayeb, ANT Corpus: An Arabic News Text Collection "
        "for Textual Classification, AICCSA 2017"
    ),
    "licence": "Apache-2.0",
    "built_by": "scripts/build_term_stats.py",
    "keys": {
        "forms": "document frequency of folded surface words (arabic.normalize), df >= 3",
        "terms": "document frequency of stems of bare words (arabic.stem), df >= 2",
        "bigrams": "document frequency of adjacent stem pairs, df >= 3",
    },
}


def _documents(path: Path) -> list[str]:
    """Title and body of every article; the title ends with a stop so no pair spans the two."""
    with path.open(encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines if line.strip()]
    return [f"{row.get('title', '')}.\n{row.get('body', '')}" for row in rows]


def _keep(counts: Counter[str], minimum: int) -> dict[str, int]:
    return {k: v for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if v >= minimum}


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
    counts = {k: len(stats[k]) for k in ("forms", "terms", "bigrams")}  # type: ignore[arg-type]
    print(f"wrote {args.output} ({size} bytes, {stats['documents']} documents, {counts})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
