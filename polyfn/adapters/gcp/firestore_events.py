"""Firestore document events (Eventarc) -> changes.

Eventarc delivers a Firestore write as a CloudEvent of type
``google.cloud.firestore.document.v1.created`` / ``updated`` / ``deleted`` / ``written``
whose data is a protobuf ``DocumentEventData`` (content type ``application/protobuf``):
``value`` (the document after the write, field 1), ``old_value`` (before it, field 2) and
``update_mask`` (field 3). Its ``subject`` is ``documents/<collection>/<id>`` and the
document's ``name`` ends the same way. Source: Google's CloudEvents catalogue,
``cloud/firestore/v1/data.proto``, and Cloud Functions docs, "Extend Cloud Firestore
with Cloud Run functions (2nd gen)" (read 2026-12).

``Document`` and ``Value`` are google-cloud-firestore's own protobuf types (the same field
numbers as the event's copy of them); only the three-field envelope is declared here. The
SDK is imported with the first Firestore event, never by a function that serves others.

The GCP table backend keeps the whole item in the document (key fields included), so the
images are the items ``table.get`` returns; the change's ``keys`` are filled in from the
table's key schema by ``core.change_dispatch``, which knows the table.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from polyfn.core.changes import Change, MalformedChange

__all__ = ["FIRESTORE_EVENTS", "FIRESTORE_EVENT_PREFIX", "document_change", "encode_event_data"]

FIRESTORE_EVENT_PREFIX = "google.cloud.firestore.document.v1."
# The event types and the change each always is (``written`` is any of the three).
FIRESTORE_EVENTS = {
    FIRESTORE_EVENT_PREFIX + "created": "insert",
    FIRESTORE_EVENT_PREFIX + "updated": "modify",
    FIRESTORE_EVENT_PREFIX + "deleted": "remove",
    FIRESTORE_EVENT_PREFIX + "written": "",
}

# The same events with the writer's identity as extra attributes (authtype, authid).
WITH_AUTH_CONTEXT = ".withAuthContext"

_envelope: Any = None


def event_type(kind: Any) -> str:
    """The Firestore event type without the ``.withAuthContext`` variant's suffix."""
    return kind.removesuffix(WITH_AUTH_CONTEXT) if isinstance(kind, str) else ""


def _event_data_type() -> Any:
    """The ``DocumentEventData`` message, declared on first use (it loads the SDK)."""
    global _envelope
    if _envelope is None:
        import proto
        from google.cloud.firestore_v1.types import Document, DocumentMask

        class DocumentEventData(proto.Message):  # type: ignore[misc]
            value = proto.Field(proto.MESSAGE, number=1, message=Document)
            old_value = proto.Field(proto.MESSAGE, number=2, message=Document)
            update_mask = proto.Field(proto.MESSAGE, number=3, message=DocumentMask)

        _envelope = DocumentEventData
    return _envelope


def document_change(attributes: Mapping[str, Any], data: Any, raw: Any = None) -> Change:
    """The change a Firestore document CloudEvent describes; ``MalformedChange`` when its
    payload is not a ``DocumentEventData`` or contradicts its type."""
    kind = FIRESTORE_EVENTS.get(event_type(attributes.get("type")))
    if kind is None:
        raise MalformedChange(f"{attributes.get('type')!r} is not a Firestore document event")
    if isinstance(data, str):
        # A structured-mode CloudEvent in JSON carries binary data as base64 text.
        try:
            data = base64.b64decode(data, validate=True)
        except ValueError:
            raise MalformedChange("Firestore event data is protobuf bytes or base64") from None
    if not isinstance(data, bytes | bytearray):
        raise MalformedChange(
            f"Firestore event data is a protobuf DocumentEventData, not {type(data).__name__}"
        )
    envelope = _event_data_type()
    try:
        message = envelope.pb(envelope.deserialize(bytes(data)))
    except Exception as exc:  # protobuf's DecodeError, and whatever else bad bytes raise
        raise MalformedChange(f"Firestore event data is not a DocumentEventData ({exc})") from None
    new = _item(message.value) if message.HasField("value") else None
    old = _item(message.old_value) if message.HasField("old_value") else None
    if not kind:
        kind = "insert" if old is None else "remove" if new is None else "modify"
    if (kind != "remove" and new is None) or (kind == "remove" and old is None):
        raise MalformedChange(f"a Firestore {kind} event without the document it is about")
    document = message.value if new is not None else message.old_value
    return Change(
        kind,  # type: ignore[arg-type]
        _collection(document.name, attributes.get("subject")),
        {},
        new=new,
        old=old,
        id=str(attributes.get("id", "")),
        time=attributes.get("time") if isinstance(attributes.get("time"), str) else None,
        raw=raw,
    )


def _collection(name: str, subject: Any) -> str:
    """The collection a document belongs to: ``.../documents/<collection>/<id>``."""
    path = name.partition("/documents/")[2] if "/documents/" in name else ""
    if not path and isinstance(subject, str):
        path = subject.removeprefix("documents/")
    parts = path.split("/")
    if len(parts) < 2 or len(parts) % 2 or not all(parts):
        raise MalformedChange(f"{name or subject!r} does not name a document in a collection")
    return parts[-2]


def _item(document: Any) -> dict[str, Any]:
    return {name: _value(value) for name, value in document.fields.items()}


def _value(value: Any) -> Any:
    which = value.WhichOneof("value_type")
    if which == "null_value" or which is None:
        return None
    if which == "boolean_value":
        return value.boolean_value
    if which == "integer_value":
        return value.integer_value
    if which == "double_value":
        return value.double_value
    if which == "string_value":
        return value.string_value
    if which == "bytes_value":
        return value.bytes_value
    if which == "array_value":
        return [_value(v) for v in value.array_value.values]
    if which == "map_value":
        return {k: _value(v) for k, v in value.map_value.fields.items()}
    if which == "timestamp_value":
        # polyfn writes no timestamps; a document another tool wrote reads as ISO text.
        return value.timestamp_value.ToJsonString()
    if which == "reference_value":
        return value.reference_value
    if which == "geo_point_value":
        point = value.geo_point_value
        return {"latitude": point.latitude, "longitude": point.longitude}
    raise MalformedChange(f"unknown Firestore value type {which!r}")


def encode_event_data(
    collection: str,
    document_id: str,
    new: Mapping[str, Any] | None,
    old: Mapping[str, Any] | None,
    project: str = "demo-project",
) -> bytes:
    """The ``DocumentEventData`` Firestore sends for a write of ``old`` -> ``new`` (the
    event generators and tests build payloads with it; the protobuf types are the SDK's)."""
    from google.cloud.firestore_v1.types import Document, DocumentMask

    name = f"projects/{project}/databases/(default)/documents/{collection}/{document_id}"
    envelope = _event_data_type()
    fields: dict[str, Any] = {}
    if new is not None:
        fields["value"] = Document(name=name, fields=_fields(new))
    if old is not None:
        fields["old_value"] = Document(name=name, fields=_fields(old))
    if new is not None and old is not None:
        changed = sorted(k for k in {*new, *old} if new.get(k) != old.get(k) or k not in new)
        fields["update_mask"] = DocumentMask(field_paths=changed)
    return bytes(envelope.serialize(envelope(**fields)))


def _fields(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _to_value(value) for name, value in item.items()}


def _to_value(value: Any) -> Any:
    from google.cloud.firestore_v1.types import ArrayValue, MapValue, Value

    if value is None:
        return Value(null_value=0)
    if isinstance(value, bool):
        return Value(boolean_value=value)
    if isinstance(value, int):
        return Value(integer_value=value)
    if isinstance(value, float):
        return Value(double_value=value)
    if isinstance(value, str):
        return Value(string_value=value)
    if isinstance(value, bytes):
        return Value(bytes_value=value)
    if isinstance(value, list | tuple):
        return Value(array_value=ArrayValue(values=[_to_value(v) for v in value]))
    if isinstance(value, Mapping):
        return Value(map_value=MapValue(fields=_fields(value)))
    raise TypeError(f"no Firestore value for {type(value).__name__}")
