"""The local change feed: a log of a table's writes in the SQLite store, and its readers.

A table read by an ``on_change`` function logs every write into ``table_changes`` in the
transaction of the write itself (``SqliteTable``), so a change is logged if and only if
its write committed, whatever kills the process. A reader (one per on_change function)
keeps its position in ``change_readers`` and moves it only after the handler returned:
a change is delivered at least once, and a crash between the handler and the move
delivers it again, as DynamoDB Streams does after a Lambda timeout.

A change that keeps failing is retried ``retries`` times (with a growing pause), then
recorded in ``change_failures`` and passed, as DynamoDB Streams' event source mapping
sends the failed record's description to its on-failure destination and goes on.
``redrive`` (``polyfn dlq redrive``) logs such a change again for its reader alone.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from polyfn.adapters.local.backends.store import Store
from polyfn.adapters.local.backends.table_codec import decode_item
from polyfn.core.changes import Change

__all__ = ["ChangeLog", "LoggedChange", "RecordedFailure", "log_change", "reader_name"]

# The pause before retrying a failed change grows with each attempt, up to this.
MAX_RETRY_PAUSE_SECONDS = 30.0


def reader_name(app: str, function: str) -> str:
    """The reader an on_change function reads the log as (its position is kept by it)."""
    return f"{app}.{function}"


def log_change(conn: Any, table: str, kind: str, new: str | None, old: str | None) -> int:
    """Log one write of ``table`` (the items' encoded texts), in the caller's transaction;
    returns the change's sequence number."""
    cursor = conn.execute(
        "INSERT INTO table_changes (tbl, kind, new, old, at) VALUES (?, ?, ?, ?, ?)",
        (table, kind, new, old, time.time()),
    )
    return int(cursor.lastrowid)


@dataclass(frozen=True)
class LoggedChange:
    seq: int
    kind: str
    new: str | None
    old: str | None
    at: float

    def to_change(self, table: str, keys: dict[str, Any]) -> Change:
        from datetime import UTC, datetime

        new = decode_item(self.new) if self.new is not None else None
        old = decode_item(self.old) if self.old is not None else None
        when = datetime.fromtimestamp(self.at, UTC).isoformat().replace("+00:00", "Z")
        return Change(
            self.kind,  # type: ignore[arg-type]
            table,
            keys,
            new=new,
            old=old,
            id=str(self.seq),
            time=when,
            raw={"seq": self.seq, "kind": self.kind},
        )


@dataclass(frozen=True)
class RecordedFailure:
    reader: str
    change_seq: int
    kind: str
    attempts: int


class ChangeLog:
    """The change log of one physical table, as one reader sees it."""

    def __init__(self, store: Store, table: str, reader: str) -> None:
        self._store = store
        self.table = table
        self.reader = reader

    def open(self, start: str) -> None:
        """Create the reader's position if it has none: before everything logged
        (``oldest``) or after it (``latest``)."""
        with self._store.write() as conn:
            if conn.execute(
                "SELECT 1 FROM change_readers WHERE reader = ?", (self.reader,)
            ).fetchone():
                return
            position = 0
            if start == "latest":
                row = conn.execute(
                    "SELECT COALESCE(MAX(seq), 0) FROM table_changes WHERE tbl = ?", (self.table,)
                ).fetchone()
                position = int(row[0])
            conn.execute(
                "INSERT INTO change_readers (reader, tbl, position) VALUES (?, ?, ?)",
                (self.reader, self.table, position),
            )

    def pending(self, limit: int, now: float | None = None) -> list[LoggedChange]:
        """The next ``limit`` changes after the reader's position; none while a retry
        waits for its pause to end."""
        now = time.time() if now is None else now
        with self._store.read() as conn:
            row = conn.execute(
                "SELECT position, retry_at FROM change_readers WHERE reader = ?", (self.reader,)
            ).fetchone()
            if row is None:
                raise LookupError(f"change reader {self.reader!r} was never opened")
            position, retry_at = int(row[0]), float(row[1])
            if retry_at > now:
                return []
            rows = conn.execute(
                "SELECT seq, kind, new, old, at FROM table_changes WHERE tbl = ? AND seq > ? "
                "AND (reader IS NULL OR reader = ?) ORDER BY seq LIMIT ?",
                (self.table, position, self.reader, limit),
            ).fetchall()
        return [LoggedChange(int(r[0]), str(r[1]), r[2], r[3], float(r[4])) for r in rows]

    def acknowledge(self, seq: int) -> None:
        """Every change up to ``seq`` ran: move past them; the next failure counts anew."""
        with self._store.write() as conn:
            conn.execute(
                "UPDATE change_readers SET position = MAX(position, ?), attempts = 0, "
                "retry_at = 0 WHERE reader = ?",
                (seq, self.reader),
            )

    def failed(self, change: LoggedChange, retries: int) -> bool:
        """The handler raised on ``change`` (the first not done): count the attempt; past
        ``retries`` record the change as failed and move past it. True when recorded."""
        with self._store.write() as conn:
            row = conn.execute(
                "SELECT attempts FROM change_readers WHERE reader = ?", (self.reader,)
            ).fetchone()
            attempts = int(row[0]) + 1 if row else 1
            if attempts <= retries:
                pause = min(MAX_RETRY_PAUSE_SECONDS, 0.5 * 2 ** (attempts - 1))
                conn.execute(
                    "UPDATE change_readers SET attempts = ?, retry_at = ? WHERE reader = ?",
                    (attempts, time.time() + pause, self.reader),
                )
                return False
            conn.execute(
                "INSERT INTO change_failures (reader, change_seq, tbl, kind, new, old, "
                "attempts, failed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    self.reader,
                    change.seq,
                    self.table,
                    change.kind,
                    change.new,
                    change.old,
                    attempts,
                    time.time(),
                ),
            )
            conn.execute(
                "UPDATE change_readers SET position = MAX(position, ?), attempts = 0, "
                "retry_at = 0 WHERE reader = ?",
                (change.seq, self.reader),
            )
            return True

    def redrive(self, change_seqs: Sequence[int] | None = None) -> list[int]:
        """Put the changes this reader gave up on (all, or those of ``change_seqs``) back
        in its log, as SQS's dead-letter redrive puts messages back: each is logged anew
        (a new sequence number, after what is logged now; its write's time kept) for this
        reader alone, so another on_change function of the table never sees it twice,
        with fresh retries. Returns the original sequence numbers of the changes moved,
        oldest failure first; one transaction, so a change is never in both or lost."""
        now = time.time()
        with self._store.write() as conn:
            rows = conn.execute(
                "SELECT seq, change_seq FROM change_failures WHERE reader = ? ORDER BY seq",
                (self.reader,),
            ).fetchall()
            wanted = None if change_seqs is None else set(change_seqs)
            chosen = [(seq, change) for seq, change in rows if wanted is None or change in wanted]
            for seq, change in chosen:
                conn.execute(
                    "INSERT INTO table_changes (tbl, kind, new, old, at, reader) "
                    "SELECT tbl, kind, new, old, "
                    "COALESCE((SELECT at FROM table_changes WHERE seq = ?), ?), reader "
                    "FROM change_failures WHERE seq = ?",
                    (change, now, seq),
                )
                conn.execute("DELETE FROM change_failures WHERE seq = ?", (seq,))
        return [int(change) for _, change in chosen]

    def failures(self) -> list[RecordedFailure]:
        """The changes this reader gave up on, oldest first."""
        with self._store.read() as conn:
            rows = conn.execute(
                "SELECT reader, change_seq, kind, attempts FROM change_failures "
                "WHERE reader = ? ORDER BY seq",
                (self.reader,),
            ).fetchall()
        return [RecordedFailure(str(r[0]), int(r[1]), str(r[2]), int(r[3])) for r in rows]
