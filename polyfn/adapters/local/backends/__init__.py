"""The local backends of polyfn's ports: a bucket is a folder, queues and tables are SQLite.

Layout of the data directory (``POLYFN_DATA_DIR``, default ``./.polyfn``)::

    <data dir>/<app>/state.sqlite3            queues, dead letters, tables, object metadata
    <data dir>/<app>/buckets/<bucket>/<key>   one file per object
    <data dir>/<app>/tmp/                     writes in progress (renamed into place)

The package holds one module per port (``bucket``: a folder, ``queue`` and ``table``: rows
of ``store``'s SQLite file) and their codecs (``folder_keys``, ``table_codec``,
``cursors``). This module is the provider: it imports each port where the port is first
made, so declaring resources, or binding, costs no SQLite and no port module, and no
port module ever imports the provider.

Resources are addressed by their physical names (``POLYFN_BUCKET_UPLOADS=...`` moves a
bucket to another folder), as on the clouds. Nothing needs creating up front. Every
process that opens the same data directory sees the same state, so ``polyfn run``, a
script and a test can share it.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from polyfn.adapters.common.errors import ResourceRef
from polyfn.core.errors import ConfigError

if TYPE_CHECKING:
    from polyfn.adapters.local.backends.bucket import FolderBucket
    from polyfn.adapters.local.backends.event_bus import LocalEventBus
    from polyfn.adapters.local.backends.observers import BackendObserver
    from polyfn.adapters.local.backends.queue import DeadLetter, SqliteQueue
    from polyfn.adapters.local.backends.store import Store
    from polyfn.adapters.local.backends.table import SqliteTable
    from polyfn.adapters.local.backends.workflows import LocalWorkflow
    from polyfn.core.event_bus import EventBus
    from polyfn.core.resources import Bucket, Queue, Table
    from polyfn.core.workflow import Workflow

__all__ = ["DATA_DIR_VARIABLE", "DEFAULT_DATA_DIR", "LocalBackends", "data_dir_from_env"]

DATA_DIR_VARIABLE = "POLYFN_DATA_DIR"
DEFAULT_DATA_DIR = ".polyfn"
STATE_FILE = "state.sqlite3"


def data_dir_from_env() -> Path:
    """``POLYFN_DATA_DIR`` or ``./.polyfn``, as an absolute path (so a later chdir is harmless)."""
    return Path(os.environ.get(DATA_DIR_VARIABLE) or DEFAULT_DATA_DIR).resolve()


def _folder_name(kind: str, physical: str) -> str:
    """A physical name is used as a folder or row name; refuse one that could leave the
    data directory."""
    if not physical or physical in (".", "..") or any(c in physical for c in "/\\\0"):
        raise ConfigError(f"{kind} name {physical!r} cannot be used as a local {kind} name")
    return physical


class LocalBackends:
    """Backends on this machine for every bucket, queue and table of one App."""

    cloud = "local"

    def __init__(self, data_dir: Path, app_name: str) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.app_dir = self.data_dir / _folder_name("app", app_name)
        self.app_name = app_name
        self._store: Store | None = None
        self._store_lock = threading.Lock()
        self._bucket_locks: dict[str, threading.RLock] = {}
        # A live list: backends made before an observer joined still notify it.
        self.observers: list[BackendObserver] = []

    @classmethod
    def from_env(cls, app_name: str) -> LocalBackends:
        return cls(data_dir_from_env(), app_name)

    @property
    def store(self) -> Store:
        """The app's SQLite file, opened on first use (so declaring a resource costs nothing)."""
        store = self._store
        if store is None:
            with self._store_lock:
                store = self._store
                if store is None:
                    from polyfn.adapters.local.backends.store import Store

                    store = self._store = Store(self.app_dir / STATE_FILE)
        return store

    def bucket_dir(self, physical: str) -> Path:
        return self.app_dir / "buckets" / _folder_name("bucket", physical)

    def bucket_lock(self, physical: str) -> threading.RLock:
        with self._store_lock:
            return self._bucket_locks.setdefault(physical, threading.RLock())

    # ------------------------------------------------------------------ the provider

    def bucket(self, resource: Bucket) -> FolderBucket:
        from polyfn.adapters.local.backends.bucket import FolderBucket

        physical = resource.physical_name
        return FolderBucket(
            self.bucket_dir(physical),
            self.app_dir / "tmp",
            self.store,
            ResourceRef(self.cloud, "bucket", resource.name, physical),
            lock=self.bucket_lock(physical),
            observers=self.observers,
        )

    def queue(self, resource: Queue) -> SqliteQueue:
        from polyfn.adapters.local.backends.queue import SqliteQueue

        physical = _folder_name("queue", resource.physical_name)
        return SqliteQueue(
            self.store,
            ResourceRef(self.cloud, "queue", resource.name, physical),
            max_receives=resource.max_receives,
            visibility_timeout=resource.visibility_timeout,
            on_sent=self._messages_sent,
        )

    def table(self, resource: Table) -> SqliteTable:
        from polyfn.adapters.local.backends.table import SqliteTable

        physical = _folder_name("table", resource.physical_name)
        return SqliteTable(
            self.store,
            ResourceRef(self.cloud, "table", resource.name, physical),
            resource.schema,
            feed=resource.has_change_feed,
        )

    def workflow(self, resource: Workflow) -> LocalWorkflow:
        from polyfn.adapters.local.backends.workflows import LocalWorkflow

        _folder_name("workflow", resource.physical_name)
        return LocalWorkflow(self.store, resource)

    def event_bus(self, resource: EventBus) -> LocalEventBus:
        from polyfn.adapters.local.backends.event_bus import LocalEventBus

        physical = _folder_name("event bus", resource.physical_name)
        return LocalEventBus(
            ResourceRef(self.cloud, "event_bus", resource.name, physical), self.observers
        )

    # ------------------------------------------------------------------ runtime hooks

    def observe(self, observer: BackendObserver) -> None:
        """Hear about object writes and deletes and message sends made in this process."""
        self.observers.append(observer)

    def _messages_sent(self, queue: str) -> None:
        for observer in list(self.observers):
            observer.messages_sent(queue)

    def sweep_stale_writes(self, older_than_seconds: float = 3600) -> int:
        """Remove temporary files a killed writer left behind; returns how many. Only old
        ones: a fresh one may belong to a write still in progress in another process."""
        removed = 0
        cutoff = time.time() - older_than_seconds
        try:
            entries = list(os.scandir(self.app_dir / "tmp"))
        except FileNotFoundError:
            return 0
        for entry in entries:
            try:
                if entry.is_file() and entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)
                    removed += 1
            except FileNotFoundError:
                continue
        return removed

    def dead_letters(self, resource: Queue) -> list[DeadLetter]:
        """The messages of ``resource`` that were dead-lettered after ``max_receives``."""
        return self.queue(resource).dead_letters()

    def close(self) -> None:
        """Release the SQLite connections (a test's data directory can then be removed)."""
        with self._store_lock:
            store, self._store = self._store, None
        if store is not None:
            store.close()
