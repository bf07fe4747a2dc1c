"""The faults: killed processes, a broker that stops or forgets, a database that goes away."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import redis
from celery import Celery

from tests.services import Worker, port_open, wait_until


def pool_children(worker: Worker) -> list[int]:
    """The prefork pool's living processes under a worker's main process."""
    path = Path(f"/proc/{worker.pid}/task/{worker.pid}/children")
    try:
        children = [int(pid) for pid in path.read_text().split()]
    except (FileNotFoundError, ProcessLookupError):
        return []
    return [pid for pid in children if _alive(pid)]


def _alive(pid: int) -> bool:
    """Not a zombie its parent has yet to reap: killing that one again would change nothing."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


def kill_pool_child(worker: Worker, pick: int) -> int | None:
    """SIGKILL one pool process, as the OOM killer would; the main process forks a new one."""
    children = pool_children(worker)
    if not children:
        return None
    victim = children[pick % len(children)]
    with suppress(ProcessLookupError):
        os.kill(victim, signal.SIGKILL)
    return victim


def kill_main_and_restart(worker: Worker) -> Worker:
    """SIGKILL the worker's main process, then (as a supervisor would) start it again.

    Its orphaned pool processes are killed too before the restart, as a container stop does.
    """
    with suppress(ProcessLookupError):
        os.kill(worker.pid, signal.SIGKILL)
    worker.process.wait(timeout=10)
    return worker.restarted()


def lose_waiting_messages(app: Celery) -> int:
    """Every message waiting in the deployment's queues discarded: only the sweeper can help."""
    return int(app.control.purge() or 0)


def _rabbitmqctl(*args: str) -> None:
    ctl = shutil.which("rabbitmqctl")
    assert ctl is not None, "rabbitmqctl is needed to stop and start RabbitMQ"
    subprocess.run([ctl, *args], check=True, capture_output=True, timeout=120)


@contextmanager
def rabbitmq_stopped() -> Iterator[None]:
    """RabbitMQ's application stopped for the block: connections drop, connects are refused.

    It is started again whatever happens in the block: CI and other sessions share it.
    """
    try:
        _rabbitmqctl("stop_app")
        yield
    finally:
        try:
            _rabbitmqctl("start_app")
            _rabbitmqctl("await_startup")
        finally:
            wait_until(lambda: port_open(5672), 60, "RabbitMQ to listen again")


def forget_redis_messages(url: str, prefix: str) -> int:
    """What a Redis restart without persistence loses, for this run only: its queues, bindings
    and unacknowledged messages, every one under the run's key prefix. Other runs may share the
    db number, so no FLUSHDB.

    Returns how many messages were lost.
    """
    client = redis.Redis.from_url(url)
    try:
        forgotten = 0
        for key in client.scan_iter(f"*{prefix}*"):
            kind = client.type(key)
            if kind == b"list":
                forgotten += int(client.llen(key))
            elif kind == b"hash" and key.endswith(b":unacked"):
                forgotten += int(client.hlen(key))
            client.delete(key)
        return forgotten
    finally:
        client.close()


def pause(seconds: float) -> None:
    """How long a fault lasts (a broker or database down): the fault itself, not a wait for work."""
    time.sleep(seconds)
