"""The bucket port on an Azure Blob Storage container (block blobs)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

from polyfn.adapters.azure.backends.clients import service_client
from polyfn.adapters.azure.backends.errors import error_code, guard
from polyfn.adapters.common.errors import ResourceRef
from polyfn.adapters.common.objects import DEFAULT_CONTENT_TYPE, iso_utc, unquoted_etag
from polyfn.core.resources import ObjectInfo, ObjectNotFound, Page

__all__ = ["BlobContainer"]


class BlobContainer:
    """Objects in one blob container, addressed by blob name."""

    def __init__(self, name: str, physical: str) -> None:
        self.ref = ResourceRef("azure", "bucket", name, physical)

    @cached_property
    def _container(self) -> Any:
        # Made on first use: binding a bucket needs neither the SDK nor credentials.
        return service_client("blob", self.ref).get_container_client(self.ref.physical)

    def read(self, key: str) -> bytes:
        def download() -> bytes | None:
            try:
                return bytes(self._container.download_blob(key).readall())
            except Exception as exc:
                if error_code(exc) == "BlobNotFound":
                    return None
                raise

        data = guard(self.ref, download)
        if data is None:
            raise ObjectNotFound(self.ref.name, key)
        return data

    def write(
        self, key: str, data: bytes, content_type: str | None, metadata: Mapping[str, str]
    ) -> ObjectInfo:
        from azure.storage.blob import ContentSettings

        content_type = content_type or DEFAULT_CONTENT_TYPE
        # The SDK splits large payloads into blocks itself; a block blob holds up to
        # 190.7 TiB, far beyond what a function holds in memory, so no size check here.
        response = guard(
            self.ref,
            lambda: self._container.get_blob_client(key).upload_blob(
                data,
                overwrite=True,
                content_settings=ContentSettings(content_type=content_type),
                metadata=dict(metadata) or None,  # the writer's trace (core.resources)
            ),
        )
        return ObjectInfo(
            key,
            len(data),
            etag=unquoted_etag(response.get("etag")),
            content_type=content_type,
            modified=iso_utc(response.get("last_modified")),
        )

    def exists(self, key: str) -> bool:
        return self.metadata(key) is not None

    def metadata(self, key: str) -> ObjectInfo | None:
        def properties() -> Any:
            try:
                return self._container.get_blob_client(key).get_blob_properties()
            except Exception as exc:
                # A HEAD carries the error code in a header, so a missing container still
                # says ContainerNotFound and is mapped to ResourceNotFound by guard.
                if error_code(exc) == "BlobNotFound":
                    return None
                raise

        props = guard(self.ref, properties)
        if props is None:
            return None
        return ObjectInfo(
            key,
            int(props.size),
            etag=unquoted_etag(props.etag),
            content_type=props.content_settings.content_type,
            modified=iso_utc(props.last_modified),
            metadata=dict(props.metadata or {}),
        )

    def list(self, prefix: str, limit: int, cursor: str | None) -> Page[ObjectInfo]:
        def one_page() -> tuple[list[Any], str | None]:
            pages = self._container.list_blobs(
                name_starts_with=prefix or None, results_per_page=limit
            ).by_page(continuation_token=cursor)
            blobs = list(next(pages))
            return blobs, pages.continuation_token

        blobs, token = guard(self.ref, one_page)
        items = [
            ObjectInfo(
                blob.name,
                int(blob.size),
                etag=unquoted_etag(blob.etag),
                content_type=blob.content_settings.content_type,
                modified=iso_utc(blob.last_modified),
            )
            for blob in blobs
        ]
        return Page(items, token or None)

    def delete(self, key: str) -> None:
        def remove() -> None:
            try:
                self._container.delete_blob(key, delete_snapshots="include")
            except Exception as exc:
                if error_code(exc) != "BlobNotFound":
                    raise

        guard(self.ref, remove)
