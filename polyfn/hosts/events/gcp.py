"""Google Cloud events as the platform sends them, for tests and ``polyfn events gcp KIND``.

- CloudEvents in structured JSON form (``storage``, ``pubsub``, ``scheduler_pubsub``,
  ``cloudevent``); ``binary_mode`` / ``structured_mode`` turn one into the HTTP headers
  and body Eventarc would POST (Eventarc delivers in binary mode).
- Legacy background events (``legacy_storage``, ``legacy_pubsub``), in the nested
  ``{"context": ..., "data": ...}`` form or the older flat one.
- HTTP requests and Cloud Scheduler's HTTP calls as documents: see ``gcp_http``.

Formats written from Google's documentation: the CloudEvents catalogue
(github.com/googleapis/google-cloudevents: storage ``StorageObjectData``, pubsub
``MessagePublishedData``), Eventarc's "Event format" pages, and functions-framework's
background-event conformance mapping; read 2025-11. Every generator takes keyword
options with defaults, so ``GENERATORS[kind]()`` gives a realistic document.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from polyfn.hosts.events.changes import firestore_document
from polyfn.hosts.events.gcp_http import (
    flask_kwargs,
    http,
    job_name_for,
    request_body,
    requests_kwargs,
    scheduler_job,
)
from polyfn.hosts.events.gcp_http import scheduler as scheduler_http

__all__ = [
    "GENERATORS",
    "PROJECT",
    "binary_mode",
    "cloudevent",
    "firestore_document",
    "flask_kwargs",
    "http",
    "job_name_for",
    "legacy_pubsub",
    "legacy_storage",
    "pubsub",
    "request_body",
    "requests_kwargs",
    "scheduler",
    "scheduler_pubsub",
    "storage",
    "structured_mode",
]

PROJECT = "polyfn-dev"
REGION = "us-central1"
_STORAGE_TYPES = {
    "created": "google.cloud.storage.object.v1.finalized",
    "finalized": "google.cloud.storage.object.v1.finalized",
    "deleted": "google.cloud.storage.object.v1.deleted",
}
_LEGACY_STORAGE_TYPES = {
    "created": "google.storage.object.finalize",
    "finalized": "google.storage.object.finalize",
    "deleted": "google.storage.object.delete",
}
_PUBSUB_TYPE = "google.cloud.pubsub.topic.v1.messagePublished"
_PUBSUB_MESSAGE_TYPE = "type.googleapis.com/google.pubsub.v1.PubsubMessage"
_SCHEDULE_ATTRIBUTE = "polyfn-schedule"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _numeric_id() -> str:
    # Storage and Pub/Sub event ids are decimal numbers of about 16 digits.
    return str(10**15 + int.from_bytes(os.urandom(6)) % (9 * 10**15))


def _body_bytes(data: Any, message: str | None) -> bytes:
    if message is not None:
        if data is not None:
            raise ValueError("give the message body as data= or message=, not both")
        return message.encode("utf-8")
    if data is None:
        return b""
    if isinstance(data, bytes | bytearray):
        return bytes(data)
    if isinstance(data, str):
        return data.encode("utf-8")
    return json.dumps(data).encode("utf-8")  # what --data gives: a parsed JSON value


# ----------------------------------------------------------------------------- storage


def _object_resource(
    bucket: str,
    name: str,
    size: int,
    content_type: str | None,
    when: str,
    metadata: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The object's JSON API resource, as Cloud Storage puts it in an event's data."""
    generation = str(int(datetime.now(UTC).timestamp() * 1_000_000))
    quoted = quote(name, safe="")
    resource: dict[str, Any] = {
        "kind": "storage#object",
        "id": f"{bucket}/{name}/{generation}",
        "selfLink": f"https://www.googleapis.com/storage/v1/b/{bucket}/o/{quoted}",
        "name": name,
        "bucket": bucket,
        "generation": generation,
        "metageneration": "1",
        "timeCreated": when,
        "updated": when,
        "storageClass": "STANDARD",
        "timeStorageClassUpdated": when,
        "size": str(size),  # int64 -> JSON string (proto3 JSON mapping)
        "md5Hash": base64.b64encode(os.urandom(16)).decode(),
        "mediaLink": (
            f"https://storage.googleapis.com/download/storage/v1/b/{bucket}/o/{quoted}"
            f"?generation={generation}&alt=media"
        ),
        "crc32c": base64.b64encode(os.urandom(4)).decode(),
        "etag": base64.b64encode(os.urandom(8)).decode().rstrip("="),
    }
    if content_type is not None:
        resource["contentType"] = content_type
    if metadata:
        resource["metadata"] = dict(metadata)  # custom metadata; absent when there is none
    return resource


def storage(
    action: str = "created",
    bucket: str = "uploads",
    name: str = "uploads/cat.jpg",
    *,
    size: int = 1024,
    content_type: str | None = "image/jpeg",
    metadata: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A Cloud Storage object CloudEvent: ``action`` created (finalized) or deleted;
    ``metadata`` the object's custom metadata."""
    kind = _STORAGE_TYPES.get(action)
    if kind is None:
        raise ValueError(f"action must be created, finalized or deleted, got {action!r}")
    when = _now()
    return {
        "specversion": "1.0",
        "id": _numeric_id(),
        "source": f"//storage.googleapis.com/projects/_/buckets/{bucket}",
        "type": kind,
        "subject": f"objects/{name}",
        "time": when,
        "datacontenttype": "application/json",
        "bucket": bucket,
        "data": _object_resource(bucket, name, size, content_type, when, metadata),
    }


def storage_finalized(
    *,
    bucket: str = "uploads",
    key: str = "uploads/cat.jpg",
    size: int = 1024,
    content_type: str | None = "image/jpeg",
) -> dict[str, Any]:
    """A Cloud Storage object.v1.finalized CloudEvent (an object was written)."""
    return storage("created", bucket, key, size=size, content_type=content_type)


def storage_deleted(
    *,
    bucket: str = "uploads",
    key: str = "uploads/cat.jpg",
    size: int = 1024,
    content_type: str | None = "image/jpeg",
) -> dict[str, Any]:
    """A Cloud Storage object.v1.deleted CloudEvent (an object was deleted)."""
    return storage("deleted", bucket, key, size=size, content_type=content_type)


# ----------------------------------------------------------------------------- pub/sub


def pubsub(
    topic: str = "jobs",
    data: Any = None,
    attributes: Mapping[str, str] | None = None,
    delivery_attempt: int | None = None,
    *,
    message: str | None = None,
    project: str = PROJECT,
    message_id: str | None = None,
) -> dict[str, Any]:
    """A Pub/Sub messagePublished CloudEvent carrying one message.

    The body is ``data`` (bytes; text; or a JSON value, which is encoded) or ``message``
    (text). ``delivery_attempt`` is set only when the subscription has a dead-letter
    policy; Pub/Sub omits it otherwise.
    """
    body = _body_bytes(data, message) if (data is not None or message is not None) else b'{"n": 1}'
    identifier = message_id or _numeric_id()
    published = _now()
    pubsub_message: dict[str, Any] = {"data": base64.b64encode(body).decode("ascii")}
    if attributes:
        pubsub_message["attributes"] = {str(k): str(v) for k, v in attributes.items()}
    # Eventarc sends both spellings of the id and publish time.
    pubsub_message.update(
        messageId=identifier, message_id=identifier, publishTime=published, publish_time=published
    )
    payload: dict[str, Any] = {
        "message": pubsub_message,
        "subscription": (
            f"projects/{project}/subscriptions/eventarc-{REGION}-{topic}-sub-{identifier[-3:]}"
        ),
    }
    if delivery_attempt is not None:
        payload["deliveryAttempt"] = delivery_attempt
    return {
        "specversion": "1.0",
        "id": identifier,
        "source": f"//pubsub.googleapis.com/projects/{project}/topics/{topic}",
        "type": _PUBSUB_TYPE,
        "time": published,
        "datacontenttype": "application/json",
        "data": payload,
    }


def scheduler(
    job_name: str | None = None,
    *,
    name: str | None = None,
    schedule_time: str | None = None,
    path: str = "/",
    body: bytes | str | None = None,
) -> dict[str, Any]:
    """A Cloud Scheduler HTTP job's POST to a function (the way polyfn deploy schedules).

    ``name`` (a scheduled function) names the job as deploy does, instead of ``job_name``.
    """
    return scheduler_http(job_name, name=name, schedule_time=schedule_time, path=path, body=body)


def scheduler_pubsub(
    job_name: str | None = None,
    *,
    name: str | None = None,
    topic: str = "polyfn-schedules",
    message: str = "tick",
    project: str = PROJECT,
) -> dict[str, Any]:
    """A Cloud Scheduler Pub/Sub job's message, marked ``polyfn-schedule=<job>``."""
    job = scheduler_job(job_name, name)
    return pubsub(topic, message=message, attributes={_SCHEDULE_ATTRIBUTE: job}, project=project)


# ----------------------------------------------------------------------------- any event


def cloudevent(
    source: str = "//shop.example.com/orders",
    type: str = "com.example.order.placed",
    data: Any = None,
    subject: str | None = None,
    *,
    id: str | None = None,
    time: str | None = None,
    datacontenttype: str = "application/json",
) -> dict[str, Any]:
    """Any other CloudEvent (Eventarc, a custom source); ``data`` bytes go as data_base64."""
    event: dict[str, Any] = {
        "specversion": "1.0",
        "id": id or os.urandom(8).hex(),
        "source": source,
        "type": type,
        "time": time or _now(),
        "datacontenttype": datacontenttype,
    }
    if subject is not None:
        event["subject"] = subject
    if isinstance(data, bytes | bytearray):
        event["data_base64"] = base64.b64encode(bytes(data)).decode("ascii")
    else:
        event["data"] = {"order": 1} if data is None else data
    return event


# ----------------------------------------------------------------------------- modes


def structured_mode(event: Mapping[str, Any]) -> tuple[dict[str, str], bytes]:
    """The headers and body of ``event`` POSTed in structured content mode."""
    headers = {"Content-Type": "application/cloudevents+json; charset=utf-8"}
    return headers, json.dumps(event).encode("utf-8")


def binary_mode(event: Mapping[str, Any]) -> tuple[dict[str, str], bytes]:
    """The headers and body of ``event`` POSTed in binary content mode: every attribute
    as a ``ce-`` header, the data as the body with ``datacontenttype`` as Content-Type."""
    headers: dict[str, str] = {}
    for name, value in event.items():
        if name in ("data", "data_base64", "datacontenttype"):
            continue
        headers[f"ce-{name}"] = str(value)
    content_type = str(event.get("datacontenttype") or "application/json")
    headers["Content-Type"] = content_type
    if "data_base64" in event:
        body = base64.b64decode(str(event["data_base64"]))
    else:
        data = event.get("data")
        if isinstance(data, str) and "json" not in content_type:
            body = data.encode("utf-8")
        elif data is None:
            body = b""
        else:
            body = json.dumps(data).encode("utf-8")
    return headers, body


# ----------------------------------------------------------------------------- legacy


def _legacy(
    event_type: str,
    resource: dict[str, str],
    data: dict[str, Any],
    event_id: str,
    when: str,
    flat: bool,
) -> dict[str, Any]:
    context = {
        "eventId": event_id,
        "timestamp": when,
        "eventType": event_type,
        "resource": resource,
    }
    if flat:
        return {**context, "data": data}
    return {"context": context, "data": data}


def legacy_storage(
    action: str = "created",
    *,
    bucket: str = "uploads",
    key: str = "uploads/cat.jpg",
    size: int = 1024,
    content_type: str | None = "image/jpeg",
    flat: bool = False,
) -> dict[str, Any]:
    """A legacy (1st gen) Cloud Storage background event; ``flat`` gives the oldest form."""
    event_type = _LEGACY_STORAGE_TYPES.get(action)
    if event_type is None:
        raise ValueError(f"action must be created, finalized or deleted, got {action!r}")
    when = _now()
    resource = {
        "service": "storage.googleapis.com",
        "name": f"projects/_/buckets/{bucket}/objects/{key}",
        "type": "storage#object",
    }
    data = _object_resource(bucket, key, size, content_type, when)
    return _legacy(event_type, resource, data, _numeric_id(), when, flat)


def legacy_pubsub(
    topic: str = "jobs",
    data: Any = None,
    attributes: Mapping[str, str] | None = None,
    *,
    message: str | None = None,
    project: str = PROJECT,
    flat: bool = False,
) -> dict[str, Any]:
    """A legacy (1st gen) Pub/Sub background event with one message."""
    body = _body_bytes(data, message) if (data is not None or message is not None) else b'{"n": 1}'
    resource = {
        "service": "pubsub.googleapis.com",
        "name": f"projects/{project}/topics/{topic}",
        "type": _PUBSUB_MESSAGE_TYPE,
    }
    payload: dict[str, Any] = {
        "@type": _PUBSUB_MESSAGE_TYPE,
        "data": base64.b64encode(body).decode("ascii"),
        "attributes": {str(k): str(v) for k, v in (attributes or {}).items()},
    }
    return _legacy("google.pubsub.topic.publish", resource, payload, _numeric_id(), _now(), flat)


GENERATORS: dict[str, Callable[..., dict[str, Any]]] = {
    "http": http,
    "storage-finalized": storage_finalized,
    "storage-deleted": storage_deleted,
    "pubsub": pubsub,
    "scheduler": scheduler,
    "scheduler-pubsub": scheduler_pubsub,
    "cloudevent": cloudevent,
    "legacy-storage": legacy_storage,
    "legacy-pubsub": legacy_pubsub,
    "firestore-document": firestore_document,
}
