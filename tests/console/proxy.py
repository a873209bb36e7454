"""A sticky TCP proxy for tests: several console processes behind one address.

Every connection goes to the process the proxy is sticking to (as a proxy's ``ip_hash`` sends every
browser of one address to one backend); when that process no longer accepts connections, the proxy
moves on to the next one and sticks there. It passes bytes through untouched, websockets included.
"""

from __future__ import annotations

import contextlib
import socket
import threading

from tests.console.harness import free_port


class StickyProxy:
    def __init__(self, backends: list[int]) -> None:
        self.backends = backends
        self.current = 0
        """Index of the backend every new connection goes to."""
        self.port = free_port()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._lock = threading.Lock()
        self._closed = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def serving(self) -> int:
        """The port of the backend connections go to now."""
        return self.backends[self.current]

    def start(self) -> StickyProxy:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._listener.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _backend(self) -> socket.socket | None:
        for _ in range(len(self.backends)):
            with self._lock:
                port = self.backends[self.current]
            try:
                return socket.create_connection(("127.0.0.1", port), timeout=5)
            except OSError:
                with self._lock:  # that process is gone: stick to the next one from now on
                    if self.backends[self.current] == port:
                        self.current = (self.current + 1) % len(self.backends)
        return None

    def _serve(self, client: socket.socket) -> None:
        backend = self._backend()
        if backend is None:
            client.close()
            return
        backend.settimeout(None)
        for a, b in ((client, backend), (backend, client)):
            threading.Thread(target=_pump, args=(a, b), daemon=True).start()


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        for s in (source, target):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                s.close()
