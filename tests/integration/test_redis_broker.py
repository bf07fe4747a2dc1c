"""The Redis transport after a cut: a channel closed by a lost connection fails as a lost
connection, which the worker recovers from, never as the AttributeError that stopped it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from kombu.connection import Connection
from kombu.entity import Exchange, Queue

from tasks.redis_broker import ChannelGone
from tests.faults.proxy import TcpProxy
from tests.services import redis_database

pytestmark = pytest.mark.integration


@dataclass
class Broker:
    connection: Connection
    proxy: TcpProxy
    prefix: str

    def queue(self, name: str) -> Queue:
        full = f"{self.prefix}-{name}"
        return Queue(full, Exchange(full), routing_key=full)

    def put(self, queue: Queue, payload: dict[str, int]) -> None:
        with self.connection.Producer() as producer:
            producer.publish(
                payload, exchange=queue.exchange, routing_key=queue.routing_key, declare=[queue]
            )


@pytest.fixture
def broker() -> Iterator[Broker]:
    prefix = f"nashr-test-{uuid.uuid4().hex[:8]}"
    with (
        redis_database(prefix) as url,
        TcpProxy(6379) as proxy,
        Connection(
            proxy.route(url),
            transport="tasks.redis_broker:Transport",
            transport_options={"global_keyprefix": f"{prefix}:"},
        ) as conn,
    ):
        yield Broker(conn, proxy, prefix)


def test_acking_after_the_connection_was_cut_is_a_connection_error(broker: Broker) -> None:
    # Given a message taken, not yet acknowledged, when the connection to Redis is cut and
    # the transport lets go of the channel (as a worker's does on a lost connection)
    queue = broker.queue("steps")
    broker.put(queue, {"article": 1})
    channel = broker.connection.channel()
    message = queue(channel).get(no_ack=False)
    assert message is not None
    broker.proxy.cut()
    broker.connection.transport.close_channel(channel)
    channel._disconnect_pools()
    broker.proxy.restore()

    # When Redis is back and the task that held it acknowledges it on the old channel
    with pytest.raises(ChannelGone) as raised:
        message.ack()

    # Then the error is one the worker treats as a lost broker, and reconnects after
    assert isinstance(raised.value, broker.connection.connection_errors)
    # and the old channel still closes quietly, twice as a shutdown after a cut can
    channel.close()
    channel.close()
    assert channel.closed


def test_closing_a_channel_holding_messages_puts_them_back(broker: Broker) -> None:
    # Given a message taken and not acknowledged
    queue = broker.queue("held")
    broker.put(queue, {"article": 2})
    channel = broker.connection.channel()
    assert queue(channel).get(no_ack=False) is not None

    # When its channel closes, twice, as a cut and then a shutdown can
    channel.close()
    channel.close()

    # Then the message is back on its queue for the next consumer
    again = queue(broker.connection.channel()).get(no_ack=True)
    assert again is not None and again.payload == {"article": 2}
