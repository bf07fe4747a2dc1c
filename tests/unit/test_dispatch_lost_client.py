"""A send through a pooled connection that lost its client (kombu's Redis transport, cut off
mid-send) is the broker being away: a clear error, and the pool dropped so the next send
connects afresh instead of failing the same way for ever."""

from __future__ import annotations

from typing import Any

import pytest
from celery import Celery

from config.settings import Settings
from pipeline.domain.errors import BrokerUnavailable
from pipeline.domain.states import Step
from tasks.dispatch import Dispatcher


class ClientLostOnce(Celery):  # type: ignore[misc]
    """An in-memory broker whose first send fails as kombu's Redis transport does."""

    lost = True

    def send_task(self, *args: Any, **kwargs: Any) -> Any:
        if self.lost:
            self.lost = False
            raise AttributeError("'NoneType' object has no attribute 'client'")
        return super().send_task(*args, **kwargs)


@pytest.fixture
def app() -> ClientLostOnce:
    return ClientLostOnce("dispatch-test", broker="memory://", set_as_current=False)


@pytest.mark.parametrize(
    "send",
    [
        lambda d: d.send(Step.VALIDATE, 1, 1),
        lambda d: d.send_rebuild(0),
        lambda d: d.send_fetch(1, "hespress"),
        lambda d: d.send_job(1, "sweeper"),
    ],
    ids=["step", "rebuild", "fetch", "job"],
)
def test_a_lost_client_is_the_broker_away_and_the_pool_is_dropped(
    app: ClientLostOnce, send: Any
) -> None:
    dispatcher = Dispatcher(app, Settings())
    pooled = app.pool.acquire()
    pooled.release()
    assert app.pool.acquire() is pooled  # a pool hands back the connection last released
    pooled.release()
    with pytest.raises(BrokerUnavailable, match="AttributeError"):
        send(dispatcher)
    fresh = app.pool.acquire()
    assert fresh is not pooled
    fresh.release()
    send(dispatcher)  # and the next send goes through
