"""One output that cannot be written never stops the presses: it is recorded against itself.

Outputs are planted poisoned the way a database refuses them: a trigger that rejects writes to
one path, or a listing entry damaged in place. Everything else must go on publishing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, text, update

from pipeline.store.listings import listing_entries
from pipeline.store.output_failures import OutputFailures
from tests.system import SEED_ARTICLE, RunningSystem, running_system

pytestmark = pytest.mark.integration

NASHR = shutil.which("nashr", path=str(Path(sys.executable).parent)) or "nashr"
FANCY_TAG = "\U0001d400" * 80
"""80 mathematical bold capitals: 320 bytes of UTF-8, as copy-pasted fancy text arrives."""


@pytest.fixture(scope="module", params=["embedded", "postgres-rabbitmq"])
def system(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningSystem]:
    data_dir = tmp_path_factory.mktemp(f"nashr-poison-{request.param}")
    with running_system(data_dir, request.param) as running:
        yield running


@contextmanager
def refused(engine: Engine, path: str) -> Iterator[None]:
    """The database refuses every write of `path` while this lasts."""
    quoted = path.replace("'", "''")
    name = f"poison_{abs(hash(path)) % 10**8}"
    with engine.begin() as db:
        if db.dialect.name == "postgresql":
            db.execute(
                text(
                    f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    f"IF NEW.path = '{quoted}' THEN RAISE EXCEPTION 'poisoned output'; END IF; "
                    "RETURN NEW; END $$"
                )
            )
            db.execute(
                text(
                    f"CREATE TRIGGER {name} BEFORE INSERT OR UPDATE ON outputs "
                    f"FOR EACH ROW EXECUTE FUNCTION {name}()"
                )
            )
        else:
            for event in ("INSERT", "UPDATE"):
                db.execute(
                    text(
                        f"CREATE TRIGGER {name}_{event.lower()} BEFORE {event} ON outputs "
                        f"WHEN NEW.path = '{quoted}' "
                        "BEGIN SELECT RAISE(ABORT, 'poisoned output'); END"
                    )
                )
    try:
        yield
    finally:
        with engine.begin() as db:
            if db.dialect.name == "postgresql":
                db.execute(text(f"DROP TRIGGER {name} ON outputs"))
                db.execute(text(f"DROP FUNCTION {name}()"))
            else:
                for event in ("insert", "update"):
                    db.execute(text(f"DROP TRIGGER {name}_{event}"))


def _article(system: RunningSystem, title: str, **extra: object) -> dict[str, object]:
    article = {k: v for k, v in SEED_ARTICLE.items() if k != "external_id"}
    return article | {"title": f"{title} {system.settings.queue_prefix}", **extra}


def _main(page: str) -> str:
    """The page's own listing, without the ticker bar above it."""
    return page.split("<main", 1)[1].split("</main>", 1)[0]


def _retry_listing(system: RunningSystem) -> str:
    done = subprocess.run(
        [NASHR, "retry"], env=system.env, capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout


def _failures(system: RunningSystem) -> dict[str, str]:
    store = system.store
    try:
        return {f.path: f.error for f in OutputFailures(store.engine).listed()}
    finally:
        store.engine.dispose()


def test_a_fancy_text_tag_publishes_and_so_does_everything_after_it(
    system: RunningSystem,
) -> None:
    first = system.submit(_article(system, "خبر بوسم من نص مزخرف", tags=[FANCY_TAG]))
    status = system.wait_for(first["id"], "live")
    slug = next(t["slug"] for t in status["tags"] if t["label"] == FANCY_TAG)
    assert len(slug.encode()) <= 120
    assert system.get(f"/tags/{slug}.html").status_code == 200

    second = system.submit(_article(system, "خبر بعده"))
    system.wait_for(second["id"], "live")
    assert "خبر بعده" in system.get("/").text


def test_a_refused_site_feed_is_listed_and_the_rest_of_the_site_publishes(
    system: RunningSystem,
) -> None:
    store = system.store
    try:
        # Given the Atom feed's writes are refused by the database
        with refused(store.engine, "/feeds/atom.xml"):
            # When articles are published
            later = [system.submit(_article(system, f"خبر لاحق رقم {n}")) for n in range(3)]

            # Then each goes live: its page, the home page, the RSS feed and the ticker
            for accepted in later:
                system.wait_for(accepted["id"], "live")
            home, rss = system.get("/").text, system.get("/feeds/rss.xml").text
            ticker = system.get("/ticker.json").json()
            for accepted in later:
                assert f"/news/{accepted['id']}.html" in home
                assert f"/news/{accepted['id']}.html" in rss
                assert any(entry["id"] == accepted["id"] for entry in ticker)
            assert f"/news/{later[-1]['id']}.html" not in system.get("/feeds/atom.xml").text

            # And the refused output is recorded against itself, for operators to see
            assert "poisoned output" in _failures(system)["/feeds/atom.xml"]
            assert "output /feeds/atom.xml" in _retry_listing(system)

        # And once the database takes it again, the next rebuild writes it and it is mended
        again = system.submit(_article(system, "خبر بعد الإصلاح"))
        system.wait_for(again["id"], "live")
        assert f"/news/{again['id']}.html" in system.get("/feeds/atom.xml").text
        assert "/feeds/atom.xml" not in _failures(system)
    finally:
        store.engine.dispose()


def test_a_damaged_entry_is_left_out_listed_and_mended_by_a_republish(
    system: RunningSystem,
) -> None:
    store = system.store
    tag = f"وسم مسموم {system.settings.queue_prefix}"
    try:
        # Given an article whose listing entry is damaged in the database
        damaged = system.submit(_article(system, "خبر يحمل الوسم المسموم", tags=[tag]))
        status = system.wait_for(damaged["id"], "live")
        slug = next(t["slug"] for t in status["tags"] if t["label"] == tag)
        with store.engine.begin() as db:
            db.execute(
                update(listing_entries)
                .where(listing_entries.c.article_id == damaged["id"])
                .values(entry={"damaged": True})
            )

        link = f"/news/{damaged['id']}.html"

        # When its tag page is asked for, and the site goes on publishing
        tag_page = system.get(f"/tags/{slug}.html")
        later = system.submit(_article(system, "خبر بعد العطب"))
        system.wait_for(later["id"], "live")

        # Then the damaged entry is left out of every listing, its page is still served, the
        # damage is listed against it, and everything else publishes
        assert tag_page.status_code == 200 and link not in _main(tag_page.text)
        home = _main(system.get("/").text)
        assert f"/news/{later['id']}.html" in home and link not in home
        assert system.get(link).status_code == 200
        assert "listing entry unreadable" in _failures(system)[link]
        assert f"output {link}" in _retry_listing(system)

        # And republishing the damaged article mends its entry, its listings and the record
        subprocess.run(
            [NASHR, "republish", str(damaged["id"])],
            env=system.env,
            capture_output=True,
            timeout=60,
            check=True,
        )
        assert link in _main(system.get(f"/tags/{slug}.html").text)
        assert link in _main(system.get("/").text)
        assert link not in _failures(system)
    finally:
        store.engine.dispose()


def test_an_article_whose_own_page_is_refused_fails_and_replays(system: RunningSystem) -> None:
    store = system.store
    try:
        # Given the next article's own page is refused by the database
        probe = system.submit(_article(system, "خبر لمعرفة الرقم التالي"))
        system.wait_for(probe["id"], "live")
        next_id = probe["id"] + 1
        with refused(store.engine, f"/news/{next_id}.html"):
            # When it is submitted, Then its version fails with the page named, and is listed
            accepted = system.submit(_article(system, "خبر صفحته مرفوضة"))
            assert accepted["id"] == next_id
            status = system.wait_for(next_id, "failed")
            assert any(f"/news/{next_id}.html" in (s["error"] or "") for s in status["steps"])
            listing = _retry_listing(system)
            assert f"{next_id}\tv1\tfailed at publish" in listing
            assert system.get(f"/news/{next_id}.html").status_code == 404

        # And once the database takes it again, a replay makes it live
        subprocess.run(
            [NASHR, "retry", str(next_id)],
            env=system.env,
            capture_output=True,
            timeout=60,
            check=True,
        )
        system.wait_for(next_id, "live")
        assert system.get(f"/news/{next_id}.html").status_code == 200
        assert f"/news/{next_id}.html" not in _failures(system)
    finally:
        store.engine.dispose()
