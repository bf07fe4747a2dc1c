"""kombu's Redis transport, surviving a lost connection while it holds unacknowledged messages.

When the connection to Redis drops, the worker closes its channel, and kombu puts the messages it
had not acknowledged back on their queues. Once a channel is closed its connection is gone, and
anything that later asks that channel for a Redis client (putting messages back, a send through a
pooled producer, a timer restoring visible messages) raised AttributeError from deep in kombu,
which is not one of the broker's connection errors: the worker stopped with "Unrecoverable error"
(celery/kombu #970 and #582 show the same path) instead of reconnecting. Here such a channel raises
`ChannelGone`, a connection error, so the worker reconnects as it does for any other cut. The
messages are not lost either way: they stay in Redis's unacknowledged set, which kombu restores
after the visibility timeout, and nashr's sweeper sends their steps again much sooner.
"""

from __future__ import annotations

import logging
from typing import Any

from kombu.transport import redis
from redis.exceptions import ConnectionError as RedisConnectionError

log = logging.getLogger(__name__)


class ChannelGone(RedisConnectionError):
    """A closed channel was asked for a client: the broker connection it had is gone."""


class QoS(redis.QoS):
    def restore_unacked(self, client: Any = None) -> Any:
        try:
            return super().restore_unacked(client)
        except (AttributeError, ChannelGone):
            log.warning(
                "broker connection gone before its channel: unacknowledged messages are left "
                "for the visibility timeout and the sweeper",
                extra={"messages": len(self._delivered)},
            )
            self._delivered.clear()
            return None


class Channel(redis.Channel):
    QoS = QoS

    def close(self) -> None:
        """A channel its transport let go of first (on a cut) closes without a connection: its
        unacknowledged messages are left to the visibility timeout, as `QoS` says."""
        if self.connection is None:
            if not self.closed:
                self.closed = True
                self.qos.restore_unacked_once()
            return
        super().close()

    def _connparams(self, asynchronous: bool = False) -> Any:
        if self.connection is None:
            raise ChannelGone("the broker channel is closed: its connection is gone")
        return super()._connparams(asynchronous)


class Transport(redis.Transport):
    Channel = Channel
