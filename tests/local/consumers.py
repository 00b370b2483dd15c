"""A queue consumer run in separate processes by the concurrency test (importable by name,
so that ``multiprocessing``'s spawn can start it)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from polyfn import App
from polyfn.adapters.local.backends import LocalBackends


def drain(data_dir: str, queue_name: str, out_path: str, start: Any) -> None:
    """Receive until the queue stays empty, acknowledging each message; write the ids."""
    app = App("testapp")
    queue = app.queue(queue_name)
    backends = LocalBackends(Path(data_dir), app.name)
    backend = backends.queue(queue)
    # Every consumer is ready before any receives, so they collide as much as they can
    # however slowly each process imported polyfn.
    start.wait(60)
    received: list[str] = []
    empty_polls = 0
    while empty_polls < 5:
        batch = backend.receive(3, visibility_timeout=600)
        if not batch:
            empty_polls += 1
            time.sleep(0.01)
            continue
        empty_polls = 0
        received.extend(d.id for d in batch)
        backend.ack(batch)
        # Stand-in for a handler's work: without it one consumer can take the write lock
        # back-to-back while the others sit in SQLite's busy back-off, never colliding.
        time.sleep(0.002)
    Path(out_path).write_text("\n".join(received))
    backends.close()
