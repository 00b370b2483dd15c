"""The runtime's background triggers in-process: object events from writes and from files
dropped by hand, the queue worker, and schedules (the HTTP server is tested as a process)."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from polyfn import App, Message, ObjectEvent, Schedule
from polyfn.adapters.local.entry import LocalRuntime, RuntimeOptions


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the runtime")
        time.sleep(0.02)


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: list[tuple[str, ...]] = []

    def add(self, *entry: str) -> None:
        with self.lock:
            self.seen.append(entry)

    def of(self, kind: str) -> list[tuple[str, ...]]:
        with self.lock:
            return [entry for entry in self.seen if entry[0] == kind]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def test_app(recorder: Recorder) -> App:
    app = App("background")
    photos = app.bucket("photos")
    jobs = app.queue("jobs", max_receives=3, visibility_timeout=30)

    @app.on_object_created(photos, prefix="in/", suffix=".jpg")
    def on_photo(event: ObjectEvent) -> None:
        recorder.add("created", event.bucket, event.key, str(event.size), str(event.etag))
        # A handler writing to its own bucket (outside its filter) fires no loop.
        photos.write("out/" + event.key.removeprefix("in/"), b"thumb")

    @app.on_object_deleted(photos)
    def on_gone(event: ObjectEvent) -> None:
        recorder.add("deleted", event.bucket, event.key)

    @app.on_message(jobs, batch_size=4)
    def work(message: Message) -> None:
        body = message.json()
        recorder.add("message", str(body["n"]), str(message.receive_count))
        if body.get("fail"):
            raise RuntimeError("always fails")

    @app.schedule("0 0 1 1 *")
    def yearly(tick: Schedule) -> None:
        recorder.add("tick", tick.name, tick.time)

    return app


@pytest.fixture
def runtime(test_app: App, data_dir: Path) -> Iterator[LocalRuntime]:
    log = io.StringIO()
    started = LocalRuntime(
        test_app,
        RuntimeOptions(
            data_dir=data_dir,
            visibility_timeout=0.2,
            watch_interval=0.05,
            serve_http=False,
            fire=["yearly"],
        ),
        log=log,
    )
    started.log = log  # type: ignore[attr-defined]
    started.start()
    yield started
    started.stop()


def log_lines(runtime: LocalRuntime) -> list[dict[str, object]]:
    text: str = runtime.log.getvalue()  # type: ignore[attr-defined]
    return [json.loads(line) for line in text.splitlines()]


def test_a_write_through_the_bucket_fires_once(
    runtime: LocalRuntime, test_app: App, recorder: Recorder
) -> None:
    photos = test_app.bucket("photos")
    info = photos.write("in/cat.jpg", b"meow", "image/jpeg")
    photos.write("in/notes.txt", b"filtered out")
    wait_for(lambda: photos.exists("out/cat.jpg"))
    time.sleep(0.3)  # several watcher polls: none may fire the write again
    assert recorder.of("created") == [("created", "photos", "in/cat.jpg", "4", str(info.etag))]
    lines = [line for line in log_lines(runtime) if line["trigger"] == "object"]
    assert [(line["function"], line["key"], line["outcome"]) for line in lines] == [
        ("on_photo", "in/cat.jpg", "ok")
    ]


def test_files_dropped_and_removed_by_hand_fire(
    runtime: LocalRuntime, test_app: App, recorder: Recorder
) -> None:
    folder = runtime.backends.bucket_dir("photos")
    (folder / "in" / "sub").mkdir(parents=True)
    (folder / "in" / "sub" / "my photo+1.jpg").write_bytes(b"12345")
    wait_for(lambda: len(recorder.of("created")) == 1)
    created = recorder.of("created")[0]
    assert created[:4] == ("created", "photos", "in/sub/my photo+1.jpg", "5")
    (folder / "in" / "sub" / "my photo+1.jpg").unlink()
    wait_for(lambda: ("deleted", "photos", "in/sub/my photo+1.jpg") in recorder.of("deleted"))
    time.sleep(0.2)
    assert len(recorder.of("created")) == 1


def test_deleting_through_the_bucket_fires_once(
    runtime: LocalRuntime, test_app: App, recorder: Recorder
) -> None:
    photos = test_app.bucket("photos")
    photos.write("misc.bin", b"x")
    photos.delete("misc.bin")
    photos.delete("misc.bin")  # nothing there any more: no second event
    wait_for(lambda: len(recorder.of("deleted")) == 1)
    time.sleep(0.2)
    assert recorder.of("deleted") == [("deleted", "photos", "misc.bin")]


def test_messages_succeed_once_and_the_poison_one_is_dead_lettered(
    runtime: LocalRuntime, test_app: App, recorder: Recorder
) -> None:
    jobs = test_app.queue("jobs")
    jobs.send_batch([{"n": n, "fail": n == 6} for n in range(10)])
    wait_for(lambda: len(runtime.backends.dead_letters(jobs)) == 1)
    handled = recorder.of("message")
    assert sorted(int(n) for _, n, _ in handled if n != "6") == [0, 1, 2, 3, 4, 5, 7, 8, 9]
    assert [count for _, n, count in handled if n == "6"] == ["1", "2", "3"]
    (letter,) = runtime.backends.dead_letters(jobs)
    assert json.loads(letter.body) == {"n": 6, "fail": True}
    assert letter.receive_count == 3
    batches = [line for line in log_lines(runtime) if line["trigger"] == "message"]
    assert all(int(str(line["messages"])) <= 4 for line in batches)
    assert sum(int(str(line["failed"])) for line in batches) == 3


def test_fire_runs_the_schedule_at_start(runtime: LocalRuntime, recorder: Recorder) -> None:
    wait_for(lambda: len(recorder.of("tick")) == 1)
    _, name, when = recorder.of("tick")[0]
    assert name == "yearly"
    assert when.endswith("Z")
    assert runtime.scheduler.next_times["yearly"].month == 1


def test_many_quick_writes_each_fire_exactly_once(
    runtime: LocalRuntime, test_app: App, recorder: Recorder
) -> None:
    photos = test_app.bucket("photos")
    keys = [f"in/burst-{i:02d}.jpg" for i in range(40)]
    for key in keys:
        photos.write(key, key.encode())
    photos.write(keys[0], b"overwritten")  # an overwrite is a new "created", as on S3
    wait_for(lambda: len(recorder.of("created")) == 41, timeout=10)
    time.sleep(0.3)
    fired = [entry[2] for entry in recorder.of("created")]
    assert sorted(fired) == sorted([*keys, keys[0]])


def test_a_failing_object_handler_is_retried_twice(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from polyfn.adapters.local import events

    monkeypatch.setattr(events, "RETRY_DELAYS_SECONDS", (0.05, 0.05))
    app = App("retries")
    uploads = app.bucket("uploads")
    attempts: list[str] = []

    @app.on_object_created(uploads)
    def flaky(event: ObjectEvent) -> None:
        attempts.append(event.key)
        if event.key == "always-fails" or len(attempts) < 3:
            raise RuntimeError("not yet")

    log = io.StringIO()
    runtime = LocalRuntime(app, RuntimeOptions(data_dir=data_dir, serve_http=False), log=log)
    runtime.start()
    try:
        uploads.write("third-time-lucky", b"x")
        wait_for(lambda: len(attempts) == 3)
        uploads.write("always-fails", b"x")
        wait_for(lambda: len(attempts) == 6)
        time.sleep(0.2)
        assert len(attempts) == 6  # three attempts each, then dropped
    finally:
        runtime.stop()
    outcomes = [json.loads(line)["outcome"] for line in log.getvalue().splitlines()]
    assert outcomes == ["error", "error", "ok", "error", "error", "error"]
