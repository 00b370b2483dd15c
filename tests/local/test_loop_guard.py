"""polyfn run stops the thumbnail loop: a function that writes into the bucket that
triggers it, with no filter excluding its own output, runs until the hop limit and no
further (issue 17, item 4). Before the guard, the same app wrote objects until the key
grew too long."""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from polyfn import App, ObjectEvent
from polyfn.adapters.local.entry import LocalRuntime, RuntimeOptions
from polyfn.core.loop_guard import DEFAULT_MAX_HOPS


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the runtime")
        time.sleep(0.02)


def test_polyfn_run_stops_a_function_writing_into_its_own_trigger_bucket(
    data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = App("thumbnails")
    uploads = app.bucket("uploads")
    runs: list[str] = []

    @app.on_object_created(uploads)  # no filter: its own output triggers it again
    def thumbnail(event: ObjectEvent) -> None:
        runs.append(event.key)
        uploads.write("copy-" + event.key, b"smaller")

    caplog.set_level(logging.INFO)
    runtime = LocalRuntime(
        app,
        RuntimeOptions(data_dir=data_dir, watch_interval=0.05, serve_http=False),
        log=io.StringIO(),
    )
    runtime.start()
    try:
        uploads.write("cat.jpg", b"a photo")  # from outside: hop 0
        wait_for(lambda: "recursive loop stopped" in caplog.text)
        time.sleep(0.3)  # nothing runs after the stop
    finally:
        runtime.stop()
    # Hops 0..16 ran, each writing one copy; the copy written at hop 16 arrived with 17.
    assert len(runs) == DEFAULT_MAX_HOPS + 1
    assert runs[-1] == "copy-" * DEFAULT_MAX_HOPS + "cat.jpg"
    (stopped,) = [r for r in caplog.records if "recursive loop stopped" in r.getMessage()]
    assert stopped.levelno == logging.ERROR
    assert "object uploads/" + "copy-" * (DEFAULT_MAX_HOPS + 1) + "cat.jpg" in stopped.getMessage()
    assert stopped.__dict__["function"] == "thumbnail"
