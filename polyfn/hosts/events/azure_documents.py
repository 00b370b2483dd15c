"""Azure inputs as JSON documents, written from Azure's documented formats.

Event Grid events in the Event Grid and the CloudEvents schema, and the HTTP, queue, blob
and timer invocation payloads in the shape the Functions host posts them to a custom
handler. ``polyfn.hosts.events.azure`` gathers these and the native objects.

Sources (read 2026-11): "Azure Blob Storage as an Event Grid source" (event samples,
page dated 2024-01-10); "Azure Event Grid event schema" and "CloudEvents v1.0 schema with
Azure Event Grid"; "Azure Functions custom handlers" (request payloads, page dated
2025-11-12); "Azure Blob storage trigger" (BlobTrigger/Uri/Properties metadata); "Azure
Queue storage trigger" (Id, DequeueCount, InsertionTime, ExpirationTime,
NextVisibleTime, PopReceipt metadata); "Timer trigger" (Schedule, ScheduleStatus,
IsPastDue). The host joins repeated request headers and query values with commas before
the worker sees them (github.com/Azure/azure-functions-host issue 5294).
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

__all__ = [
    "DEFAULT_ACCOUNT",
    "DEFAULT_HOST",
    "HeaderList",
    "Query",
    "blob_created",
    "blob_created_cloudevent",
    "blob_deleted",
    "blob_deleted_cloudevent",
    "blob_payload",
    "eventgrid",
    "eventgrid_cloudevent",
    "grouped",
    "header_pairs",
    "http_payload",
    "now",
    "query_pairs",
    "queue_payload",
    "request_url",
    "storage_url",
    "timer_payload",
]

DEFAULT_HOST = "polyfn-app.azurewebsites.net"
DEFAULT_ACCOUNT = "polyfnstorage"
_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"

Query = Mapping[str, str | Sequence[str]]
HeaderList = Sequence[tuple[str, str]] | Mapping[str, str]


def now(offset: timedelta = timedelta(0)) -> str:
    return (datetime.now(UTC) + offset).isoformat(timespec="microseconds").replace("+00:00", "Z")


def query_pairs(query: Query | None) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for name, value in (query or {}).items():
        values = [value] if isinstance(value, str) else list(value)
        pairs.extend((name, item) for item in values)
    return pairs


def grouped(pairs: Iterable[tuple[str, str]], *, fold_case: bool) -> dict[str, list[str]]:
    """Values by name in arrival order; with ``fold_case`` names match case-insensitively
    and keep the spelling they first arrived with."""
    result: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower() if fold_case else name
        result.setdefault(names.setdefault(key, name), []).append(value)
    return result


def header_pairs(headers: HeaderList | None) -> list[tuple[str, str]]:
    if headers is None:
        return []
    if isinstance(headers, Mapping):
        return list(headers.items())
    return list(headers)


def request_url(path: str, query: Query | None, host: str, route_prefix: str) -> str:
    prefix = "/" + route_prefix.strip("/") if route_prefix.strip("/") else ""
    encoded = quote(path if path.startswith("/") else "/" + path, safe="/")
    query_string = urlencode(query_pairs(query))
    return f"https://{host}{prefix}{encoded}" + (f"?{query_string}" if query_string else "")


def storage_url(account: str, container: str, name: str) -> str:
    return f"https://{account}.blob.core.windows.net/{container}/{quote(name, safe='/')}"


def _account_topic(account: str) -> str:
    return (
        f"/subscriptions/{_SUBSCRIPTION}/resourceGroups/polyfn/providers/"
        f"Microsoft.Storage/storageAccounts/{account}"
    )


def _sys(method_name: str) -> dict[str, str]:
    # MethodName is the function's name (the documented sample's function is QueueTrigger).
    return {"MethodName": method_name, "UtcNow": now(), "RandGuid": str(uuid.uuid4())}


# ----------------------------------------------------------------------------- Event Grid JSON


def _blob_data(
    action: str, account: str, bucket: str, key: str, size: int, content_type: str
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "api": "PutBlockList" if action == "created" else "DeleteBlob",
        "clientRequestId": str(uuid.uuid4()),
        "requestId": str(uuid.uuid4()),
        "contentType": content_type,
        "blobType": "BlockBlob",
        "url": storage_url(account, bucket, key),
        "sequencer": "0000000000000000000000000001F3A2000000000003b5c1",
        "storageDiagnostics": {"batchId": str(uuid.uuid4())},
    }
    if action == "created":  # a BlobDeleted event has neither
        data["eTag"] = '"0x8DC2A1B2C3D4E5F"'
        data["contentLength"] = size
    return data


def _blob_event(
    action: str,
    *,
    bucket: str,
    key: str,
    size: int,
    content_type: str,
    account: str,
    cloudevent: bool,
) -> dict[str, Any]:
    event_type = (
        "Microsoft.Storage.BlobCreated"
        if action == "created"
        else ("Microsoft.Storage.BlobDeleted")
    )
    subject = f"/blobServices/default/containers/{bucket}/blobs/{key}"
    data = _blob_data(action, account, bucket, key, size, content_type)
    if cloudevent:
        return {
            "source": _account_topic(account),
            "subject": subject,
            "type": event_type,
            "time": now(),
            "id": str(uuid.uuid4()),
            "data": data,
            "specversion": "1.0",
        }
    return {
        "topic": _account_topic(account),
        "subject": subject,
        "eventType": event_type,
        "eventTime": now(),
        "id": str(uuid.uuid4()),
        "data": data,
        "dataVersion": "",
        "metadataVersion": "1",
    }


def blob_created(
    *,
    bucket: str = "uploads",
    key: str = "in/photo.jpg",
    size: int = 524288,
    content_type: str = "image/jpeg",
    account: str = DEFAULT_ACCOUNT,
) -> dict[str, Any]:
    """``Microsoft.Storage.BlobCreated`` in the Event Grid schema."""
    return _blob_event(
        "created",
        bucket=bucket,
        key=key,
        size=size,
        content_type=content_type,
        account=account,
        cloudevent=False,
    )


def blob_deleted(
    *,
    bucket: str = "uploads",
    key: str = "in/photo.jpg",
    content_type: str = "image/jpeg",
    account: str = DEFAULT_ACCOUNT,
) -> dict[str, Any]:
    """``Microsoft.Storage.BlobDeleted`` in the Event Grid schema (no size, no eTag)."""
    return _blob_event(
        "deleted",
        bucket=bucket,
        key=key,
        size=0,
        content_type=content_type,
        account=account,
        cloudevent=False,
    )


def blob_created_cloudevent(
    *,
    bucket: str = "uploads",
    key: str = "in/photo.jpg",
    size: int = 524288,
    content_type: str = "image/jpeg",
    account: str = DEFAULT_ACCOUNT,
) -> dict[str, Any]:
    """``Microsoft.Storage.BlobCreated`` in the CloudEvents 1.0 schema."""
    return _blob_event(
        "created",
        bucket=bucket,
        key=key,
        size=size,
        content_type=content_type,
        account=account,
        cloudevent=True,
    )


def blob_deleted_cloudevent(
    *,
    bucket: str = "uploads",
    key: str = "in/photo.jpg",
    content_type: str = "image/jpeg",
    account: str = DEFAULT_ACCOUNT,
) -> dict[str, Any]:
    """``Microsoft.Storage.BlobDeleted`` in the CloudEvents 1.0 schema."""
    return _blob_event(
        "deleted",
        bucket=bucket,
        key=key,
        size=0,
        content_type=content_type,
        account=account,
        cloudevent=True,
    )


def eventgrid(
    *,
    source: str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/polyfn/"
    "providers/Microsoft.EventGrid/topics/orders",
    type: str = "Shop.OrderPlaced",
    subject: str = "orders/7",
    data: Any = None,
    message: str | None = None,
    id: str | None = None,
) -> dict[str, Any]:
    """A custom-topic event in the Event Grid schema; ``message`` (JSON text) sets ``data``."""
    return {
        "id": id or str(uuid.uuid4()),
        "topic": source,
        "subject": subject,
        "eventType": type,
        "eventTime": now(),
        "data": _event_data(data, message),
        "dataVersion": "1.0",
        "metadataVersion": "1",
    }


def eventgrid_cloudevent(
    *,
    source: str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/polyfn/"
    "providers/Microsoft.EventGrid/topics/orders",
    type: str = "Shop.OrderPlaced",
    subject: str = "orders/7",
    data: Any = None,
    message: str | None = None,
    id: str | None = None,
) -> dict[str, Any]:
    """A custom-topic event in the CloudEvents 1.0 schema."""
    return {
        "specversion": "1.0",
        "id": id or str(uuid.uuid4()),
        "source": source,
        "type": type,
        "subject": subject,
        "time": now(),
        "datacontenttype": "application/json",
        "data": _event_data(data, message),
    }


def _event_data(data: Any, message: str | None) -> Any:
    if message is not None:
        try:
            return json.loads(message)
        except ValueError:
            return message
    return {"order": 7} if data is None else data


# ----------------------------------------------------------------------------- host payloads


def http_payload(
    *,
    method: str = "GET",
    path: str = "/",
    query: Query | None = None,
    headers: HeaderList | None = None,
    body: str | None = None,
    host: str = DEFAULT_HOST,
    route_prefix: str = "api",
    function: str = "api",
) -> dict[str, Any]:
    """An HTTP invocation as the host posts it to a custom handler (binding name ``req``).

    Headers are name -> [values]; ``Query`` is the JSON text of name -> value, as in the
    documented sample (``"Query": "{}"``).
    """
    header_lists = grouped(header_pairs(headers), fold_case=True)
    params = {name: ",".join(v) for name, v in grouped(query_pairs(query), fold_case=False).items()}
    return {
        "Data": {
            "req": {
                "Url": request_url(path, query, host, route_prefix),
                "Method": method.upper(),
                "Query": json.dumps(params),
                "Headers": header_lists,
                "Params": {},
                "Body": body or "",
            }
        },
        "Metadata": {"sys": _sys(function)},
    }


def queue_payload(
    *,
    message: str = '{"n": 1}',
    body: str | None = None,
    dequeue_count: int = 1,
    id: str | None = None,
    queue: str = "jobs",
    function: str = "worker",
) -> dict[str, Any]:
    """A queue-triggered invocation as the host posts it (binding name ``msg``)."""
    del queue  # the payload does not name the queue; the binding does
    return {
        "Data": {"msg": body if body is not None else message},
        "Metadata": {
            "DequeueCount": dequeue_count,
            "ExpirationTime": now(timedelta(days=7)),
            "Id": id or str(uuid.uuid4()),
            "InsertionTime": now(timedelta(seconds=-2)),
            "NextVisibleTime": now(timedelta(minutes=10)),
            "PopReceipt": base64.b64encode(uuid.uuid4().bytes[:8]).decode(),
            "sys": _sys(function),
        },
    }


def blob_payload(
    *,
    bucket: str = "uploads",
    key: str = "in/photo.jpg",
    body: str = "hello",
    content_type: str = "text/plain",
    account: str = DEFAULT_ACCOUNT,
    function: str = "on_upload",
) -> dict[str, Any]:
    """A blob-triggered invocation as the host posts it (binding name ``blob``)."""
    return {
        "Data": {"blob": body},
        "Metadata": {
            "BlobTrigger": f"{bucket}/{key}",
            "Uri": storage_url(account, bucket, key),
            "Properties": {
                "ContentLength": len(body.encode()),
                "ContentType": content_type,
                "ETag": '"0x8DC2A1B2C3D4E5F"',
                "BlobType": "BlockBlob",
                "LastModified": now(timedelta(seconds=-1)),
            },
            "Metadata": {},
            "name": key,
            "sys": _sys(function),
        },
    }


def timer_payload(*, past_due: bool = False, function: str = "tick") -> dict[str, Any]:
    """A timer-triggered invocation as the host posts it (binding name ``timer``)."""
    return {
        "Data": {
            "timer": {
                "Schedule": {"AdjustForDST": True},
                "ScheduleStatus": {
                    "Last": now(timedelta(minutes=-5)),
                    "Next": now(timedelta(minutes=5)),
                    "LastUpdated": now(timedelta(minutes=-5)),
                },
                "IsPastDue": past_due,
            }
        },
        "Metadata": {"sys": _sys(function)},
    }
