"""Where an object key lives in a bucket folder, and which keys cannot live there.

A key maps to a file path segment by segment (``uploads/a.jpg`` -> ``<bucket>/uploads/a.jpg``)
so that a person can drop files into the folder and see the bucket as the clouds show it.
Keys the clouds accept but a folder cannot hold safely are refused, never mapped somewhere
surprising: anything that could leave the folder (``..``, an absolute path, a backslash,
NUL), empty segments (``a//b``, ``a/``: S3 allows them, a file system has no name for them),
and ``.`` segments.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

__all__ = [
    "FileStamp",
    "KeyRefused",
    "inside",
    "is_listable_key",
    "key_of",
    "path_of",
    "stamp_of",
]

_MAX_SEGMENT_BYTES = 255  # NAME_MAX on Linux and macOS file systems


class KeyRefused(ValueError):
    """The key cannot be stored in a folder; the message says why."""


class FileStamp(NamedTuple):
    """What identifies one version of a file: a new write changes at least one of these."""

    inode: int
    mtime_ns: int
    size: int


def stamp_of(stat: os.stat_result) -> FileStamp:
    return FileStamp(stat.st_ino, stat.st_mtime_ns, stat.st_size)


def path_of(root: Path, key: str) -> Path:
    """The file for ``key`` under ``root``; ``KeyRefused`` for a key that cannot be one."""
    if "\0" in key:
        raise KeyRefused(f"object key {key!r} contains NUL, which no file name can")
    if "\\" in key:
        raise KeyRefused(
            f"object key {key!r} contains a backslash; a local bucket refuses it because "
            "Windows reads it as a folder separator"
        )
    if key.startswith("/"):
        raise KeyRefused(f"object key {key!r} starts with '/': it would be an absolute path")
    segments = key.split("/")
    for segment in segments:
        if segment in ("", ".", ".."):
            shown = f"{segment!r} as a path segment" if segment else "an empty path segment"
            raise KeyRefused(
                f"object key {key!r} has {shown}, which a local bucket cannot store (it "
                "would leave or alias the bucket folder)"
            )
        if len(segment.encode("utf-8", "surrogatepass")) > _MAX_SEGMENT_BYTES:
            raise KeyRefused(
                f"object key {key!r} has a segment over {_MAX_SEGMENT_BYTES} bytes, the "
                "longest file name a file system allows"
            )
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        raise KeyRefused(f"object key {key!r} is not valid UTF-8") from None
    return root.joinpath(*segments)


def key_of(root: Path, path: Path) -> str:
    """The key of a file under ``root``: its relative path with forward slashes."""
    return path.relative_to(root).as_posix()


def is_listable_key(key: str) -> bool:
    """False for file names that are not valid UTF-8 (Python decodes them with surrogates):
    no cloud could hold such a key, so listings and the watcher skip them."""
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def inside(root: Path, path: Path) -> bool:
    """Whether ``path``, symbolic links resolved, is ``root`` itself or below it."""
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    return real == real_root or real.startswith(real_root + os.sep)
