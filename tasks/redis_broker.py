"""kombu's Redis transport, surviving a lost connection while it holds unacknowledged messages.

When the connection to Redis drops, the worker closes its channel, and kombu puts the messages it
had not acknowledged back on their queues. If the connection object is already gone by then,
kombu's Redis transport has no client to do it with and raises AttributeError, which kills the
worker ("Unrecoverable error"; celery/kombu #970 and #582 show the same path). The messages are
not lost either way: they stay in Redis's unacknowledged set, which kombu restores after the
visibility timeout, and nashr's sweeper sends their steps again much sooner.
"""

from __future__ import annotations

import logging
from typing import Any

from kombu.transport import redis

log = logging.getLogger(__name__)


class QoS(redis.QoS):
    def restore_unacked(self, client: Any = None) -> Any:
        try:
            return super().restore_unacked(client)
        except AttributeError:
            log.warning(
                "broker connection gone before its channel: unacknowledged messages are left "
                "for the visibility timeout and the sweeper",
                extra={"messages": len(self._delivered)},
            )
            self._delivered.clear()
            return None


class Channel(redis.Channel):
    QoS = QoS


class Transport(redis.Transport):
    Channel = Channel
