"""One output that cannot be written never stops the presses: it is recorded against itself."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.store.output_failures import OutputFailures
from tests.system import SEED_ARTICLE, RunningSystem, running_system

pytestmark = pytest.mark.integration

NASHR = shutil.which("nashr", path=str(Path(sys.executable).parent)) or "nashr"
FANCY_TAG = "\U0001d400" * 80
"""80 mathematical bold capitals: 320 bytes of UTF-8, as copy-pasted fancy text arrives."""


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSystem]:
    with running_system(tmp_path_factory.mktemp("nashr-poison"), "embedded") as running:
        yield running


def _article(title: str, **extra: object) -> dict[str, object]:
    article = {k: v for k, v in SEED_ARTICLE.items() if k != "external_id"}
    return article | {"title": title, **extra}


def _retry_listing(system: RunningSystem) -> str:
    done = subprocess.run(
        [NASHR, "retry"],
        env=system.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def test_a_fancy_text_tag_publishes_and_so_does_everything_after_it(
    system: RunningSystem,
) -> None:
    first = system.submit(_article("خبر بوسم من نص مزخرف", tags=[FANCY_TAG]))
    status = system.wait_for(first["id"], "live")
    slug = next(t["slug"] for t in status["tags"] if t["label"] == FANCY_TAG)
    assert system.get(f"/tags/{slug}.html").status_code == 200

    second = system.submit(_article("خبر بعده"))
    system.wait_for(second["id"], "live")
    assert "خبر بعده" in system.get("/").text


def test_a_poisoned_tag_page_is_listed_and_the_rest_of_the_site_publishes(
    system: RunningSystem,
) -> None:
    # Given a tag page the disk refuses to write (a directory stands where the file goes)
    site = Path(system.settings.site_dir)
    (site / "tags" / "وسم-مسموم.html").mkdir(parents=True, exist_ok=True)

    # When an article with that tag is published, and then others after it
    poisoned = system.submit(_article("خبر يحمل الوسم المسموم", tags=["وسم مسموم"]))
    system.wait_for(poisoned["id"], "live")
    later = [system.submit(_article(f"خبر لاحق رقم {n}")) for n in range(3)]

    # Then every later article goes live, on the home page, the feeds and the ticker
    for accepted in later:
        system.wait_for(accepted["id"], "live")
    home, rss = system.get("/").text, system.get("/feeds/rss.xml").text
    ticker = system.get("/ticker.json").json()
    for n in range(3):
        assert f"خبر لاحق رقم {n}" in home and f"خبر لاحق رقم {n}" in rss
        assert any(entry["headline"] == f"خبر لاحق رقم {n}" for entry in ticker)

    # And the poisoned output is recorded against itself, for operators to see
    failures = OutputFailures(system.store.engine).listed()
    assert [f.path for f in failures] == ["/tags/وسم-مسموم.html"]
    assert "IsADirectoryError" in failures[0].error and failures[0].article_id is None
    assert "output /tags/وسم-مسموم.html" in _retry_listing(system)

    # And once the obstacle is gone, the next rebuild that covers the tag clears it
    (site / "tags" / "وسم-مسموم.html").rmdir()
    again = system.submit(_article("خبر آخر بالوسم", tags=["وسم مسموم"]))
    system.wait_for(again["id"], "live")
    assert system.get("/tags/وسم-مسموم.html").status_code == 200
    assert OutputFailures(system.store.engine).listed() == []


def test_an_article_whose_own_page_cannot_be_written_fails_and_replays(
    system: RunningSystem,
) -> None:
    # Given the next article's own page is refused by the disk
    probe = system.submit(_article("خبر لمعرفة الرقم التالي"))
    system.wait_for(probe["id"], "live")
    next_id = probe["id"] + 1
    blocker = Path(system.settings.site_dir) / "news" / f"{next_id}.html"
    blocker.mkdir(parents=True)

    # When it is submitted, Then the version fails, with the page named, and is listed
    accepted = system.submit(_article("خبر صفحته مرفوضة"))
    assert accepted["id"] == next_id
    status = system.wait_for(next_id, "failed")
    assert any(f"/news/{next_id}.html" in (s["error"] or "") for s in status["steps"])
    assert f"{next_id}\tv1\tfailed at ticker" in _retry_listing(system)

    # And after the obstacle is gone, a replay makes it live
    blocker.rmdir()
    subprocess.run(
        [NASHR, "retry", str(next_id)],
        env=system.env,
        capture_output=True,
        timeout=60,
        check=True,
    )
    system.wait_for(next_id, "live")
    assert system.get(f"/news/{next_id}.html").status_code == 200
