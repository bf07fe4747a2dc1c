"""The training corpus as the build scripts and `bench/enrich.py` read it, with one fixed split.

The split is decided by a hash of each article's source URL, so the held-out fifth never changes
between runs or machines and no statistic or model committed in `pipeline/enrich/data/` has seen it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPOSITORY.parent / "shared" / "corpus" / "ant-train.jsonl"
HELD_OUT_BUCKETS = 5
"""One article in five (by URL hash) is held out: about 390 of 1,969."""

SECTION_OF_LABEL = {
    "internationalNews": "politics",
    "middleEast": "politics",
    "politic": "politics",
    "society": "society",
    "localNews": "society",
    "economy": "economy",
    "sport": "sport",
    "culture": "culture",
    "technology": "technology",
}
"""The outlets' labels as nashr's sections; `diverse` has no section and is left out."""

PROVENANCE = {
    "source": "ANT Corpus v1.1 and v2.1 multi-source (training split, scripts/corpus.py)",
    "citation": (
        "A. Chouigui, O. Ben Khiroun, B. Elayeb, ANT Corpus: An Arabic News Text Collection "
        "for Textual Classification, AICCSA 2017"
    ),
    "licence": "Apache-2.0",
}
"""Where every file built from the corpus comes from, and whom to cite: written into each."""


@dataclass(frozen=True)
class CorpusArticle:
    title: str
    body: str
    label: str
    source_url: str

    @property
    def section(self) -> str | None:
        return SECTION_OF_LABEL.get(self.label)

    @property
    def paragraphs(self) -> list[str]:
        return [line.strip() for line in self.body.split("\n") if line.strip()]

    @property
    def held_out(self) -> bool:
        digest = hashlib.sha256(self.source_url.encode("utf-8")).digest()
        return digest[0] % HELD_OUT_BUCKETS == 0


def read_corpus(path: Path = DEFAULT_CORPUS) -> Iterator[CorpusArticle]:
    """Every article of the JSON Lines corpus, in file order."""
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                row = json.loads(line)
                yield CorpusArticle(
                    title=row.get("title") or "",
                    body=row.get("body") or "",
                    label=row.get("category") or "",
                    source_url=row.get("source_url") or "",
                )


def training_split(path: Path = DEFAULT_CORPUS) -> list[CorpusArticle]:
    return [a for a in read_corpus(path) if not a.held_out]


def held_out_split(path: Path = DEFAULT_CORPUS) -> list[CorpusArticle]:
    return [a for a in read_corpus(path) if a.held_out]
