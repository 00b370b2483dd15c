"""``polyfn run`` as a real process on 127.0.0.1: HTTP, dropped files, queues, schedules,
and what happens when it is killed or asked to stop."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from .processes import APP_FILE, RunningApp, seen_ids, seen_table, wait_for


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def running(run_dir: Path, tmp_path: Path) -> Iterator[RunningApp]:
    app = RunningApp(run_dir, tmp_path / "logs", ["--visibility-timeout", "0.3", "--fire", "daily"])
    yield app
    app.kill()


def test_http_objects_queue_and_schedule(running: RunningApp, run_dir: Path) -> None:
    # HTTP: POST then GET, and the JSON error of a missing note.
    assert running.request("POST", "/notes", {"id": "n1", "text": "hello"}) == (
        201,
        {"id": "n1", "text": "hello"},
    )
    assert running.request("GET", "/notes/n1") == (200, {"id": "n1", "text": "hello"})
    status, body = running.request("GET", "/notes/missing")
    assert status == 404
    assert body["error"]["message"] == "no such note"

    app, backends = seen_table(run_dir)
    try:
        # --fire: the scheduled function ran at start.
        wait_for(lambda: "tick-daily" in seen_ids(app), what="the --fire tick")
        tick = app.tables["seen"].get("tick-daily")
        assert tick is not None and tick["name"] == "daily" and tick["time"].endswith("Z")

        # A file dropped into the bucket's folder by hand fires the handler.
        folder = run_dir / "runapp" / "buckets" / "drops" / "inbox"
        folder.mkdir(parents=True)
        (folder / "hello world.txt").write_bytes(b"dropped!")
        (folder / "ignored.bin").write_bytes(b"no")
        wait_for(lambda: "object-inbox/hello world.txt" in seen_ids(app), what="the drop")
        dropped = app.tables["seen"].get("object-inbox/hello world.txt")
        assert dropped == {"id": "object-inbox/hello world.txt", "size": 8, "bucket": "drops"}

        # Ten messages, one always failing: nine handled once, the tenth dead-lettered.
        jobs = app.queues["jobs"]
        jobs.send_batch([{"n": n, "fail": n == 4} for n in range(10)])
        wait_for(lambda: len(backends.dead_letters(jobs)) == 1, what="the dead letter")
        handled = [item["n"] for item in app.tables["seen"].query("msg-", limit=100)]
        assert sorted(handled) == [0, 1, 2, 3, 5, 6, 7, 8, 9]
        (letter,) = backends.dead_letters(jobs)
        assert json.loads(letter.body) == {"n": 4, "fail": True}
        assert letter.receive_count == 3
    finally:
        backends.close()

    assert running.terminate() == 0
    lines = running.invocations()
    by_trigger = {line["trigger"] for line in lines}
    assert by_trigger >= {"http", "object", "message", "schedule"}
    for line in lines:
        assert set(line) >= {"function", "trigger", "duration_ms", "outcome", "request_id"}
    gets = [line for line in lines if line["trigger"] == "http" and line["status"] == 200]
    assert gets[0]["function"] == "get_note"
    summary = "\n".join(running.stdout_lines)
    for expected in ("POST", "/notes/{id}", "drops", "jobs", "daily", "rate(1 day)"):
        assert expected in summary


def test_sigkill_mid_batch_loses_no_message(run_dir: Path, tmp_path: Path) -> None:
    first = RunningApp(run_dir, tmp_path / "logs", ["--visibility-timeout", "1"])
    app, backends = seen_table(run_dir)
    try:
        app.queues["jobs"].send_batch([{"n": n, "sleep": 0.15} for n in range(10)])
        wait_for(lambda: len(seen_ids(app, "msg-")) >= 2, what="the first messages")
        first.kill()  # SIGKILL: no chance to settle the batch in hand
        handled_before = {int(i.split("-")[1]) for i in seen_ids(app, "msg-")}
        assert len(handled_before) < 10

        second = RunningApp(run_dir, tmp_path / "logs", ["--visibility-timeout", "1"])
        try:
            wait_for(
                lambda: {int(i.split("-")[1]) for i in seen_ids(app, "msg-")} == set(range(10)),
                timeout=20,
                what="every message after the restart",
            )
            redelivered = [
                item
                for item in app.tables["seen"].query("msg-", limit=100)
                if item["receive_count"] > 1
            ]
            assert redelivered  # the killed batch came back after its visibility timeout
            assert backends.dead_letters(app.queues["jobs"]) == []
        finally:
            assert second.terminate() == 0
    finally:
        first.kill()
        backends.close()


def test_sigterm_finishes_work_in_flight(run_dir: Path, tmp_path: Path) -> None:
    running = RunningApp(run_dir, tmp_path / "logs")
    app, backends = seen_table(run_dir)
    try:
        answers: list[tuple[int, object]] = []
        slow = threading.Thread(
            target=lambda: answers.append(running.request("GET", "/slow?seconds=1.5"))
        )
        slow.start()
        app.queues["jobs"].send_batch([{"n": n, "sleep": 0.3} for n in range(5)])
        wait_for(lambda: len(seen_ids(app, "msg-")) >= 1, what="the batch to start")
        assert running.terminate() == 0
        slow.join(10)
        assert answers == [(200, {"slept": 1.5})]
        # The whole batch in hand finished and was acknowledged before the exit.
        assert sorted(item["n"] for item in app.tables["seen"].query("msg-")) == [0, 1, 2, 3, 4]
        depth = app.queues["jobs"].backend.depth()
        assert (depth.visible, depth.in_flight, depth.delayed) == (0, 0, 0)
        assert "stopping" in running.stderr_text()
    finally:
        running.kill()
        backends.close()


def _run_command(app: Path, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """``polyfn run`` to its end; the timeout only keeps a hang from blocking the suite."""
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from polyfn.cli import main; raise SystemExit(main())",
            *("run", str(app), "--port", "0", "--data-dir", str(data_dir)),
        ],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )


def test_a_failure_while_starting_is_one_line_and_a_non_zero_exit(run_dir: Path) -> None:
    # The temporary-writes folder is a file: sweeping it fails once the HTTP server, the
    # workers and the pump exist but before they all run.
    (run_dir / "runapp").mkdir(parents=True)
    (run_dir / "runapp" / "tmp").write_text("not a folder")
    done = _run_command(APP_FILE, run_dir)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert lines == [
        f"polyfn run: cannot start runapp: NotADirectoryError: [Errno 20] Not a directory: "
        f"'{run_dir / 'runapp' / 'tmp'}'"
    ]


def test_a_schedule_that_never_fires_stops_the_command_with_its_reason(
    run_dir: Path, tmp_path: Path
) -> None:
    app = tmp_path / "leap" / "app.py"
    app.parent.mkdir()
    app.write_text(
        "from polyfn import App\napp = App('leap')\n\n"
        "@app.schedule('0 0 31 2 *')\ndef never(tick):\n    pass\n"
    )
    done = _run_command(app, run_dir)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"polyfn run: {app}: schedule '0 0 31 2 *' never fires: no month in '2' has a day "
        "'31' (February has 29 days at most)"
    ]
