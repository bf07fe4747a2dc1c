"""The collector settings a server process takes once its start-up is done."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from config.collector import OLDER_THRESHOLD, YOUNG_THRESHOLD, settle_after_startup


@pytest.fixture
def collector_restored() -> Iterator[None]:
    """The test process's own collector settings come back afterwards."""
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_start_up_objects_are_frozen_and_collections_spaced(collector_restored: None) -> None:
    kept = [_Cycle() for _ in range(100)]
    settle_after_startup()
    assert gc.get_freeze_count() >= len(kept)
    assert gc.get_threshold() == (YOUNG_THRESHOLD, OLDER_THRESHOLD, OLDER_THRESHOLD)
    assert all(gc.is_tracked(obj) for obj in kept)


def test_garbage_left_by_start_up_is_collected_not_frozen(collector_restored: None) -> None:
    left = [weakref.ref(_Cycle()) for _ in range(100)]  # unreachable cycles: start-up's garbage
    assert any(ref() is not None for ref in left)
    settle_after_startup()
    assert all(ref() is None for ref in left)


def test_cycles_made_after_start_up_are_still_collected(collector_restored: None) -> None:
    settle_after_startup()
    for _ in range(10):
        _Cycle()
    assert gc.collect() >= 10


def test_the_worker_settles_after_loading_its_models(collector_restored: None) -> None:
    from tasks.worker import _load_enrichment_models

    gc.unfreeze()
    _load_enrichment_models()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD
