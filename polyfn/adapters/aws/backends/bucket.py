"""The bucket port on Amazon S3."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

from polyfn.adapters.aws.backends.clients import aws_client
from polyfn.adapters.aws.backends.errors import error_code, guard
from polyfn.adapters.common.errors import ResourceRef
from polyfn.adapters.common.objects import DEFAULT_CONTENT_TYPE, iso_utc, unquoted_etag
from polyfn.core.resources import ObjectInfo, ObjectNotFound, Page

__all__ = ["MAX_PUT_BYTES", "S3Bucket"]

# One PutObject carries at most 5 GB; larger objects need a multipart upload, which the
# bytes-in-memory ``write`` of the port does not do. Source: Amazon S3 User Guide,
# "Uploading objects" (checked 2026-11).
MAX_PUT_BYTES = 5 * 1024**3


class S3Bucket:
    """Objects in one S3 bucket, addressed by key."""

    def __init__(self, name: str, physical: str) -> None:
        self.ref = ResourceRef("aws", "bucket", name, physical)
        self._bucket = physical
        # A HEAD of a missing object and of a missing bucket are both a bare 404; once the
        # bucket answered anything, a 404 means the object, so no second request is needed.
        self._bucket_seen = False

    @cached_property
    def _client(self) -> Any:
        # Made on first use: building a backend (binding an App, a test) creates no client.
        return aws_client("s3")

    def read(self, key: str) -> bytes:
        def get() -> bytes | None:
            try:
                response = self._client.get_object(Bucket=self._bucket, Key=key)
            except Exception as exc:
                if error_code(exc) == "NoSuchKey":
                    return None
                raise
            return bytes(response["Body"].read())

        data = guard(self.ref, get)
        self._bucket_seen = True
        if data is None:
            raise ObjectNotFound(self.ref.name, key)
        return data

    def write(
        self, key: str, data: bytes, content_type: str | None, metadata: Mapping[str, str]
    ) -> ObjectInfo:
        if len(data) > MAX_PUT_BYTES:
            raise self.ref.too_large(f"object {key!r}", len(data), MAX_PUT_BYTES, "S3 PutObject")
        content_type = content_type or DEFAULT_CONTENT_TYPE
        response = guard(
            self.ref,
            lambda: self._client.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=data,
                ContentType=content_type,
                Metadata=dict(metadata),  # x-amz-meta-*: the writer's trace (core.resources)
            ),
        )
        self._bucket_seen = True
        return ObjectInfo(
            key,
            len(data),
            etag=unquoted_etag(response.get("ETag")),
            content_type=content_type,
            modified=None,  # PutObject does not say; metadata() does
        )

    def exists(self, key: str) -> bool:
        return self.metadata(key) is not None

    def metadata(self, key: str) -> ObjectInfo | None:
        def head() -> dict[str, Any] | None:
            try:
                return dict(self._client.head_object(Bucket=self._bucket, Key=key))
            except Exception as exc:
                if error_code(exc) in ("404", "NoSuchKey", "NotFound"):
                    return None
                raise

        response = guard(self.ref, head)
        if response is None:
            self._confirm_bucket()
            return None
        self._bucket_seen = True
        return ObjectInfo(
            key,
            int(response.get("ContentLength", 0)),
            etag=unquoted_etag(response.get("ETag")),
            content_type=response.get("ContentType"),
            modified=iso_utc(response.get("LastModified")),
            metadata=dict(response.get("Metadata") or {}),
        )

    def list(self, prefix: str, limit: int, cursor: str | None) -> Page[ObjectInfo]:
        params: dict[str, Any] = {"Bucket": self._bucket, "Prefix": prefix, "MaxKeys": limit}
        if cursor:
            params["ContinuationToken"] = cursor
        response = guard(self.ref, lambda: self._client.list_objects_v2(**params))
        self._bucket_seen = True
        items = [
            ObjectInfo(
                entry["Key"],
                int(entry.get("Size", 0)),
                etag=unquoted_etag(entry.get("ETag")),
                modified=iso_utc(entry.get("LastModified")),
            )
            for entry in response.get("Contents", [])
        ]
        next_cursor = response.get("NextContinuationToken") if response.get("IsTruncated") else None
        return Page(items, next_cursor)

    def delete(self, key: str) -> None:
        # S3 answers 204 for a missing key too; a missing bucket is NoSuchBucket.
        guard(self.ref, lambda: self._client.delete_object(Bucket=self._bucket, Key=key))
        self._bucket_seen = True

    def _confirm_bucket(self) -> None:
        """After a bare 404, make sure it was the object that is missing, not the bucket."""
        if self._bucket_seen:
            return
        guard(self.ref, lambda: self._client.list_objects_v2(Bucket=self._bucket, MaxKeys=1))
        self._bucket_seen = True
