"""One cache of SDK clients per process, keyed by what makes a client differ.

A cloud SDK client is expensive to build (credentials, connection pools) and safe to
share, and serverless platforms reward keeping it across invocations. The key holds
whatever in the environment changes the client (endpoint, region, account, emulator
host), so a test that points the process elsewhere gets a new client, not a stale one.
"""

from __future__ import annotations

import threading

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from collections.abc import Callable, Hashable
    from typing import Any

__all__ = ["ClientCache"]


class ClientCache:
    """``cache.get(key, make)``: the client built by ``make()`` for ``key``, built once."""

    __slots__ = ("_clients", "_lock")

    def __init__(self) -> None:
        self._clients: dict[Hashable, Any] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        client = self._clients.get(key)
        if client is None:
            with self._lock:  # two threads of one process never build two clients
                client = self._clients.get(key)
                if client is None:
                    client = self._clients[key] = make()
        return client

    def clear(self) -> None:
        with self._lock:
            self._clients.clear()
