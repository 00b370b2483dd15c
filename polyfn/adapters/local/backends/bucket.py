"""The bucket port on a folder: one file per object, at the path its key names.

Content type, etag and user metadata live in the app's SQLite file (table ``objects``),
not in sidecar files: the folder then holds exactly the objects, so a person can drop
files in and list it without seeing polyfn's bookkeeping, and no key can collide with a
sidecar's name. A row is trusted only while the file's size and modification time still
match it; a file written or replaced by hand gets its etag (MD5 of the content, like a
single-part S3 upload) computed on first look and its content type guessed from its name,
and no metadata (no writer's trace).

A write goes to a temporary file in ``<app>/tmp`` (same file system) and is renamed into
place, so a reader sees the old object or the new one, never half of one.
"""

from __future__ import annotations

import errno
import hashlib
import json
import mimetypes
import os
import tempfile
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from polyfn.adapters.common.errors import ResourceRef
from polyfn.adapters.common.objects import DEFAULT_CONTENT_TYPE
from polyfn.adapters.local.backends.cursors import decode_cursor, encode_cursor
from polyfn.adapters.local.backends.folder_keys import (
    FileStamp,
    KeyRefused,
    inside,
    is_listable_key,
    key_of,
    path_of,
    stamp_of,
)
from polyfn.adapters.local.backends.observers import BackendObserver
from polyfn.adapters.local.backends.store import Store
from polyfn.core.resources import ObjectInfo, ObjectNotFound, Page

__all__ = ["DEFAULT_CONTENT_TYPE", "FolderBucket"]

_RENAME_ATTEMPTS = 3
# Aliases: inside the class, ``list`` is the port's method, not the builtin.
_Keys = list[str]
_ObjectInfos = list[ObjectInfo]
# A row of the objects table: size, mtime_ns, etag, content type, user metadata (JSON).
_Row = tuple[int, int, str, str, str | None]


class FolderBucket:
    """Objects of one bucket, as files under ``root``."""

    def __init__(
        self,
        root: Path,
        tmp_dir: Path,
        store: Store,
        ref: ResourceRef,
        *,
        lock: threading.RLock,
        observers: Sequence[BackendObserver] = (),
    ) -> None:
        self.root = root
        self._tmp_dir = tmp_dir
        self._store = store
        self.ref = ref
        self._bucket = ref.physical
        # Shared with the runtime's folder watcher: a write and its notification happen
        # under it, so the watcher never mistakes our own write for a dropped file.
        self.lock = lock
        self._observers = observers

    # ------------------------------------------------------------------ paths

    def _path(self, key: str) -> Path:
        try:
            return path_of(self.root, key)
        except KeyRefused as exc:
            raise self.ref.unsupported(str(exc)) from None

    def _existing_file(self, key: str) -> tuple[Path, os.stat_result] | None:
        path = self._path(key)
        try:
            stat = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not path.is_file() or not inside(self.root, path):
            return None  # a folder of other keys, or a link leading out of the bucket
        return path, stat

    # ------------------------------------------------------------------ reads

    def read(self, key: str) -> bytes:
        found = self._existing_file(key)
        if found is None:
            raise ObjectNotFound(self.ref.name, key)
        try:
            return found[0].read_bytes()
        except FileNotFoundError:
            raise ObjectNotFound(self.ref.name, key) from None  # deleted since the stat

    def exists(self, key: str) -> bool:
        return self._existing_file(key) is not None

    def metadata(self, key: str) -> ObjectInfo | None:
        found = self._existing_file(key)
        if found is None:
            return None
        path, stat = found
        return self._describe(key, path, stat, self._recorded([key]).get(key), with_metadata=True)

    def list(self, prefix: str, limit: int, cursor: str | None) -> Page[ObjectInfo]:
        after = decode_cursor(cursor, self.ref)
        keys = sorted(k for k in self._keys_under(prefix) if after is None or k > after)
        more = len(keys) > limit
        keys = keys[:limit]
        recorded = self._recorded(keys)
        items: _ObjectInfos = []
        for key in keys:
            path = path_of(self.root, key)
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue  # deleted while listing
            items.append(self._describe(key, path, stat, recorded.get(key)))
        return Page(items, encode_cursor(keys[-1]) if more and keys else None)

    def _keys_under(self, prefix: str) -> _Keys:
        """Every key starting with ``prefix``, walking only folders that can hold one."""
        fixed = prefix.split("/")[:-1]  # the folders the prefix names in full
        try:
            start = path_of(self.root, "/".join([*fixed, "x"])).parent if fixed else self.root
        except KeyRefused:
            return []  # no stored key can start with this prefix
        if not start.is_dir() or not inside(self.root, start):
            return []
        keys: _Keys = []
        for folder, dirs, files in os.walk(start):
            base = Path(folder)
            # Descend only into folders whose keys could start with the prefix.
            dirs[:] = [
                d
                for d in dirs
                if _could_hold(key_of(self.root, base / d) + "/", prefix)
                and not os.path.islink(base / d)
            ]
            for name in files:
                path = base / name
                if os.path.islink(path) and not inside(self.root, path):
                    continue  # a link leading out of the bucket is not an object of it
                key = key_of(self.root, path)
                if key.startswith(prefix) and _is_storable(key):
                    keys.append(key)
        return keys

    def scan(self) -> dict[str, FileStamp]:
        """Every object's key and stamp, for the folder watcher."""
        stamps: dict[str, FileStamp] = {}
        for key in self._keys_under(""):
            try:
                stat = path_of(self.root, key).stat()
            except (FileNotFoundError, NotADirectoryError):
                continue  # gone since the walk
            stamps[key] = stamp_of(stat)
        return stamps

    def _recorded(self, keys: _Keys) -> dict[str, _Row]:
        """(size, mtime_ns, etag, content_type, metadata JSON) recorded for each key that
        has a row."""
        if not keys:
            return {}
        found: dict[str, _Row] = {}
        with self._store.read() as conn:
            for start in range(0, len(keys), 500):  # under SQLite's bound-parameter limit
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for key, size, mtime_ns, etag, content_type, metadata in conn.execute(
                    "SELECT key, size, mtime_ns, etag, content_type, metadata FROM objects "
                    f"WHERE bucket = ? AND key IN ({marks})",
                    (self._bucket, *chunk),
                ):
                    found[key] = (size, mtime_ns, etag, content_type, metadata)
        return found

    def _describe(
        self,
        key: str,
        path: Path,
        stat: os.stat_result,
        recorded: _Row | None,
        *,
        with_metadata: bool = False,
    ) -> ObjectInfo:
        metadata: dict[str, str] | None = {} if with_metadata else None
        if recorded is not None and recorded[:2] == (stat.st_size, stat.st_mtime_ns):
            etag, content_type = recorded[2], recorded[3]
            if with_metadata and recorded[4]:
                metadata = json.loads(recorded[4])
        else:
            # Written by hand (or by a writer that died before recording): learn it once.
            etag = _md5_of_file(path)
            content_type = mimetypes.guess_type(key)[0] or DEFAULT_CONTENT_TYPE
            self._record(key, stat.st_size, stat.st_mtime_ns, etag, content_type)
        return ObjectInfo(
            key,
            stat.st_size,
            etag=etag,
            content_type=content_type,
            modified=_iso(stat.st_mtime_ns),
            metadata=metadata,
        )

    def _record(
        self,
        key: str,
        size: int,
        mtime_ns: int,
        etag: str,
        content_type: str,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        stored = json.dumps(dict(metadata), sort_keys=True) if metadata else None
        with self._store.write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO objects "
                "(bucket, key, size, mtime_ns, etag, content_type, metadata) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (self._bucket, key, size, mtime_ns, etag, content_type, stored),
            )

    # ------------------------------------------------------------------ writes

    def write(
        self, key: str, data: bytes, content_type: str | None, metadata: Mapping[str, str]
    ) -> ObjectInfo:
        path = self._path(key)
        content_type = content_type or DEFAULT_CONTENT_TYPE
        etag = hashlib.md5(data, usedforsecurity=False).hexdigest()
        self._tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=self._tmp_dir, prefix="write-")
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(data)
            with self.lock:
                stat = self._rename_into_place(Path(tmp_name), path, key)
                self._record(key, stat.st_size, stat.st_mtime_ns, etag, content_type, metadata)
                info = ObjectInfo(
                    key,
                    stat.st_size,
                    etag=etag,
                    content_type=content_type,
                    modified=_iso(stat.st_mtime_ns),
                    metadata=dict(metadata),
                )
                for observer in list(self._observers):
                    observer.object_written(self._bucket, info, stamp_of(stat))
        finally:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
        return info

    def _rename_into_place(self, tmp: Path, path: Path, key: str) -> os.stat_result:
        for attempt in range(_RENAME_ATTEMPTS):
            self._make_folders(path.parent, key)
            if path.is_dir():
                raise self.ref.unsupported(
                    f"object key {key!r} names a folder holding other keys; a local bucket "
                    "cannot make it an object too"
                )
            try:
                os.replace(tmp, path)
                return path.stat()
            except FileNotFoundError:
                # Another process removed the (empty) parent folder between mkdir and
                # rename while deleting its last object; make it again.
                if attempt == _RENAME_ATTEMPTS - 1:
                    raise
            except OSError as exc:
                if exc.errno == errno.ENAMETOOLONG:
                    raise self.ref.unsupported(f"object key {key!r} is too long a path") from None
                raise
        raise AssertionError("unreachable")

    def _make_folders(self, folder: Path, key: str) -> None:
        """Create ``folder`` one level at a time, each checked to be inside the bucket
        before it is made: ``mkdir(parents=True)`` would follow a symbolic link planted in
        the bucket folder and create folders outside it before any check could refuse."""
        self.root.mkdir(parents=True, exist_ok=True)  # the data dir's own folder
        current = self.root
        for segment in folder.relative_to(self.root).parts:
            current = current / segment
            if not inside(self.root, current):
                raise self.ref.unsupported(f"object key {key!r} leads out of the bucket folder")
            try:
                current.mkdir(exist_ok=True)
            except (FileExistsError, NotADirectoryError):
                raise self.ref.unsupported(
                    f"object key {key!r} needs a folder where an object already is (a key "
                    "that is also the start of another key's path); a local bucket cannot "
                    "hold both, S3 can"
                ) from None

    def delete(self, key: str) -> None:
        path = self._path(key)
        with self.lock:
            try:
                if not inside(self.root, path.parent):
                    return
                path.unlink()
                existed = True
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
                existed = False  # deleting what is not there is not an error (as on S3)
            with self._store.write() as conn:
                conn.execute(
                    "DELETE FROM objects WHERE bucket = ? AND key = ?", (self._bucket, key)
                )
            if existed:
                self._remove_empty_folders(path.parent)
                for observer in list(self._observers):
                    observer.object_deleted(self._bucket, key)

    def _remove_empty_folders(self, folder: Path) -> None:
        """Buckets have no folders; drop the ones the last key under them left behind."""
        while folder != self.root and inside(self.root, folder):
            try:
                folder.rmdir()
            except OSError:
                return  # not empty (or already gone): stop climbing
            folder = folder.parent

    def stamp(self, key: str) -> FileStamp | None:
        """The current stamp of ``key``'s file, for the watcher."""
        found = self._existing_file(key)
        return stamp_of(found[1]) if found else None


def _is_storable(key: str) -> bool:
    """Whether a file's key is one the bucket could have written: a file dropped in with a
    name no cloud key can have (a backslash, bytes that are not UTF-8) is not an object."""
    if not is_listable_key(key):
        return False
    try:
        path_of(Path("/"), key)
    except KeyRefused:
        return False
    return True


def _could_hold(folder_key: str, prefix: str) -> bool:
    """Whether keys under ``folder_key`` (ending in '/') can start with ``prefix``."""
    return folder_key.startswith(prefix) or prefix.startswith(folder_key)


def _md5_of_file(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _iso(mtime_ns: int) -> str:
    return datetime.fromtimestamp(mtime_ns / 1e9, UTC).isoformat()
