"""The local change feed: the SQLite table logs each write in the write's own
transaction, and the worker delivers the log to the on_change function at least once,
retrying a failing change and then recording it as failed; ``polyfn run`` killed with
SIGKILL mid-batch loses no change (issue 18, item 4)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from polyfn import App, Change, If
from polyfn.adapters.local.backends import LocalBackends
from polyfn.adapters.local.backends.change_log import ChangeLog
from polyfn.adapters.local.change_worker import ChangeWorker
from polyfn.adapters.local.invocations import Invocations
from polyfn.core.errors import ConditionFailed
from polyfn.loading import load_app

from .processes import RunningApp, wait_for

FEED_APP = Path(__file__).resolve().parent / "apps" / "feedapp.py"


class Feed:
    def __init__(self, data_dir: Path, start: str = "oldest", retries: int = 2) -> None:
        self.app = App("feeds")
        self.notes = self.app.table("notes")
        self.seen: list[Change] = []

        @self.app.on_change(self.notes, batch_size=3, start=start, retries=retries)  # type: ignore[arg-type]
        def note_changed(change: Change) -> None:
            if (change.item or {}).get("fail"):
                raise ValueError("refused")
            self.seen.append(change)

        self.backends = LocalBackends(data_dir, "feeds")
        self.app.bind(self.backends)
        fn = self.app.functions["note_changed"]
        physical = self.backends.table(self.notes).ref.physical
        self.log = ChangeLog(self.backends.store, physical, "feeds.note_changed")
        self.worker = ChangeWorker(self.app, fn, self.log, Invocations(None))

    def drain(self) -> list[list[str]]:
        batches = []
        while True:
            batch = self.worker.process_batch()
            if not batch.received:
                return batches
            batches.append(batch.received)
            if batch.not_done:
                return batches


@pytest.fixture
def feed(tmp_path: Path) -> Iterator[Feed]:
    made = Feed(tmp_path / "data")
    yield made
    made.backends.close()


def test_every_kind_of_write_is_logged_and_delivered_in_order(feed: Feed) -> None:
    notes = feed.notes
    notes.put({"id": "a", "n": 1})
    notes.update("a", {"n": 2})
    assert notes.put_if_absent({"id": "a", "n": 9}) is False  # nothing written, nothing logged
    assert notes.put_if_absent({"id": "b", "n": 1}) is True
    notes.batch_write(puts=[{"id": "c"}], deletes=["b"])
    notes.delete("a")
    notes.delete("never-there")  # nothing removed, nothing logged
    batches = feed.drain()
    assert [len(b) for b in batches] == [3, 3]  # batch_size=3
    assert [(c.kind, c.keys, c.table) for c in feed.seen] == [
        ("insert", {"id": "a"}, "notes"),
        ("modify", {"id": "a"}, "notes"),
        ("insert", {"id": "b"}, "notes"),
        ("insert", {"id": "c"}, "notes"),
        ("remove", {"id": "b"}, "notes"),
        ("remove", {"id": "a"}, "notes"),
    ]
    first, modified = feed.seen[0], feed.seen[1]
    assert (first.new, first.old) == ({"id": "a", "n": 1}, None)
    assert (modified.new, modified.old) == ({"id": "a", "n": 2}, {"id": "a", "n": 1})
    assert feed.seen[-1].new is None and feed.seen[-1].old == {"id": "a", "n": 2}
    assert feed.drain() == []  # acknowledged: never delivered again


def test_a_refused_conditional_write_logs_no_change(feed: Feed) -> None:
    feed.notes.put({"id": "a", "version": 1})
    with pytest.raises(ConditionFailed):
        feed.notes.put({"id": "a", "version": 3}, condition=If.equals("version", 2))
    feed.drain()
    assert [(c.kind, c.new) for c in feed.seen] == [("insert", {"id": "a", "version": 1})]


def test_a_failing_change_is_retried_then_recorded_and_passed(feed: Feed) -> None:
    feed.notes.put({"id": "a"})
    feed.notes.put({"id": "b", "fail": True})
    feed.notes.put({"id": "c"})
    feed.drain()
    assert [c.keys["id"] for c in feed.seen] == ["a"]
    # The first failure came with the drain; the retry waits for its pause (cut short
    # here), fails again, and the third failure (retries=2) is recorded.
    assert feed.log.pending(3) == []
    _retry_now(feed)
    batch = feed.worker.process_batch()
    assert batch.not_done[0] == batch.received[0]
    assert batch.recorded_failed == []
    _retry_now(feed)
    batch = feed.worker.process_batch()
    assert batch.recorded_failed == [batch.received[0]]  # retries=2: the third failure
    (failure,) = feed.log.failures()
    assert (failure.kind, failure.attempts) == ("insert", 3)
    feed.drain()
    assert [c.keys["id"] for c in feed.seen] == ["a", "c"]  # nothing after it is lost


def test_a_new_reader_starting_at_latest_skips_what_was_logged_before(tmp_path: Path) -> None:
    early = Feed(tmp_path / "data", start="latest")
    try:
        early.notes.put({"id": "before"})
        early.drain()  # the first read fixes the reader's start: after "before"
        early.notes.put({"id": "after"})
        early.drain()
        assert [c.keys["id"] for c in early.seen] == ["after"]
    finally:
        early.backends.close()


def _retry_now(feed: Feed) -> None:
    with feed.backends.store.write() as conn:
        conn.execute("UPDATE change_readers SET retry_at = 0")


def _ledger(data_dir: Path) -> tuple[Any, LocalBackends]:
    app = load_app(str(FEED_APP))
    backends = LocalBackends(data_dir, "feedapp")
    app.bind(backends)
    return app, backends


def _seen_keys(app: Any) -> list[str]:
    return [item["key"] for item in app.tables["seen"].scan(limit=1000)]


def test_sigkill_mid_batch_loses_no_change(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    app, backends = _ledger(data_dir)
    try:
        # Written before the runtime starts: start="oldest" reads them all.
        app.tables["ledger"].batch_write(
            puts=[{"id": f"e{n:02d}", "sleep": 0.15} for n in range(10)]
        )
        first = RunningApp(data_dir, tmp_path / "logs", app=FEED_APP)
        try:
            wait_for(lambda: len(_seen_keys(app)) >= 2, what="the first changes")
            first.kill()  # SIGKILL: the batch in hand is never acknowledged
            assert len(set(_seen_keys(app))) < 10
        finally:
            first.kill()
        second = RunningApp(data_dir, tmp_path / "logs", app=FEED_APP)
        try:
            expected = {f"e{n:02d}" for n in range(10)}
            wait_for(lambda: set(_seen_keys(app)) == expected, timeout=20, what="every change")
            assert "ledger changes -> ledger_changed" in "\n".join(second.stdout_lines)
        finally:
            assert second.terminate() == 0
        # At least once: a change of the killed batch may have run twice, none ran never.
        assert len(_seen_keys(app)) >= 10
    finally:
        backends.close()


def test_dlq_list_shows_the_changes_given_up_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from polyfn.adapters.local.backends.change_log import reader_name
    from polyfn.cli import main

    data_dir = tmp_path / "data"
    app, backends = _ledger(data_dir)
    try:
        app.tables["ledger"].put({"id": "bad", "fail": True})
        fn = app.functions["ledger_changed"]
        physical = backends.table(app.tables["ledger"]).ref.physical
        log = ChangeLog(backends.store, physical, reader_name(app.name, fn.name))
        worker = ChangeWorker(app, fn, log, Invocations(None))
        for _ in range(3):  # retries=2: the third failure is recorded
            with backends.store.write() as conn:
                conn.execute("UPDATE change_readers SET retry_at = 0")
            worker.process_batch()
    finally:
        backends.close()
    capsys.readouterr()
    assert main(["dlq", "list", str(FEED_APP), "--data-dir", str(data_dir), "--json"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line) == {
        "table": "ledger",
        "function": "ledger_changed",
        "change": 1,
        "kind": "insert",
        "attempts": 3,
    }


def test_redrive_hands_a_recorded_failure_back_to_its_function_alone(tmp_path: Path) -> None:
    app = App("feeds")
    notes = app.table("notes")
    healthy = [False]
    seen: dict[str, list[Change]] = {"picky": [], "other": []}

    @app.on_change(notes, batch_size=3, start="oldest", retries=0)  # type: ignore[arg-type]
    def picky(change: Change) -> None:
        if (change.item or {}).get("fail") and not healthy[0]:
            raise ValueError("refused")
        seen["picky"].append(change)

    @app.on_change(notes, batch_size=3, start="oldest")  # type: ignore[arg-type]
    def other(change: Change) -> None:
        seen["other"].append(change)

    backends = LocalBackends(tmp_path / "data", "feeds")
    app.bind(backends)
    try:
        physical = backends.table(notes).ref.physical
        logs = {name: ChangeLog(backends.store, physical, f"feeds.{name}") for name in seen}
        workers = {
            name: ChangeWorker(app, app.functions[name], logs[name], Invocations(None))
            for name in seen
        }

        def drain(name: str) -> None:
            while workers[name].process_batch().received:
                pass

        notes.put({"id": "a", "fail": True})
        notes.put({"id": "b"})
        drain("picky")  # retries=0: "a" is recorded at once and passed
        drain("other")
        assert [c.keys["id"] for c in seen["picky"]] == ["b"]
        (failure,) = logs["picky"].failures()
        original = seen["other"][0]
        assert logs["picky"].redrive([99]) == []  # not a recorded failure: nothing moves
        healthy[0] = True
        assert logs["picky"].redrive() == [failure.change_seq]
        assert logs["picky"].failures() == [] and logs["picky"].redrive() == []
        drain("picky")
        drain("other")
        again = seen["picky"][-1]
        assert (again.kind, again.keys, again.new, again.old) == (
            "insert",
            {"id": "a"},
            {"id": "a", "fail": True},
            None,
        )
        assert again.time == original.time  # the write's time, not the redrive's
        assert int(again.id) > int(seen["picky"][0].id)  # logged anew, after what was there
        assert [c.keys["id"] for c in seen["other"]] == ["a", "b"]  # not delivered twice
    finally:
        backends.close()


def test_dlq_redrive_puts_recorded_changes_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from polyfn.adapters.local.backends.change_log import reader_name
    from polyfn.cli import main

    data_dir = tmp_path / "data"
    app, backends = _ledger(data_dir)
    fn = app.functions["ledger_changed"]
    physical = backends.table(app.tables["ledger"]).ref.physical
    log = ChangeLog(backends.store, physical, reader_name(app.name, fn.name))
    try:
        app.tables["ledger"].put({"id": "bad", "fail": True})
        worker = ChangeWorker(app, fn, log, Invocations(None))
        for _ in range(3):  # retries=2: the third failure is recorded
            with backends.store.write() as conn:
                conn.execute("UPDATE change_readers SET retry_at = 0")
            worker.process_batch()
        assert [f.change_seq for f in log.failures()] == [1]
        capsys.readouterr()
        args = ["dlq", "redrive", str(FEED_APP), "--data-dir", str(data_dir)]
        assert main([*args, "--change", "7"]) == 2
        assert "no recorded change failure with change number 7" in capsys.readouterr().err
        assert main([*args, "--change", "1"]) == 0
        out = capsys.readouterr().out.splitlines()
        assert out == [
            "ledger changes -> ledger_changed: change 1 redriven",
            "1 change(s) back to their on_change function",
        ]
        assert log.failures() == []
        (pending,) = log.pending(10)
        assert (pending.kind, pending.seq) == ("insert", 2)
        assert main(args) == 0  # nothing left: zero of each
        assert capsys.readouterr().out.splitlines() == [
            "0 message(s) back in their queue",
            "0 change(s) back to their on_change function",
        ]
    finally:
        backends.close()


def test_a_change_log_of_an_older_release_gains_its_reader_column(tmp_path: Path) -> None:
    import sqlite3

    from polyfn.adapters.local.backends.store import Store

    path = tmp_path / "state.sqlite3"
    with sqlite3.connect(path) as conn:  # table_changes as releases before redrive made it
        conn.execute(
            "CREATE TABLE table_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT "
            "NOT NULL, kind TEXT NOT NULL, new TEXT, old TEXT, at REAL NOT NULL)"
        )
        conn.execute(
            "INSERT INTO table_changes (tbl, kind, new, old, at) VALUES ('t', 'insert', "
            '\'={"id":"a"}\', NULL, 1.0)'
        )
    store = Store(path)
    try:
        log = ChangeLog(store, "t", "app.fn")
        log.open("oldest")
        (logged,) = log.pending(10)
        assert (logged.seq, logged.kind, logged.new) == (1, "insert", '={"id":"a"}')
    finally:
        store.close()
