"""Change-feed events as the platforms send them: DynamoDB stream records (AWS) and
Firestore document CloudEvents (Google Cloud), for tests and ``polyfn events``.

- ``dynamodb_stream``: the ``{"Records": [...]}`` a Lambda event source mapping passes,
  each record as the DynamoDB Streams API returns it (``GetRecords``) plus
  ``eventSourceARN`` (Lambda developer guide, "Using AWS Lambda with Amazon DynamoDB",
  example event; DynamoDB Streams API reference, ``Record`` and ``StreamRecord``; read
  2026-12). Images are in DynamoDB's JSON, binary values base64-encoded.
- ``firestore_document``: a ``google.cloud.firestore.document.v1.*`` CloudEvent whose
  data is the protobuf ``DocumentEventData`` (``data_base64`` in structured form), as
  Eventarc delivers it (Cloud Functions docs, "Extend Cloud Firestore with Cloud Run
  functions (2nd gen)", event attributes ``subject`` ``documents/<collection>/<id>``,
  ``database``, ``namespace``, ``document``; read 2026-12).

A change is given as ``(kind, new, old)``: an insert has no ``old``, a remove no ``new``.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

from polyfn.hosts.events.aws_common import ACCOUNT, REGION

__all__ = ["ChangeSpec", "dynamodb_stream", "firestore_document", "stream_arn"]

ChangeSpec = tuple[str, Mapping[str, Any] | None, Mapping[str, Any] | None]

_STREAM_EVENT_NAMES = {"insert": "INSERT", "modify": "MODIFY", "remove": "REMOVE"}
_FIRESTORE_TYPES = {
    "insert": "google.cloud.firestore.document.v1.created",
    "modify": "google.cloud.firestore.document.v1.updated",
    "remove": "google.cloud.firestore.document.v1.deleted",
}
_STREAM_LABEL = "2026-12-01T00:00:00.000"


def stream_arn(table: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}/stream/{_STREAM_LABEL}"


def _spec(change: str, key: str, key_name: str, data: Any) -> ChangeSpec:
    if change not in _STREAM_EVENT_NAMES:
        raise ValueError(f"change must be insert, modify or remove, got {change!r}")
    item = json.loads(data) if isinstance(data, str | bytes) else data
    if item is None:
        item = {"note": "hello"}
    if not isinstance(item, Mapping):
        raise ValueError("data is the item after the change: a JSON object")
    new = {key_name: key, **item}
    before = {key_name: key, "note": "before"}
    if change == "insert":
        return (change, new, None)
    if change == "remove":
        return (change, None, before)
    return (change, new, before)


def dynamodb_stream(
    table: str = "items",
    change: str = "insert",
    key: str = "item-1",
    data: Any = None,
    *,
    key_name: str = "id",
    sort_name: str | None = None,
    changes: Sequence[ChangeSpec] | None = None,
    view: str = "NEW_AND_OLD_IMAGES",
) -> dict[str, Any]:
    """A batch of DynamoDB stream records as a Lambda event source mapping passes it.

    ``change``/``key``/``data`` describe one change to the item keyed ``key`` (``data``
    its attributes after the write); ``changes`` gives several ``(kind, new, old)``.
    """
    specs = list(changes) if changes is not None else [_spec(change, key, key_name, data)]
    arn = stream_arn(table)
    records = []
    sequence = int(time.time() * 1000) * 1000
    key_names = (key_name,) if sort_name is None else (key_name, sort_name)
    for offset, (kind, new, old) in enumerate(specs):
        item = new if new is not None else old
        if item is None or kind not in _STREAM_EVENT_NAMES:
            raise ValueError(f"a {kind!r} change needs its item")
        stream: dict[str, Any] = {
            "ApproximateCreationDateTime": int(time.time()),
            "Keys": {name: _attribute(item[name]) for name in key_names},
            "SequenceNumber": str(sequence + offset).rjust(21, "0"),
            "SizeBytes": len(json.dumps(item, default=str)),
            "StreamViewType": view,
        }
        if new is not None and view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES"):
            stream["NewImage"] = _image(new)
        if old is not None and view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES"):
            stream["OldImage"] = _image(old)
        records.append(
            {
                "eventID": os.urandom(16).hex(),
                "eventName": _STREAM_EVENT_NAMES[kind],
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": REGION,
                "dynamodb": stream,
                "eventSourceARN": arn,
            }
        )
    return {"Records": records}


def _image(item: Mapping[str, Any]) -> dict[str, Any]:
    return {str(name): _attribute(value) for name, value in item.items()}


def _attribute(value: Any) -> dict[str, Any]:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float):
        return {"N": repr(value) if isinstance(value, float) else str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bytes):
        return {"B": base64.b64encode(value).decode("ascii")}
    if isinstance(value, Mapping):
        return {"M": _image(value)}
    if isinstance(value, list | tuple):
        return {"L": [_attribute(v) for v in value]}
    raise TypeError(f"no DynamoDB attribute value for {type(value).__name__}")


def firestore_document(
    collection: str = "items",
    change: str = "insert",
    key: str = "item-1",
    data: Any = None,
    *,
    key_name: str = "id",
    document_id: str | None = None,
    spec: ChangeSpec | None = None,
    project: str = "polyfn-dev",
) -> dict[str, Any]:
    """A Firestore document CloudEvent (created, updated or deleted) in structured form,
    its protobuf ``DocumentEventData`` as ``data_base64``."""
    from polyfn.adapters.gcp.firestore_events import encode_event_data

    kind, new, old = spec if spec is not None else _spec(change, key, key_name, data)
    if kind not in _FIRESTORE_TYPES:
        raise ValueError(f"change must be insert, modify or remove, got {kind!r}")
    item = new if new is not None else old
    doc_id = document_id if document_id is not None else str((item or {}).get(key_name, key))
    payload = encode_event_data(collection, doc_id, new, old, project)
    return {
        "specversion": "1.0",
        "id": os.urandom(8).hex(),
        "source": f"//firestore.googleapis.com/projects/{project}/databases/(default)",
        "type": _FIRESTORE_TYPES[kind],
        "subject": f"documents/{collection}/{doc_id}",
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "datacontenttype": "application/protobuf",
        "dataschema": (
            "https://github.com/googleapis/google-cloudevents/blob/main/proto/google/"
            "events/cloud/firestore/v1/data.proto"
        ),
        "database": "(default)",
        "namespace": "(default)",
        "document": f"{collection}/{doc_id}",
        "location": "nam5",
        "project": project,
        "data_base64": base64.b64encode(payload).decode("ascii"),
    }
