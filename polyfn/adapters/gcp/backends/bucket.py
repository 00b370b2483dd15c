"""The bucket port on Google Cloud Storage."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from polyfn.adapters.common.errors import ResourceRef, class_names
from polyfn.adapters.common.objects import DEFAULT_CONTENT_TYPE, iso_utc
from polyfn.adapters.gcp.backends.clients import google_client
from polyfn.adapters.gcp.backends.errors import guard
from polyfn.core.resources import ObjectInfo, ObjectNotFound, Page

__all__ = ["StorageBucket"]

# A cursor is either Cloud Storage's page token ("t:") or, when a server answered with
# more objects than asked for (gcp-storage-emulator ignores maxResults), the last key of
# the page polyfn cut ("k:"), from which the next page starts.
_TOKEN, _AFTER = "t:", "k:"


def _is_not_found(exc: BaseException) -> bool:
    return "NotFound" in class_names(exc)


class StorageBucket:
    """Objects in one Cloud Storage bucket, addressed by object name."""

    def __init__(self, name: str, physical: str) -> None:
        self.ref = ResourceRef("gcp", "bucket", name, physical)
        self._client_bucket: Any = None
        # A missing object and a missing bucket are both a 404; once the bucket answered
        # anything, a 404 is about the object.
        self._bucket_seen = False

    @property
    def _client(self) -> Any:
        return google_client("storage", self.ref)

    @property
    def _bucket(self) -> Any:
        if self._client_bucket is None:
            self._client_bucket = self._client.bucket(self.ref.physical)
        return self._client_bucket

    def read(self, key: str) -> bytes:
        def download() -> bytes | None:
            try:
                return bytes(self._bucket.blob(key).download_as_bytes(retry=None))
            except Exception as exc:
                if _is_not_found(exc):
                    return None
                raise

        data = guard(self.ref, download)
        if data is None:
            self._confirm_bucket()
            raise ObjectNotFound(self.ref.name, key)
        self._bucket_seen = True
        return data

    def write(
        self, key: str, data: bytes, content_type: str | None, metadata: Mapping[str, str]
    ) -> ObjectInfo:
        content_type = content_type or DEFAULT_CONTENT_TYPE
        blob = self._bucket.blob(key)
        if metadata:
            blob.metadata = dict(metadata)  # custom metadata: the writer's trace (core.resources)
        # A single-object upload takes up to 5 TiB ("Quotas & limits", Cloud Storage docs,
        # checked 2026-11): beyond anything held in memory, so no size check here.
        guard(
            self.ref,
            lambda: blob.upload_from_string(data, content_type=content_type, retry=None),
        )
        self._bucket_seen = True
        return ObjectInfo(
            key,
            len(data),
            etag=blob.etag,
            content_type=content_type,
            modified=iso_utc(blob.updated),
        )

    def exists(self, key: str) -> bool:
        return self.metadata(key) is not None

    def metadata(self, key: str) -> ObjectInfo | None:
        blob = guard(self.ref, lambda: self._bucket.get_blob(key, retry=None))
        if blob is None:
            self._confirm_bucket()
            return None
        self._bucket_seen = True
        return _info(blob)

    def list(self, prefix: str, limit: int, cursor: str | None) -> Page[ObjectInfo]:
        params: dict[str, Any] = {"prefix": prefix or None, "max_results": limit, "retry": None}
        after: str | None = None
        if cursor and cursor.startswith(_TOKEN):
            params["page_token"] = cursor[len(_TOKEN) :]
        elif cursor and cursor.startswith(_AFTER):
            after = cursor[len(_AFTER) :]
            params["start_offset"] = after
        elif cursor:
            raise ValueError(f"not a cursor of this bucket: {cursor!r}")

        def one_page() -> tuple[list[Any], str | None]:
            iterator = self._client.list_blobs(self.ref.physical, **params)
            blobs = list(next(iterator.pages, []))
            return blobs, iterator.next_page_token

        blobs, token = guard(self.ref, one_page)
        self._bucket_seen = True
        if after is not None:
            blobs = [blob for blob in blobs if blob.name > after]
        if len(blobs) > limit:
            blobs = blobs[:limit]
            next_cursor: str | None = _AFTER + blobs[-1].name
        else:
            next_cursor = _TOKEN + token if token else None
        return Page([_info(blob) for blob in blobs], next_cursor)

    def delete(self, key: str) -> None:
        def remove() -> bool:
            try:
                self._bucket.blob(key).delete(retry=None)
            except Exception as exc:
                if _is_not_found(exc):
                    return False
                raise
            return True

        if not guard(self.ref, remove):
            self._confirm_bucket()

    def _confirm_bucket(self) -> None:
        """After a 404, make sure it was the object that is missing, not the bucket."""
        if self._bucket_seen:
            return
        guard(self.ref, lambda: self._bucket.reload(retry=None))  # NotFound: no bucket
        self._bucket_seen = True


def _info(blob: Any) -> ObjectInfo:
    return ObjectInfo(
        blob.name,
        int(blob.size or 0),
        etag=blob.etag,
        content_type=blob.content_type,
        modified=iso_utc(blob.updated),
        metadata=dict(blob.metadata or {}),
    )
