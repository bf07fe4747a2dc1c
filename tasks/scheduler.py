"""Beat's scheduler: jobs come from the database and each due run is claimed there.

Celery's own schedulers keep their schedule in the beat process (and a file), so two beats
send every job twice. This one keeps nothing: every tick it claims the due runs in the database
(`pipeline/store/jobs.py`: one conditional update per due time) and sends only the runs it
won. Any number of beats may run; a beat killed and restarted picks up where the database says.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from celery.beat import Scheduler

from config.settings import Settings, get_settings
from pipeline.domain.errors import BrokerUnavailable, TransientError
from pipeline.services.runtime import Services, build_services
from pipeline.store.database import utcnow
from pipeline.store.jobs import Claimed
from tasks.dispatch import Dispatcher

log = logging.getLogger(__name__)

TICK_SECONDS = 0.5
RESEND_AFTER = timedelta(seconds=30)
"""A run claimed this long ago and not started was not delivered: it is sent again."""


class DatabaseScheduler(Scheduler):  # type: ignore[misc]
    """`app.conf.beat_scheduler`: runs each job's due times once, however many beats run."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._services: Services | None = None
        self._dispatcher: Dispatcher | None = None
        self._settings: Settings = get_settings()
        super().__init__(*args, **kwargs)

    def setup_schedule(self) -> None:
        """Nothing kept here; the built-in jobs are put in the database at the interval the
        settings give now."""
        try:
            self.services.jobs.ensure_built_in(
                self._settings.sweep_interval_seconds, self._settings.refresh_interval_seconds
            )
        except TransientError:
            log.warning("database unreachable: built-in jobs checked on the next tick")

    @property
    def dispatcher(self) -> Dispatcher:
        if self._dispatcher is None:
            self._dispatcher = Dispatcher(self.app, self._settings)
        return self._dispatcher

    @property
    def services(self) -> Services:
        if self._services is None:
            self._services = build_services(self._settings)
        return self._services

    def tick(self, *args: Any, **kwargs: Any) -> float:
        try:
            store = self.services.jobs.store
            now = utcnow()
            claimed = store.claim_due(now)
            claimed += store.lost_claims(now - RESEND_AFTER)
            from tasks.jobs import JOB_TIME_LIMIT

            store.abandon_running(now - timedelta(seconds=JOB_TIME_LIMIT + 60))
        except TransientError as exc:
            log.warning("database unreachable: jobs wait", extra={"error": str(exc)})
            return TICK_SECONDS * 4
        except Exception:  # beat must outlive one bad tick: every job depends on it
            log.exception("claiming due jobs failed; trying again")
            return TICK_SECONDS * 4
        for run in claimed:
            self._send(run)
        self._fetches()
        return TICK_SECONDS

    def _fetches(self) -> None:
        """Sources due a fetch, claimed as job runs are: once per slot, however many beats."""
        try:
            store = self.services.sources.store
            now = utcnow()
            # no resend of a claim never started, as for jobs: a fetch may wait in its queue
            # longer than a job would, and the source's next slot supersedes it anyway
            claimed = store.claim_due(now)
            from tasks.sources import FETCH_TIME_LIMIT

            store.abandon_running(now - timedelta(seconds=FETCH_TIME_LIMIT + 60))
        except TransientError as exc:
            log.warning("database unreachable: fetches wait", extra={"error": str(exc)})
            return
        except Exception:  # one bad tick must not stop the jobs
            log.exception("claiming due fetches failed; trying again")
            return
        for fetch in claimed:
            try:
                self.dispatcher.send_fetch(fetch.fetch_id, fetch.source)
            except BrokerUnavailable as exc:
                # the fetch stays claimed until the source's next slot supersedes it
                log.warning("broker unreachable: fetch waits a slot", extra={"error": str(exc)})
            except Exception:  # beat must outlive a failed send as it does a failed claim
                log.exception("sending a fetch failed; it waits a slot")

    def _send(self, run: Claimed) -> None:
        try:
            self.dispatcher.send_job(run.run_id, run.job)
        except BrokerUnavailable as exc:
            # the run stays claimed: it is sent again once RESEND_AFTER has passed
            log.warning("broker unreachable: job run sent later", extra={"error": str(exc)})
            return
        except Exception:  # beat must outlive a failed send as it does a failed claim
            log.exception("sending a job run failed; it is sent again later")
            return
        log.debug("job run sent", extra={"job": run.job, "run_id": run.run_id})

    def sync(self) -> None:
        return None

    def close(self) -> None:
        if self._services is not None:
            self._services.close()

    @property
    def info(self) -> str:
        return "jobs claimed in the database"
