"""Local queue throughput, end to end, for ``polyfn bench-local --queue``.

The messages are sent from this process into the SQLite queue of the data directory a
running ``polyfn run`` serves, exactly as a script or another process would send them;
the runtime's queue worker receives them in batches of the consumer's ``batch_size``,
runs the handler and acknowledges them. The clock runs from the first send until the
queue holds nothing visible, in flight or delayed: messages per second through the
whole path (send, poll, receive, handle, acknowledge).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polyfn.cli.errors import UsageError
from polyfn.core.app import App
from polyfn.core.functions import MessageTrigger

__all__ = ["QueueResult", "measure_queue"]

_POLL_SECONDS = 0.005
_SEND_CHUNK = 500  # messages per send_batch call (the backend splits them further)


@dataclass
class QueueResult:
    queue: str
    batch_size: int
    messages: int
    elapsed: float
    dead_lettered: int
    left: int  # still queued when the time budget ran out

    @property
    def messages_per_second(self) -> float:
        done = self.messages - self.left
        return done / self.elapsed if self.elapsed > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "queue": self.queue,
            "batch_size": self.batch_size,
            "messages": self.messages,
            "elapsed_s": round(self.elapsed, 3),
            "messages_per_s": round(self.messages_per_second, 1),
            "dead_lettered": self.dead_lettered,
            "left": self.left,
        }


def consumer_batch_size(app: App, queue: str) -> int:
    """The batch size of ``queue``'s consumer; a queue nobody consumes is a usage error."""
    resource = app.queues.get(queue)
    if resource is None:
        known = ", ".join(sorted(app.queues)) or "none"
        raise UsageError(f"app {app.name} has no queue {queue!r} (known: {known})")
    for fn in app.functions.values():
        if isinstance(fn.trigger, MessageTrigger) and fn.trigger.queue is resource:
            return fn.trigger.batch_size
    raise UsageError(f"queue {queue!r} has no on_message consumer in app {app.name}")


def measure_queue(
    app: App, queue: str, data_dir: Path, *, messages: int, body: bytes, duration: float
) -> QueueResult:
    """Send ``messages`` copies of ``body`` to ``queue`` in ``data_dir`` and time until the
    running runtime has consumed them all (or ``duration`` seconds have passed)."""
    from polyfn.adapters.local.backends import LocalBackends

    batch_size = consumer_batch_size(app, queue)
    backends = LocalBackends(data_dir, app.name)
    try:
        backend = backends.queue(app.queues[queue])
        before = backend.depth().dead
        started = time.perf_counter()
        remaining = messages
        while remaining > 0:
            chunk = min(_SEND_CHUNK, remaining)
            backend.send_batch([body] * chunk, {}, 0)
            remaining -= chunk
        deadline = time.monotonic() + duration
        while True:
            depth = backend.depth()
            left = depth.visible + depth.in_flight + depth.delayed
            if left == 0 or time.monotonic() >= deadline:
                break
            time.sleep(_POLL_SECONDS)
        elapsed = time.perf_counter() - started
        return QueueResult(
            queue=queue,
            batch_size=batch_size,
            messages=messages,
            elapsed=elapsed,
            dead_lettered=depth.dead - before,
            left=left,
        )
    finally:
        backends.close()
