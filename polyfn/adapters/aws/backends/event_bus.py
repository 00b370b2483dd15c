"""The event-bus port on an Amazon EventBridge custom event bus (``PutEvents``).

polyfn's event maps onto an entry as EventBridge's own fields: ``source`` is ``Source``,
``type`` is ``DetailType``, the data (JSON) is ``Detail`` and the subject the single
``Resources`` entry; the bus's rules match ``source`` and ``detail-type``, and the Lambda
adapter reads them back as ``Event.source`` and ``Event.type``. Fields and the per-entry
failure reporting (``FailedEntryCount``, ``Entries[].ErrorCode``) are from the Amazon
EventBridge API Reference, "PutEvents" (checked 2026-12).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from polyfn.adapters.aws.backends.clients import aws_client
from polyfn.adapters.aws.backends.errors import guard
from polyfn.adapters.common.errors import ResourceRef
from polyfn.core import json_codec
from polyfn.core.event_bus import OutgoingEvent
from polyfn.core.trace_context import TRACE_DETAIL_KEY, xray_header

__all__ = ["EventBridgeBus", "put_events_entry"]


class _EntryFailed(Exception):
    """PutEvents answered 200 but refused the entry; shaped like a botocore ClientError
    so the error mapping (and its retry of transient codes) treats it like one."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.response = {"Error": {"Code": code, "Message": message}}


def put_events_entry(event: OutgoingEvent, bus: str) -> dict[str, Any]:
    """The ``PutEvents`` entry publishing ``event`` on the bus named (or ARN) ``bus``."""
    detail = event.data_json
    entry: dict[str, Any] = {
        "EventBusName": bus,
        "Source": event.source,
        "DetailType": event.type,
        # Detail must be a JSON object, which is why core takes only dicts as data.
        "Detail": detail,
    }
    if event.trace:
        # An entry has no place for extension attributes: the publisher's trace rides in
        # the detail, taken out again by the Lambda adapter (records.eventbridge_event);
        # X-Ray gets the trace header PutEvents has a field for.
        entry["Detail"] = json_codec.encode({**event.data, TRACE_DETAIL_KEY: event.trace})
        header = xray_header(event.trace.get("traceparent", ""))
        if header:
            entry["TraceHeader"] = header
    if event.subject is not None:
        entry["Resources"] = [event.subject]
    return entry


class EventBridgeBus:
    """Publishes to one EventBridge event bus, named by its physical name or ARN."""

    def __init__(self, name: str, physical: str) -> None:
        self.ref = ResourceRef("aws", "event_bus", name, physical)

    @cached_property
    def _client(self) -> Any:
        return aws_client("events")

    def publish(self, event: OutgoingEvent) -> str:
        """Put one event; returns the id EventBridge gave it (the one rules deliver)."""
        entry = put_events_entry(event, self.ref.physical)

        def put() -> str:
            response = self._client.put_events(Entries=[entry])
            result = response["Entries"][0]
            if response.get("FailedEntryCount") or "EventId" not in result:
                raise _EntryFailed(
                    str(result.get("ErrorCode")), str(result.get("ErrorMessage") or "")
                )
            return str(result["EventId"])

        return guard(self.ref, put)
