"""A TCP proxy in the test process: a service that can vanish on cue for the processes behind it.

`cut()` closes every open connection and stops listening, so a client's next connect is
refused at once, as when the server process has died; `restore()` listens again on the same port.
"""

from __future__ import annotations

import selectors
import socket
import threading
import time
from contextlib import suppress
from urllib.parse import urlsplit, urlunsplit


class TcpProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.connections = 0
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="fault-proxy", daemon=True)

    def __enter__(self) -> TcpProxy:
        self._listen()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stopped.set()
        self.cut()
        self._thread.join(timeout=5)

    def route(self, url: str) -> str:
        """`url` with its host and port replaced by this proxy's."""
        parts = urlsplit(url)
        credentials = parts.netloc.rpartition("@")[0]
        netloc = f"{credentials}@" if credentials else ""
        return urlunsplit(parts._replace(netloc=f"{netloc}127.0.0.1:{self.port}"))

    def cut(self) -> int:
        """Close every connection and refuse new ones until `restore()`; returns how many died."""
        with self._lock:
            listener, self._listener = self._listener, None
            victims, self._open = self._open, set()
        if listener is not None:
            listener.close()
        for sock in victims:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes the pump blocked on it
            sock.close()
        return len(victims) // 2

    def restore(self) -> None:
        if self._listener is None and not self._stopped.is_set():
            self._listen()

    def outage(self, seconds: float) -> int:
        """The service is down for `seconds`: the fault's own duration, not a wait for work."""
        killed = self.cut()
        time.sleep(seconds)
        self.restore()
        return killed

    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        listener.setblocking(False)
        self.port = listener.getsockname()[1]
        with self._lock:
            self._listener = listener

    def _serve(self) -> None:
        while not self._stopped.is_set():
            listener = self._listener
            if listener is None:
                time.sleep(0.05)
                continue
            try:
                with selectors.DefaultSelector() as selector:
                    selector.register(listener, selectors.EVENT_READ)
                    if not selector.select(timeout=0.1):
                        continue
                client, _ = listener.accept()
            except (OSError, ValueError):  # closed by cut() meanwhile
                continue
            self._pair(client)

    def _pair(self, client: socket.socket) -> None:
        client.setblocking(True)
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        with self._lock:
            if self._listener is None:  # cut while this one was connecting
                client.close()
                upstream.close()
                return
            self._open.update((client, upstream))
            self.connections += 1
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open.discard(source)
                self._open.discard(sink)
            for sock in (source, sink):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
