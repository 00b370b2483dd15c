"""Framing one local invocation: its Context, and the JSON line it leaves on stderr.

Every invocation the local runtime makes (an HTTP request, a batch of messages, an object
event, a schedule tick) is logged as one line, so a developer can follow what ran::

    {"time": "...", "function": "thumbnail", "trigger": "object", "duration_ms": 12.4,
     "outcome": "ok", "request_id": "...", "key": "uploads/cat.jpg"}

``outcome`` is ``error`` when the handler raised, when any message of a batch failed, or
when an HTTP answer is a 5xx. The deadline in ``Context`` is the function's ``timeout``
(else ``POLYFN_TIMEOUT_SECONDS``, else 60 s, a common cloud default) but is not enforced:
a handler that runs over is marked ``"over_timeout": true`` instead of being killed, so a
debugger can pause it. ``ctx.cold_start`` is the process's one flag
(``adapters.common.coldstart``), as on every cloud: the first invocation ``polyfn run``
serves, whatever its trigger, is the cold one.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TextIO

from polyfn.adapters.common.coldstart import take_cold_start
from polyfn.adapters.common.environment import timeout_seconds
from polyfn.adapters.local.metrics import install as install_metrics
from polyfn.core import defaults
from polyfn.core.app import App
from polyfn.core.context import Context, install_log_fields

__all__ = ["DEFAULT_TIMEOUT_SECONDS", "Invocations"]

DEFAULT_TIMEOUT_SECONDS = defaults.DEFAULT_TIMEOUT_SECONDS  # the same on every runtime
CLOUD = "local"


class Invocations:
    """Makes Contexts and logs invocations."""

    def __init__(self, stream: TextIO | None = None, *, log: bool = True) -> None:
        self._stream = stream
        self._log = log
        self._lock = threading.Lock()
        # Read once, as every adapter reads it when its entry point is built.
        self._default_timeout = timeout_seconds(DEFAULT_TIMEOUT_SECONDS)
        install_metrics()
        install_log_fields()

    def timeout_of(self, app: App, function: str | None) -> float:
        # Locally one process runs every function, so a function's own timeout comes first.
        fn = app.functions.get(function) if function else None
        if fn is not None and fn.options.timeout:
            return fn.options.timeout
        return self._default_timeout

    def context(self, app: App, function: str, request_id: str | None = None) -> Context:
        return Context(
            CLOUD,
            function,
            request_id or uuid.uuid4().hex,
            deadline=time.time() + self.timeout_of(app, function),
            cold_start=take_cold_start(),
        )

    @contextmanager
    def record(
        self, app: App, trigger: str, ctx: Context, **fields: Any
    ) -> Iterator[dict[str, Any]]:
        """Time the block and log it; the block may add fields or set ``outcome``.

        An exception marks the invocation ``error`` and propagates.
        """
        entry: dict[str, Any] = {"outcome": "ok", **fields}
        started = time.perf_counter()
        try:
            yield entry
        except BaseException:
            entry["outcome"] = "error"
            raise
        finally:
            self.log(app, trigger, ctx.function_name, ctx.request_id, started, entry)

    def log(
        self,
        app: App,
        trigger: str,
        function: str | None,
        request_id: str,
        started: float,
        fields: dict[str, Any],
    ) -> None:
        if not self._log:
            return
        duration_ms = (time.perf_counter() - started) * 1000
        line: dict[str, Any] = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "function": function,
            "trigger": trigger,
            "duration_ms": round(duration_ms, 2),
            "outcome": fields.pop("outcome", "ok"),
            "request_id": request_id,
        }
        line.update(fields)
        if duration_ms > self.timeout_of(app, function) * 1000:
            line["over_timeout"] = True
        text = json.dumps(line, ensure_ascii=False, default=str)
        stream = self._stream or sys.stderr
        with self._lock:
            stream.write(text + "\n")
            stream.flush()
