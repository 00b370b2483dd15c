"""Event buses: the publishing side of ``app.on_event``.

``orders = app.event_bus("orders")`` declares a bus; ``orders.publish(source=..., type=...,
data=...)`` sends one event to it, and every function declared with
``app.on_event(bus=orders, source=..., type=...)`` whose filters match receives it, on
every runtime:

- AWS: an EventBridge custom event bus (``PutEvents``: ``Source``, ``DetailType``,
  ``Detail``); rules on that bus match ``source`` and ``detail-type``.
- Azure: an Event Grid custom topic with the CloudEvents 1.0 input schema; polyfn's
  ``source`` is the CloudEvent ``source`` (in the Event Grid schema the topic would take
  that place), ``type`` the CloudEvent ``type``.
- Google Cloud: a Pub/Sub topic; ``source`` and ``type`` travel as the ``ce-source`` and
  ``ce-type`` message attributes of the CloudEvents Pub/Sub binding, read back by the
  adapter, because Eventarc's Pub/Sub trigger cannot filter on them.
- local: the runtime delivers to matching functions in-process, with the retries of the
  other local events.

The event handed to the backend is an ``OutgoingEvent``: its id and time are chosen here,
so every cloud receives the same values.
"""

from __future__ import annotations

from polyfn.core import json_codec
from polyfn.core.resources import Resource

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from typing import Any

    from polyfn.core.functions import Function

__all__ = ["MAX_EVENT_DATA_BYTES", "EventBus", "OutgoingEvent"]

# The portable size of one event's data: EventBridge refuses a PutEvents entry over 256 KB
# (Amazon EventBridge User Guide, "Calculating PutEvents event entry size"), the smallest
# of the three (an Event Grid event may be 1 MB, a Pub/Sub message 10 MB). The envelope
# (source, type, subject) is bounded below, so the data gets the rest.
MAX_EVENT_DATA_BYTES = 256 * 1024 - 4 * 1024
_MAX_FIELD_CHARS = 256


class OutgoingEvent:
    """One event as published: what every backend sends, whatever its wire format."""

    __slots__ = ("data", "data_json", "id", "source", "subject", "time", "trace", "type")

    def __init__(
        self,
        id: str,
        source: str,
        type: str,
        data: Any,
        data_json: str,
        time: str,
        subject: str | None = None,
        trace: dict[str, str] | None = None,
    ) -> None:
        self.id = id
        self.source = source
        self.type = type
        self.data = data
        # The data already encoded, once: backends that send text send exactly this.
        self.data_json = data_json
        self.time = time
        self.subject = subject
        # The publishing invocation's trace, correlation id and hop count as CloudEvents
        # extension attributes (core.trace_context.EVENT_EXTENSION_NAMES); empty outside
        # an invocation. Each backend carries them its way; subscribers continue the trace
        # and the loop guard counts.
        self.trace: dict[str, str] = trace if trace is not None else {}

    def __repr__(self) -> str:
        return f"<OutgoingEvent {self.type} from {self.source}>"


class EventBus(Resource):
    """Publish events that ``app.on_event(bus=this, ...)`` functions receive."""

    kind = "event_bus"
    __slots__ = ()

    def publish(
        self, *, source: str, type: str, data: Any = None, subject: str | None = None
    ) -> str:
        """Send one event; ``data`` is a dict (a JSON object; None sends ``{}``). Returns
        the id subscribers see (EventBridge assigns its own; the others keep polyfn's).

        Raises ``ValueError`` for a source, type or data no cloud would accept, before
        anything is sent.
        """
        event = self.build(source=source, type=type, data=data, subject=subject)
        return self._get_backend().publish(event)  # type: ignore[no-any-return]

    def build(
        self, *, source: str, type: str, data: Any = None, subject: str | None = None
    ) -> OutgoingEvent:
        """The event ``publish`` would send, checked, with its id and time chosen."""
        import uuid
        from datetime import UTC, datetime

        data = {} if data is None else data
        return OutgoingEvent(
            uuid.uuid4().hex,
            _check_field("source", source),
            _check_field("type", type),
            data,
            _encode_data(data),
            datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            subject if subject is None else _check_field("subject", subject),
            _publishing_trace(),
        )

    def subscribers(self) -> list[Function]:
        """The functions declared with ``on_event(bus=this)``, in declaration order."""
        from polyfn.core.functions import EventTrigger

        return [
            fn
            for fn in self._app.functions.values()
            if isinstance(fn.trigger, EventTrigger) and fn.trigger.bus is self
        ]


def _publishing_trace() -> dict[str, str]:
    from polyfn.core.context import _current

    ctx = _current.get()
    if ctx is None:
        return {}
    from polyfn.core.trace_context import event_extensions

    return event_extensions(ctx.trace)


def _check_field(label: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"event {label} must be a non-empty string")
    if len(value) > _MAX_FIELD_CHARS:
        raise ValueError(f"event {label} is over {_MAX_FIELD_CHARS} characters")
    if not value.isprintable():
        raise ValueError(f"event {label} {value!r} holds control characters")
    if label != "subject" and "*" in value:
        # '*' is how on_event says "any" or "a prefix"; a published value holding one
        # would be matched differently by each cloud's filter.
        raise ValueError(f"event {label} {value!r} may not contain '*'")
    if label == "source" and value.startswith("aws."):
        # EventBridge reserves sources starting with "aws." for AWS services (PutEvents
        # refuses them), so such an event could not be published there.
        raise ValueError(f"event source {value!r} may not start with 'aws.' (AWS reserves it)")
    return value


def _encode_data(data: Any) -> str:
    if not isinstance(data, dict):
        # EventBridge's Detail must be a JSON object; one rule for every cloud.
        raise ValueError(f"event data must be a dict (a JSON object), not {type(data).__name__}")
    try:
        text = json_codec.encode(data)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"event data must be JSON-serialisable: {exc}") from None
    if len(text.encode()) > MAX_EVENT_DATA_BYTES:
        raise ValueError(
            f"event data is over {MAX_EVENT_DATA_BYTES} bytes as JSON "
            "(EventBridge's 256 KB entry limit, the smallest of the clouds)"
        )
    return text
