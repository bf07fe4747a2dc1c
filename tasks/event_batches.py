"""The worker's consumer, sending its buffered task events in batches a fraction of a second
apart rather than on every turn of its event loop.

Celery's worker buffers task events and sends what it holds on the loop's next turn: under
load that is a message of one or two events for every task message handled, and sending them
was a fifth of the worker's main process. Held for `EVENT_BATCH_SECONDS` (or until Celery's
buffer of 24 fills), a batch carries a dozen or more, and the broker and every receiver (the
API, Flower) handle a message per batch, not per event.
"""

from __future__ import annotations

from celery.worker.consumer import Consumer

EVENT_BATCH_SECONDS = 0.1
"""Task events reach Flower and /metrics at most this much later; nothing waits on them."""


class BatchingConsumer(Consumer):  # type: ignore[misc]  # celery ships no type hints
    _batch_due = False

    def on_send_event_buffered(self) -> None:
        """Called by the event dispatcher for each event it buffers: send them all a little
        later, in one message."""
        if self.hub is None:
            super().on_send_event_buffered()
        elif not self._batch_due:
            self._batch_due = True
            self.hub.call_later(EVENT_BATCH_SECONDS, self._send_batch)

    def _send_batch(self) -> None:
        self._batch_due = False
        self._flush_events()
