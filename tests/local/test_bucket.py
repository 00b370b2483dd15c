"""The folder bucket's local specifics: safe keys, atomic writes, metadata, listing."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest

from polyfn import App
from polyfn.adapters.local.backends import LocalBackends
from polyfn.core.errors import UnsupportedValue
from polyfn.core.resources import ObjectNotFound


def folder(backends: LocalBackends, name: str = "files") -> Path:
    return backends.bucket_dir(name)


@pytest.mark.parametrize(
    "key",
    [
        "../outside.txt",
        "a/../../outside.txt",
        "..",
        "/etc/passwd",
        "a\\..\\..\\outside.txt",
        "a\\b",
        "a\0b",
        "a//b",
        "a/",
        "./a",
        "a/./b",
        "x" * 256,
    ],
)
def test_keys_that_could_leave_or_alias_the_folder_are_refused(
    app: App, backends: LocalBackends, key: str
) -> None:
    files = app.bucket("files")
    with pytest.raises(UnsupportedValue) as raised:
        files.write(key, b"x")
    assert "bucket 'files' on local" in str(raised.value)
    for operation in (files.read, files.exists, files.metadata, files.delete):
        with pytest.raises(UnsupportedValue):
            operation(key)
    bucket_folder = folder(backends)
    assert not bucket_folder.exists() or list(bucket_folder.rglob("*")) == []
    assert not (backends.data_dir / "outside.txt").exists()


def test_a_link_leading_out_of_the_bucket_is_not_followed(
    app: App, backends: LocalBackends, tmp_path: Path
) -> None:
    files = app.bucket("files")
    files.write("inside.txt", b"in")
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read")
    outside_dir = tmp_path / "elsewhere"
    outside_dir.mkdir()
    os.symlink(secret, folder(backends) / "link.txt")
    os.symlink(outside_dir, folder(backends) / "linked-dir")
    with pytest.raises(ObjectNotFound):
        files.read("link.txt")
    assert files.metadata("link.txt") is None
    assert [info.key for info in files.list()] == ["inside.txt"]
    with pytest.raises(UnsupportedValue, match="leads out of the bucket"):
        files.write("linked-dir/planted.txt", b"x")
    assert not (outside_dir / "planted.txt").exists()


def test_a_write_through_a_linked_folder_creates_no_folder_outside_the_bucket(
    app: App, backends: LocalBackends, tmp_path: Path
) -> None:
    files = app.bucket("files")
    files.write("inside.txt", b"in")
    outside_dir = tmp_path / "elsewhere"
    outside_dir.mkdir()
    os.symlink(outside_dir, folder(backends) / "linked-dir")
    with pytest.raises(UnsupportedValue, match="leads out of the bucket"):
        files.write("linked-dir/deep/er/planted.txt", b"x")
    assert list(outside_dir.iterdir()) == []


def test_a_write_is_atomic_for_concurrent_readers(app: App, backends: LocalBackends) -> None:
    files = app.bucket("files")
    size = 512 * 1024
    versions = [b"a" * size, b"b" * size]
    files.write("big.bin", versions[0])
    stop = threading.Event()
    torn: list[int] = []

    def read_repeatedly() -> None:
        while not stop.is_set():
            data = files.read("big.bin")
            if data not in versions:
                torn.append(len(data))

    readers = [threading.Thread(target=read_repeatedly) for _ in range(3)]
    for reader in readers:
        reader.start()
    for i in range(60):
        files.write("big.bin", versions[i % 2])
    stop.set()
    for reader in readers:
        reader.join()
    assert torn == []
    assert os.listdir(backends.app_dir / "tmp") == []  # no temporary file left behind


def test_a_write_that_fails_leaves_the_old_object(
    app: App, backends: LocalBackends, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = app.bucket("files")
    files.write("doc.txt", b"old")

    def broken_replace(source: str, target: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space"):
        files.write("doc.txt", b"new content")
    monkeypatch.undo()
    assert files.read("doc.txt") == b"old"
    assert os.listdir(backends.app_dir / "tmp") == []


def test_objects_are_plain_files_with_metadata_in_sqlite(app: App, backends: LocalBackends) -> None:
    files = app.bucket("files")
    info = files.write("photos/2024/cat.jpg", b"\xff\xd8jpeg", "image/jpeg")
    path = folder(backends) / "photos" / "2024" / "cat.jpg"
    assert path.read_bytes() == b"\xff\xd8jpeg"
    assert sorted(p.name for p in folder(backends).rglob("*")) == ["2024", "cat.jpg", "photos"]
    meta = files.metadata("photos/2024/cat.jpg")
    assert meta is not None
    assert (meta.size, meta.content_type) == (6, "image/jpeg")
    assert meta.etag == info.etag == hashlib.md5(b"\xff\xd8jpeg").hexdigest()
    assert meta.modified is not None and meta.modified.endswith("+00:00")
    assert files.write("notes.txt", "text").content_type == "text/plain; charset=utf-8"
    assert files.write("blob", b"\0").content_type == "application/octet-stream"


def test_a_file_dropped_by_hand_gets_an_etag_and_a_guessed_type(
    app: App, backends: LocalBackends
) -> None:
    files = app.bucket("files")
    files.write("seed.txt", b"x")  # makes the folder
    (folder(backends) / "report.pdf").write_bytes(b"%PDF-1.7")
    meta = files.metadata("report.pdf")
    assert meta is not None
    assert meta.content_type == "application/pdf"
    assert meta.etag == hashlib.md5(b"%PDF-1.7").hexdigest()
    # Replaced by hand later: the recorded metadata no longer matches, so it is recomputed.
    (folder(backends) / "report.pdf").write_bytes(b"%PDF-2.0 longer")
    assert files.metadata("report.pdf").etag == hashlib.md5(b"%PDF-2.0 longer").hexdigest()  # type: ignore[union-attr]


def test_list_by_prefix_in_key_order_with_pages(app: App) -> None:
    files = app.bucket("files")
    keys = [
        "b.txt",
        "a/2.txt",
        "a/10.txt",
        "a/b/c.txt",
        "ab.txt",
        "caf\u00e9.txt",
        "a b.txt",
        "z/deep/er/key",
    ]
    for key in keys:
        files.write(key, key.encode())
    assert [i.key for i in files.iter()] == sorted(keys)
    assert [i.key for i in files.iter("a/")] == ["a/10.txt", "a/2.txt", "a/b/c.txt"]
    assert [i.key for i in files.iter("a")] == sorted(k for k in keys if k.startswith("a"))
    assert [i.key for i in files.iter("a/b")] == ["a/b/c.txt"]
    assert [i.key for i in files.iter("z/deep/")] == ["z/deep/er/key"]
    assert list(files.iter("nothing/")) == []
    assert list(files.iter("../")) == []

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = files.list("", limit=3, cursor=cursor)
        seen += [info.key for info in page]
        pages += 1
        if page.cursor is None:
            break
        cursor = page.cursor
    assert seen == sorted(keys)
    assert pages == 3
    with pytest.raises(ValueError, match="not a cursor"):
        files.list("", cursor="garbage")


def test_delete_is_idempotent_and_tidies_empty_folders(app: App, backends: LocalBackends) -> None:
    files = app.bucket("files")
    files.write("a/b/c.txt", b"1")
    files.write("a/keep.txt", b"2")
    files.delete("a/b/c.txt")
    files.delete("a/b/c.txt")
    files.delete("never/was.txt")
    assert not (folder(backends) / "a" / "b").exists()
    assert (folder(backends) / "a" / "keep.txt").exists()
    with pytest.raises(ObjectNotFound) as raised:
        files.read("a/b/c.txt")
    assert raised.value.key == "a/b/c.txt"
    assert not files.exists("a/b/c.txt")
    assert files.metadata("a/b/c.txt") is None


def test_a_key_cannot_be_both_an_object_and_a_folder(app: App) -> None:
    files = app.bucket("files")
    files.write("a", b"object")
    with pytest.raises(UnsupportedValue, match="cannot hold both"):
        files.write("a/b", b"x")
    files.write("dir/x", b"x")
    with pytest.raises(UnsupportedValue, match="names a folder"):
        files.write("dir", b"x")
    with pytest.raises(ObjectNotFound):
        files.read("dir")


def test_the_physical_name_chooses_the_folder(
    app: App, backends: LocalBackends, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLYFN_BUCKET_FILES", "shop-files-dev")
    app.bucket("files").write("k", b"v")
    assert (backends.bucket_dir("shop-files-dev") / "k").read_bytes() == b"v"


def test_stale_temporary_files_are_swept(app: App, backends: LocalBackends) -> None:
    app.bucket("files").write("k", b"v")  # makes the tmp folder
    tmp = backends.app_dir / "tmp"
    stale, fresh = tmp / "write-stale", tmp / "write-fresh"
    stale.write_bytes(b"left by a killed writer")
    fresh.write_bytes(b"a write in progress elsewhere")
    os.utime(stale, (0, 0))
    assert backends.sweep_stale_writes() == 1
    assert sorted(p.name for p in tmp.iterdir()) == ["write-fresh"]
