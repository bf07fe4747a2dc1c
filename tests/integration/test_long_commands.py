"""Long operator commands stopped by Ctrl-C: between two whole pieces of work, never inside one.

`nashr republish --all` and `nashr jobs run` of a site rebuild run this loop; the command turns
`Interrupted` into exit 130 and a line saying how far it got."""

from __future__ import annotations

import pytest

from pipeline.domain.jobs import Action, JobAction
from pipeline.services.jobs import Interrupted
from pipeline.services.runtime import Services
from tests.integration.test_listings import get, publish, services, sourced

pytestmark = pytest.mark.integration
__all__ = ["services"]  # the fixture, on SQLite and PostgreSQL


def test_a_site_rebuild_stopped_by_ctrl_c_leaves_every_page_whole(services: Services) -> None:
    # Given four live articles
    titles = [f"خبر للإعادة رقم {n}" for n in range(4)]
    ids = [sourced(services, title) for title in titles]
    for key in ids:
        assert publish(services, key)
    services.listings.rebuild()

    # When a site rebuild is stopped by Ctrl-C once two articles are done
    seen: list[tuple[int, int]] = []

    def ctrl_c_after_two(done: int, total: int) -> None:
        seen.append((done, total))
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(Interrupted, match="stopped after 2 of 4"):
        services.jobs.perform(JobAction(Action.REBUILD_SITE), None, ctrl_c_after_two)

    # Then progress was told of each whole article, and every page is still served whole
    assert seen == [(0, 4), (1, 4), (2, 4)]
    for (article_id, _), title in zip(ids, titles, strict=True):
        page = get(services, f"/news/{article_id}.html").decode()
        assert title in page and page.rstrip().endswith("</html>")
