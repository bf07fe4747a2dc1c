"""The rebuild queue: requests coalesce, and nothing asked for during a rebuild is dropped."""

from __future__ import annotations

from pathlib import Path

from pipeline.models import Tag
from pipeline.store.rebuilds import RebuildQueue

SPORT = Tag(label="رياضة", slug="رياضه")


def test_requests_coalesce_into_one_turn(tmp_path: Path) -> None:
    queue = RebuildQueue(tmp_path)
    first = queue.request([1], [SPORT])
    last = queue.request([2])

    with queue.turn(first) as work:
        assert work is not None
        assert work.articles == {1, 2} and set(work.tags) == {"رياضه"}
        assert work.requested == last

    # A caller whose request that turn covered has nothing left to do
    with queue.turn(last) as work:
        assert work is None


def test_a_request_made_during_a_turn_is_kept_for_the_next(tmp_path: Path) -> None:
    queue = RebuildQueue(tmp_path)
    first = queue.request([1])
    with queue.turn(first) as work:
        assert work is not None
        later = queue.request([1], [SPORT])  # version 2 of article 1, committed meanwhile

    with queue.turn(later) as work:
        assert work is not None
        assert work.articles == {1} and set(work.tags) == {"رياضه"}


def test_a_failed_turn_leaves_the_work_for_whoever_comes_next(tmp_path: Path) -> None:
    queue = RebuildQueue(tmp_path)
    generation = queue.request([7])
    try:
        with queue.turn(generation):
            raise OSError("disk full")
    except OSError:
        pass

    with queue.turn(queue.requested()) as work:
        assert work is not None and work.articles == {7}
