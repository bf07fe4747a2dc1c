"""The sample site served by a real `nashr api` process on a free port, for the checks that
look at it from outside as readers' tools do (nginx, the Nu HTML Checker, feed parsers)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from config.settings import Settings
from pipeline.services.runtime import build_services
from pipeline.store.migrate import upgrade
from tests.sample_site import IMAGE_BASE, Published, build_site
from tests.services import IN_CI, wait_until

NASHR = shutil.which("nashr", path=str(Path(sys.executable).parent)) or "nashr"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class SiteServer:
    url: str
    articles: list[Published]
    taken_down: Published
    settings: Settings


def require_tool(path: str | Path, what: str) -> None:
    """Skip on a developer's machine without the tool; fail in CI, where `make test` installs
    it."""
    if Path(path).exists():
        return
    message = f"{what} is not installed at {path} (make test installs it)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def serving_sample_site(
    data_dir: Path, count: int = 8, image_base: str | None = None, **sizes: int
) -> Iterator[SiteServer]:
    """Publish `count` articles on SQLite, take the first down, and serve the site; `sizes`
    (home_size, tag_size …) small enough make listings run to older pages; `image_base`
    where the articles' pictures are."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = Settings(data_dir=data_dir, site_url=url, **sizes)  # type: ignore[arg-type]
    upgrade(settings.database)
    services = build_services(settings)
    try:
        articles = build_site(services, count, image_base or IMAGE_BASE)
        assert services.takedowns.unpublish(articles[0].id) is not None
        services.listings.rebuild()
    finally:
        services.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NASHR_")}
    env |= {"NASHR_DATA_DIR": str(data_dir), "NASHR_SITE_URL": url}
    env |= {f"NASHR_{name.upper()}": str(value) for name, value in sizes.items()}
    log = (data_dir / "api.log").open("ab")
    process = subprocess.Popen(
        [NASHR, "api", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_until(lambda: _healthy(url) or None, 30, "the API to answer /health")
        yield SiteServer(url, articles[1:], articles[0], settings)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
