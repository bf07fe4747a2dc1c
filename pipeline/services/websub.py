"""Telling a WebSub hub that the site's feeds changed, so subscribers get new articles pushed
instead of polling. Off unless `NASHR_WEBSUB_HUB` names a hub.

The ping is a courtesy: it runs after the rebuild has committed, waits a few seconds at most,
and a hub that is down or refuses it is logged and changes nothing else. A feed is announced
when its bytes differ from the last ones this process announced.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import httpx

from pipeline.domain.outputs import Output

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5.0


class HubNotifier:
    def __init__(self, hub_url: str, base_url: str, timeout: float = TIMEOUT_SECONDS) -> None:
        self.hub_url = hub_url
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._announced: dict[str, str] = {}

    def changed(self, feeds: list[Output]) -> bool:
        """Announce every feed whose bytes changed; True when the hub took the ping."""
        fresh = [feed for feed in feeds if self._announced.get(feed.path) != feed.etag]
        if not fresh:
            return False
        form = [("hub.mode", "publish")] + [("hub.url", self.base_url + f.path) for f in fresh]
        try:
            answer = httpx.post(
                self.hub_url,
                content=urlencode(form).encode(),
                headers={"content-type": "application/x-www-form-urlencoded"},
                timeout=self.timeout,
            )
        except httpx.HTTPError as exc:
            log.warning("websub hub unreachable", extra={"error": type(exc).__name__})
            return False
        if answer.status_code >= 300:
            log.warning("websub hub refused the ping", extra={"status": answer.status_code})
            return False
        for feed in fresh:
            self._announced[feed.path] = feed.etag
        return True
