"""The bucket port's contract, the same on every backend (local, S3 on moto, Blob on
Azurite, Cloud Storage on gcp-storage-emulator)."""

from __future__ import annotations

from datetime import datetime

import pytest
from resource_harness import Harness

from polyfn.core.resources import ObjectNotFound

pytestmark = [
    pytest.mark.emulator,
    pytest.mark.parametrize("harness", ["local", "aws", "azure", "gcp"], indirect=True),
]


def test_write_then_read_round_trips_bytes_and_reports_the_object(harness: Harness) -> None:
    bucket = harness.bucket()
    data = bytes(range(256)) * 3

    info = bucket.write("photos/2024/cat.png", data, content_type="image/png")

    assert (info.key, info.size, info.content_type) == ("photos/2024/cat.png", 768, "image/png")
    assert info.etag
    assert bucket.read("photos/2024/cat.png") == data


def test_metadata_describes_the_stored_object(harness: Harness) -> None:
    bucket = harness.bucket()
    bucket.write("doc.json", b'{"a": 1}', content_type="application/json")

    meta = bucket.metadata("doc.json")

    assert meta is not None
    assert (meta.key, meta.size, meta.content_type) == ("doc.json", 8, "application/json")
    assert meta.etag
    assert meta.modified is not None
    assert datetime.fromisoformat(meta.modified).tzinfo is not None


def test_a_write_from_an_invocation_stores_its_trace_and_hop_count_in_the_metadata(
    harness: Harness,
) -> None:
    # S3 user metadata, blob metadata, Cloud Storage custom metadata, the local SQLite row:
    # the writer's trace, read back by a HEAD (what the loop guard does on S3 events).
    from polyfn.core.context import _reset_current, _set_current, new_context
    from polyfn.core.trace_context import carrier_from_metadata, trace_from

    bucket = harness.bucket()
    ctx = new_context(harness.cloud, "writer", "req-1", None, False, None)
    ctx._trace = trace_from(
        {
            "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "x-correlation-id": "flow-9",
            "polyfn-hops": "2",
        }
    )
    token = _set_current(ctx)
    try:
        bucket.write("traced.txt", b"x")
    finally:
        _reset_current(token)
    bucket.write("untraced.txt", b"y")  # outside an invocation: nothing to carry

    stored = bucket.metadata("traced.txt").metadata  # type: ignore[union-attr]
    carried = carrier_from_metadata(stored or {})
    assert carried == {
        "traceparent": f"00-4bf92f3577b34da6a3ce929d0e0e4736-{ctx.trace.span_id}-01",
        "x-correlation-id": "flow-9",
        "polyfn-hops": "3",
    }
    assert bucket.metadata("untraced.txt").metadata == {}  # type: ignore[union-attr]


def test_text_gets_a_text_content_type_and_bytes_a_binary_one(harness: Harness) -> None:
    bucket = harness.bucket()
    bucket.write("note.txt", "héllo")
    bucket.write("blob.bin", b"\x00\x01")

    assert bucket.read_text("note.txt") == "héllo"
    text_type = bucket.metadata("note.txt").content_type  # type: ignore[union-attr]
    if harness.cloud == "gcp":
        # gcp-storage-emulator keeps only the media type of a multipart upload's part
        # (email.message.get_content_type); Cloud Storage itself keeps the parameters.
        assert text_type == "text/plain"
    else:
        assert text_type == "text/plain; charset=utf-8"
    assert bucket.metadata("blob.bin").content_type == "application/octet-stream"  # type: ignore[union-attr]


def test_overwrite_replaces_the_content(harness: Harness) -> None:
    bucket = harness.bucket()
    bucket.write("k", b"first")
    bucket.write("k", b"second, longer")

    assert bucket.read("k") == b"second, longer"
    assert bucket.metadata("k").size == 14  # type: ignore[union-attr]


def test_exists_and_missing_keys(harness: Harness) -> None:
    bucket = harness.bucket()
    bucket.write("here", b"x")

    assert bucket.exists("here")
    assert not bucket.exists("not-here")
    assert bucket.metadata("not-here") is None
    with pytest.raises(ObjectNotFound) as caught:
        bucket.read("not-here")
    assert isinstance(caught.value, KeyError)
    assert caught.value.key == "not-here"


def test_delete_removes_and_deleting_a_missing_key_is_fine(harness: Harness) -> None:
    bucket = harness.bucket()
    bucket.write("gone", b"x")

    bucket.delete("gone")
    bucket.delete("gone")
    bucket.delete("never-was")

    assert not bucket.exists("gone")


def test_list_by_prefix_in_key_order_across_pages(harness: Harness) -> None:
    bucket = harness.bucket()
    wanted = [f"logs/2024-01-{day:02d}.txt" for day in range(1, 13)]
    for key in reversed(wanted):
        bucket.write(key, key.encode())
    bucket.write("other/readme.txt", b"x")
    bucket.write("logs.txt", b"not under logs/")

    pages = []
    cursor = None
    while True:
        page = bucket.list("logs/", limit=5, cursor=cursor)
        pages.append([info.key for info in page])
        if page.cursor is None:
            break
        cursor = page.cursor

    assert all(len(keys) <= 5 for keys in pages)
    assert len(pages) >= 3
    assert [key for keys in pages for key in keys] == wanted
    assert [info.key for info in bucket.iter("logs/")] == wanted


def test_list_reports_sizes_and_an_empty_prefix_lists_everything(harness: Harness) -> None:
    bucket = harness.bucket()
    bucket.write("a", b"1")
    bucket.write("b/c", b"22")

    listed = {info.key: info.size for info in bucket.list()}

    assert listed == {"a": 1, "b/c": 2}
    assert list(bucket.list("nothing-here/")) == []


def test_keys_with_spaces_and_unicode_survive(harness: Harness) -> None:
    bucket = harness.bucket()
    key = "uploads/my photo ü+1.jpg"
    bucket.write(key, b"jpeg")

    assert bucket.read(key) == b"jpeg"
    assert [info.key for info in bucket.list("uploads/")] == [key]
