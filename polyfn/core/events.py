"""The non-HTTP inputs: object events, queue messages, schedule ticks and other events.

All are plain read-only values. ``raw`` keeps the native record for what polyfn does not
model; reading it ties the code to one cloud.
"""

from __future__ import annotations

from polyfn.core import json_codec

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import datetime
    from typing import Any, Literal

    ObjectAction = Literal["created", "deleted"]
else:
    ObjectAction = str  # what type checkers read as Literal["created", "deleted"]

__all__ = ["BadPayload", "Event", "Message", "ObjectEvent", "Schedule"]


class BadPayload(ValueError):
    """A message or event body could not be decoded as the handler asked."""


class ObjectEvent:
    """An object was created (or overwritten) or deleted in a bucket.

    ``bucket`` is the logical name declared with ``app.bucket`` when the adapter can map
    it back, else the physical name. ``key`` is always decoded (S3 URL-encodes keys).
    """

    __slots__ = (
        "_metadata",
        "_metadata_reader",
        "action",
        "bucket",
        "content_type",
        "etag",
        "id",
        "key",
        "raw",
        "size",
        "time",
    )

    def __init__(
        self,
        action: ObjectAction,
        bucket: str,
        key: str,
        *,
        size: int | None = None,
        etag: str | None = None,
        content_type: str | None = None,
        time: str | None = None,
        id: str | None = None,
        raw: Any = None,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        self.action = action
        self.bucket = bucket
        self.key = key
        # The object's user metadata where the event carries it (Cloud Storage's and the
        # blob trigger's do); None when it does not (S3's, Event Grid's), and dispatch
        # then gives a reader that asks the bucket on first use (``metadata``).
        self._metadata: Mapping[str, str] | None = metadata
        self._metadata_reader: Callable[[], Mapping[str, str]] | None = None
        self.size = size
        self.etag = etag
        self.content_type = content_type
        self.time = time
        self.id = id
        self.raw = raw

    @property
    def metadata(self) -> Mapping[str, str]:
        """The object's user metadata: the trace and hop count a polyfn writer stored
        there (``core.trace_context.OBJECT_METADATA_NAMES``) and whatever else its writer
        set. Read from the event where it carries them, else with one request to the
        bucket (a HEAD) the first time it is asked for; empty for a deleted object."""
        found = self._metadata
        if found is None:
            reader, self._metadata_reader = self._metadata_reader, None
            found = self._metadata = reader() if reader is not None else {}
        return found

    @property
    def metadata_carried(self) -> bool:
        """Whether the metadata is known without asking the bucket."""
        return self._metadata is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "bucket": self.bucket,
            "key": self.key,
            "size": self.size,
            "etag": self.etag,
            "content_type": self.content_type,
            "time": self.time,
            "id": self.id,
        }

    def __repr__(self) -> str:
        return f"<ObjectEvent {self.action} {self.bucket}/{self.key}>"


class Message:
    """One queue message. Raising from its handler marks this message, and only it, failed."""

    __slots__ = ("_body", "_body_source", "attributes", "id", "queue", "raw", "receive_count")

    def __init__(
        self,
        id: str,
        body: bytes | str,
        *,
        attributes: Mapping[str, str] | None = None,
        receive_count: int | None = None,
        queue: str = "",
        raw: Any = None,
    ) -> None:
        self.id = id
        # Keep the body as it arrived and encode on first read; most SQS bodies are text.
        self._body_source = body
        self._body: bytes | None = body if isinstance(body, bytes) else None
        self.attributes: Mapping[str, str] = attributes if attributes is not None else {}
        self.receive_count = receive_count
        self.queue = queue
        self.raw = raw

    @property
    def body(self) -> bytes:
        body = self._body
        if body is None:
            body = self._body = str(self._body_source).encode()
        return body

    @property
    def text(self) -> str:
        source = self._body_source
        if isinstance(source, str):
            return source
        return source.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body parsed as JSON; raises ``BadPayload`` (so the message fails) if it is not."""
        try:
            return json_codec.decode(self._body_source)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadPayload(f"message {self.id} body is not valid JSON") from exc

    def to_dict(self) -> dict[str, Any]:
        import base64

        return {
            "id": self.id,
            "body": self.body.decode("utf-8") if _is_utf8(self.body) else None,
            "body_base64": base64.b64encode(self.body).decode(),
            "attributes": dict(self.attributes),
            "receive_count": self.receive_count,
            "queue": self.queue,
        }

    def __repr__(self) -> str:
        return f"<Message {self.id} on {self.queue or '?'}>"


class Schedule:
    """A schedule tick: when it fired (ISO 8601, UTC) and the schedule's name."""

    __slots__ = ("name", "raw", "time")

    def __init__(self, time: str, name: str, *, raw: Any = None) -> None:
        self.time = time
        self.name = name
        self.raw = raw

    @property
    def datetime(self) -> datetime:
        from datetime import datetime

        return datetime.fromisoformat(self.time.replace("Z", "+00:00"))

    def to_dict(self) -> dict[str, Any]:
        return {"time": self.time, "name": self.name}

    def __repr__(self) -> str:
        return f"<Schedule {self.name} at {self.time}>"


class Event:
    """Any other event, shaped like a CloudEvent (id, source, type, subject, time, data)."""

    __slots__ = ("data", "id", "raw", "source", "subject", "time", "trace", "type")

    def __init__(
        self,
        id: str,
        source: str,
        type: str,
        *,
        subject: str | None = None,
        time: str | None = None,
        data: Any = None,
        raw: Any = None,
        trace: Mapping[str, str] | None = None,
    ) -> None:
        self.id = id
        self.source = source
        self.type = type
        self.subject = subject
        self.time = time
        self.data = data
        self.raw = raw
        # What a polyfn publisher's event carried of its trace, correlation id and hop
        # count, by the names core.trace_context reads (``traceparent``, ...); empty for
        # an event from elsewhere.
        self.trace: Mapping[str, str] = trace if trace is not None else {}

    def to_dict(self) -> dict[str, Any]:
        data = self.data
        if isinstance(data, bytes | bytearray):
            import base64

            data = {"data_base64": base64.b64encode(data).decode()}
        return {
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "subject": self.subject,
            "time": self.time,
            "data": data,
        }

    def __repr__(self) -> str:
        return f"<Event {self.type} from {self.source}>"


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
