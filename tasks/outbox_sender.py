"""The API's first messages, sent from one thread after the ingest commit, their outbox rows
marked sent in batches: a request pays for neither a send nor a second transaction.

The version and its outbox row are committed before the API answers; what happens here is
only the doorbell. A row left unmarked (a crash between send and mark, the broker away, the
database away for the mark) is sent again by the sweeper once it is older than its bound, and
every step ignores a message it has already handled, so nothing is lost or done twice.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Protocol

from config.settings import Settings, redact
from pipeline.domain.errors import BrokerUnavailable, TransientError
from pipeline.domain.states import Step
from pipeline.store.records import Accepted

log = logging.getLogger(__name__)

MARK_EVERY_SECONDS = 0.1
"""Sent rows are marked at most this long after their send (the sweeper waits a minute)."""
MAX_BATCH = 500
"""Messages sent in one burst, and rows marked by one UPDATE, at most."""
PACE_SECONDS = 0.01
"""Between two bursts: under load a burst carries several messages (fewer thread wake-ups and
hand-offs of the interpreter lock); an idle sender sends the next one at once."""


class Sends(Protocol):
    def send(self, step: Step, article_id: int, version: int, urgent: bool = False) -> None:
        """The dispatcher's one send path: any broker failure raises `BrokerUnavailable`."""


class Marks(Protocol):
    def mark_dispatched(self, outbox_ids: list[int]) -> None:
        """Record that these outbox rows' messages reached the broker."""


Handed = tuple[Accepted, bool]
"""A committed version and whether it is urgent (breaking news)."""
_STOP = None


class OutboxSender:
    """One daemon thread, started by the first `submit`; `close` sends what is queued."""

    def __init__(
        self,
        dispatcher: Sends,
        outbox: Marks,
        settings: Settings,
        mark_every: float = MARK_EVERY_SECONDS,
        pace: float = PACE_SECONDS,
    ) -> None:
        self.dispatcher = dispatcher
        self.outbox = outbox
        self.broker = redact(settings.broker)
        self.mark_every = mark_every
        self.pace = pace
        self._queue: queue.SimpleQueue[Handed | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._lock = threading.Lock()

    def submit(self, accepted: Accepted, urgent: bool) -> None:
        """Queue the first message of a committed version; never blocks, never raises."""
        if self._thread is None:
            self._start()
        self._queue.put((accepted, urgent))

    def close(self, timeout: float = 5.0) -> None:
        """Send what is queued (within `timeout`) and stop; what is left waits in the outbox."""
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._queue.put(_STOP)
            thread.join(timeout)

    def _start(self) -> None:
        with self._lock:
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(
                    target=self._run, name="nashr-outbox-sender", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while not self._serve():
            pass

    def _serve(self) -> bool:
        """Send in bursts, and mark in batches, until stopped (True). An unexpected error is
        logged and serving resumes (False): the rows in hand wait for the sweeper."""
        sent: list[int] = []
        due = 0.0
        try:
            while True:
                wait = max(0.0, due - time.monotonic()) if sent else None
                try:
                    first = self._queue.get(timeout=wait)
                except queue.Empty:
                    sent = self._mark(sent)
                    continue
                burst, stopped = self._gather(first)
                if burst and not sent:
                    due = time.monotonic() + self.mark_every
                sent += self._send_all(burst)
                if stopped:
                    self._mark(sent)
                    return True
                if len(sent) >= MAX_BATCH or time.monotonic() >= due:
                    sent = self._mark(sent)
                # what arrives meanwhile goes out in the next burst: one wake-up sends many
                time.sleep(self.pace)
        except Exception:
            log.exception("outbox sender failed; its unmarked rows are left for the sweeper")
            return False

    def _gather(self, first: Handed | None) -> tuple[list[Handed], bool]:
        """Everything queued now, and whether the stop came with it."""
        burst: list[Handed] = []
        item = first
        while item is not _STOP:
            burst.append(item)
            if len(burst) >= MAX_BATCH:
                return burst, False
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return burst, False
        return burst, True

    def _send_all(self, burst: list[Handed]) -> list[int]:
        """Send a burst; the outbox ids of what reached the broker."""
        sent: list[int] = []
        try:
            for accepted, urgent in burst:
                self.dispatcher.send(Step.VALIDATE, accepted.id, accepted.version, urgent)
                sent.append(accepted.outbox_id)
        except BrokerUnavailable as exc:
            missed = burst[len(sent)]
            log.warning(
                "broker unreachable, left for the sweeper",
                extra={
                    "article_id": missed[0].id,
                    "version": missed[0].version,
                    "broker": self.broker,
                    "error": str(exc),
                    "also_left": len(burst) - len(sent) - 1 + self._drop_queued(),
                },
            )
        return sent

    def _drop_queued(self) -> int:
        """With the broker away, what is queued is left to the sweeper, not tried one by one
        (each try can take a second); returns how many."""
        dropped = 0
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return dropped
            if item is _STOP:
                self._queue.put(_STOP)
                return dropped
            dropped += 1

    def _mark(self, outbox_ids: list[int]) -> list[int]:
        """Mark the rows sent; returns the empty batch to fill next."""
        if outbox_ids:
            try:
                self.outbox.mark_dispatched(outbox_ids)
            except TransientError as exc:
                log.warning(
                    "outbox rows not marked sent: the sweeper sends them again",
                    extra={"rows": len(outbox_ids), "error": str(exc)},
                )
        return []
