"""The local driver: runs an App through the local runtime's own in-process paths.

HTTP goes through the WSGI app ``polyfn run`` serves (functions-framework + the Google
Cloud translation, with ``cloud="local"``) via werkzeug's test client; messages are sent
to a queue in a throwaway data directory and processed by the runtime's queue worker;
object events go through the dispatch the folder watcher uses; schedules fire as the
scheduler fires them. See ``polyfn.adapters.local.invoke``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from polyfn.adapters.local import invoke
from polyfn.core.app import App
from polyfn.core.datastructures import Headers
from polyfn.core.errors import ConfigError
from polyfn.testing.drivers.base import Driver, HttpResult

__all__ = ["DRIVERS", "LocalDriver"]


class LocalDriver:
    """``Driver`` for the local runtime; see the module docstring."""

    name = "local"
    cloud = "local"

    def http(
        self,
        app: App,
        method: str,
        path: str,
        *,
        query: Mapping[str, Sequence[str]] | None = None,
        headers: Sequence[tuple[str, str]] | None = None,
        body: bytes | None = None,
    ) -> HttpResult:
        response = invoke.invoke_http(app, method, path, query=query, headers=headers, body=body)
        read_back = Headers()
        for name, value in response.headers.items():
            read_back.add(name, value)
        return HttpResult(response.status_code, read_back, response.get_data(), response)

    def messages(
        self,
        app: App,
        queue: str,
        bodies: Sequence[bytes],
        *,
        attributes: Mapping[str, str] | None = None,
    ) -> list[int]:
        return invoke.invoke_messages(app, queue, bodies, attributes=attributes)

    def object_event(
        self,
        app: App,
        action: str,
        bucket: str,
        key: str,
        *,
        size: int = 0,
        content_type: str | None = None,
    ) -> None:
        if action not in ("created", "deleted"):
            raise ValueError(f"an object event is 'created' or 'deleted', not {action!r}")
        invoke.invoke_object(
            app,
            "created" if action == "created" else "deleted",
            bucket,
            key,
            size=size if action == "created" else None,
            content_type=content_type,
        )

    def schedule(self, app: App, function: str) -> None:
        invoke.invoke_schedule(app, function)

    def event(
        self,
        app: App,
        source: str,
        type: str,
        data: Any,
        *,
        subject: str | None = None,
    ) -> None:
        if not source or not type:
            raise ConfigError("an event needs a source and a type")
        invoke.invoke_event(app, source, type, data, subject=subject)


DRIVERS: list[Driver] = [LocalDriver()]
