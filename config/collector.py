"""Python's cyclic garbage collector, set for a long-running server process.

A worker or API process loads its models, templates and libraries once and keeps them for its
whole life; with the collector's defaults every full collection walks all of them again (a
worker holds about 150,000 objects once started, and its word caches add more as it reads), and
a collection runs every 700 new container objects, which one article's steps make many times
over. Measured on the steps run in one process, the collector took about a tenth of their CPU.

So, once start-up is done: `gc.freeze()` moves everything alive into a generation no collection
walks (before a fork, it also keeps the children from writing to the parent's pages, as the
`gc` documentation advises), and the youngest generation is collected every `YOUNG_THRESHOLD`
allocations. Garbage cycles are still found; they live a few thousand allocations longer.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 5_000
"""New container objects between collections of the youngest generation (CPython: 700)."""
OLDER_THRESHOLD = 10
"""Collections of one generation before the next one is collected (CPython's own value)."""


def settle_after_startup() -> None:
    """Collect what start-up left behind, freeze what remains, and space the collections.
    Safe to call again: what was built since (a worker's runtime after the fork) is frozen
    with the rest."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, OLDER_THRESHOLD, OLDER_THRESHOLD)
