"""The SQLite file behind an app's local queues, tables and object metadata.

One file per app (``<data dir>/<app>/state.sqlite3``) in WAL mode, so readers never wait
for a writer and several processes (``polyfn run``, a script, a test) can share it. Every
write that reads first (receive, update, put_if_absent) runs in ``BEGIN IMMEDIATE``: the
write lock is taken up front, so two processes cannot both read "visible" and both take
the same message.

Connections are pooled rather than kept per thread: the HTTP server starts a thread per
connection, and a per-thread connection would outlive nothing but leak until collected.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["Store"]

# How long a writer waits for another process's transaction before giving up. Transactions
# here are short (one receive, one put), so a wait this long means something is stuck.
BUSY_TIMEOUT_SECONDS = 30.0
_IDLE_CONNECTIONS_KEPT = 8

_SCHEMA = """
CREATE TABLE IF NOT EXISTS queue_messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    queue TEXT NOT NULL,
    body BLOB NOT NULL,
    attributes TEXT NOT NULL,
    sent_at REAL NOT NULL,
    visible_at REAL NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    receipt TEXT
);
CREATE INDEX IF NOT EXISTS queue_messages_visible ON queue_messages (queue, visible_at, seq);
CREATE TABLE IF NOT EXISTS dead_letters (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    queue TEXT NOT NULL,
    body BLOB NOT NULL,
    attributes TEXT NOT NULL,
    sent_at REAL NOT NULL,
    receive_count INTEGER NOT NULL,
    dead_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_queue ON dead_letters (queue, seq);
CREATE TABLE IF NOT EXISTS items (
    tbl TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (tbl, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS index_slots (
    tbl TEXT NOT NULL,
    idx TEXT NOT NULL,
    slot INTEGER NOT NULL,
    PRIMARY KEY (tbl, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS table_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tbl TEXT NOT NULL,
    kind TEXT NOT NULL,
    new TEXT,
    old TEXT,
    at REAL NOT NULL,
    reader TEXT
);
CREATE INDEX IF NOT EXISTS table_changes_tbl ON table_changes (tbl, seq);
CREATE TABLE IF NOT EXISTS change_readers (
    reader TEXT PRIMARY KEY,
    tbl TEXT NOT NULL,
    position INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    retry_at REAL NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS change_failures (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    reader TEXT NOT NULL,
    change_seq INTEGER NOT NULL,
    tbl TEXT NOT NULL,
    kind TEXT NOT NULL,
    new TEXT,
    old TEXT,
    attempts INTEGER NOT NULL,
    failed_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS objects (
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    etag TEXT NOT NULL,
    content_type TEXT NOT NULL,
    metadata TEXT,
    PRIMARY KEY (bucket, key)
) WITHOUT ROWID;
"""


# A table's secondary indexes live in the items rows themselves: index number n of a
# table (its slot, kept in index_slots) writes the item's index key into column i<n>, and
# a partial SQLite index on (tbl, i<n>, key) orders them. One row write maintains every
# index of the item, as a hand-written table with indexed columns would. 20 slots: the
# most indexes a polyfn table may declare (core.table_keys.MAX_INDEXES).
INDEX_SLOTS = 20


def add_slot_column(conn: sqlite3.Connection, slot: int) -> None:
    """Give the items table the column of ``slot`` when a table first takes the slot
    (inside the write transaction that assigns it). Columns come as slots are used, not
    all 20 up front: every column, even NULL, is a field of every row written, and 20 of
    them cost a tenth of a batch write's SQL (benchmarks/table_sqlite.py). Files made
    before this have all 20, which is harmless."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(items)")}
    if f"i{slot}" not in columns:
        conn.execute(f"ALTER TABLE items ADD COLUMN i{slot} TEXT")


def _add_object_metadata(conn: sqlite3.Connection) -> None:
    """Give an objects table its user-metadata column (JSON; files of older releases lack
    it): the writer's trace and hop count, as object metadata holds them on a cloud."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(objects)")}
    if "metadata" not in columns:
        conn.execute("ALTER TABLE objects ADD COLUMN metadata TEXT")


def _add_change_reader(conn: sqlite3.Connection) -> None:
    """Give a change log its ``reader`` column (files of older releases lack it): NULL for
    a write, which every reader reads; a reader's name for a change redriven to it alone
    (``ChangeLog.redrive``)."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(table_changes)")}
    if "reader" not in columns:
        conn.execute("ALTER TABLE table_changes ADD COLUMN reader TEXT")


def index_slot_sql(slot: int) -> str:
    """The partial index that orders the items in slot ``slot`` of some table's index."""
    return (
        f"CREATE INDEX IF NOT EXISTS items_i{slot} ON items (tbl, i{slot}, key) "
        f"WHERE i{slot} IS NOT NULL"
    )


class Store:
    """A pool of connections to one SQLite file, with the polyfn schema in place."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._idle: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False
        path.parent.mkdir(parents=True, exist_ok=True)
        with self.write() as conn:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            _add_object_metadata(conn)
            _add_change_reader(conn)

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: no implicit transactions; ``write`` opens them explicitly.
        conn = sqlite3.connect(
            self.path,
            timeout=BUSY_TIMEOUT_SECONDS,
            isolation_level=None,
            check_same_thread=False,  # a pooled connection moves between threads, one at a time
        )
        # WAL lets readers run beside a writer. synchronous=NORMAL is crash-safe for the
        # process (kill -9 loses nothing committed); only a power cut may lose the last
        # commits, an acceptable trade on a laptop for much faster writes.
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def _acquire(self) -> sqlite3.Connection:
        with self._lock:
            if self._closed:
                raise RuntimeError(f"the local store {self.path} is closed")
            conn = self._idle.pop() if self._idle else None
        return conn if conn is not None else self._connect()

    def _release(self, conn: sqlite3.Connection) -> None:
        with self._lock:
            keep = not self._closed and len(self._idle) < _IDLE_CONNECTIONS_KEPT
            if keep:
                self._idle.append(conn)
        if not keep:
            conn.close()

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        conn = self._acquire()
        try:
            yield conn
        finally:
            self._release(conn)

    def fetch_one(self, sql: str, parameters: tuple[object, ...]) -> tuple[object, ...] | None:
        """One row of one read: ``read()`` without the context manager's cost, for the
        point reads a handler makes most (a table's ``get``)."""
        conn = self._acquire()
        try:
            row: tuple[object, ...] | None = conn.execute(sql, parameters).fetchone()
            return row
        finally:
            self._release(conn)

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A connection for reads; each statement sees one consistent snapshot."""
        with self._connection() as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A connection inside ``BEGIN IMMEDIATE``: committed on success, rolled back on error."""
        with self._connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def journal_mode(self) -> str:
        with self.read() as conn:
            return str(conn.execute("PRAGMA journal_mode").fetchone()[0])

    def close(self) -> None:
        """Close the idle connections; connections in use close when they are returned."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
