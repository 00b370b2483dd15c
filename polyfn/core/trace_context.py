"""Trace context: which trace an invocation belongs to, and what it hands onward.

An invocation reads its trace from what arrived (HTTP headers, message attributes) and
writes it into what polyfn sends for it (queue messages), so a consumer's log lines carry
the trace id and correlation id of the request that caused them, on every cloud. The
same record counts hops, so a function that keeps triggering itself is stopped
(``Context.trace.hops``; the guard is in ``core.dispatch``).

Header formats (facts, with their sources):

- W3C ``traceparent``: ``version-traceid-parentid-flags``, lowercase hex, 2-32-16-2
  digits; version ``ff`` is invalid; all-zero trace or parent ids are invalid; a later
  version may append ``-...`` after the 55 characters of version 00
  (https://www.w3.org/TR/trace-context/#traceparent-header). ``tracestate`` is carried
  as it came (at most 512 characters kept, the size the spec says a vendor must accept).
- AWS ``X-Amzn-Trace-Id`` (also Lambda's ``_X_AMZN_TRACE_ID``):
  ``Root=1-<8 hex epoch>-<24 hex>;Parent=<16 hex>;Sampled=0|1``; the X-Ray root without
  its ``1-`` and dashes is the W3C trace id
  (https://docs.aws.amazon.com/xray/latest/devguide/xray-concepts.html#xray-concepts-tracingheader).
- Google ``X-Cloud-Trace-Context``: ``TRACE_ID/SPAN_ID;o=1`` with a 32-hex trace id and
  a decimal span id (https://cloud.google.com/trace/docs/trace-context#legacy-http-header).

A malformed header is ignored and a new trace started: tracing never fails a request.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "CORRELATION_HEADER",
    "EVENT_EXTENSION_NAMES",
    "HOPS_ATTRIBUTE",
    "MAX_CORRELATION_CHARS",
    "OBJECT_METADATA_NAMES",
    "TRACE_DETAIL_KEY",
    "TraceContext",
    "carrier_from_extensions",
    "carrier_from_metadata",
    "event_extensions",
    "parse_cloud_trace",
    "parse_traceparent",
    "parse_xray",
    "trace_from",
    "xray_header",
]

CORRELATION_HEADER = "x-correlation-id"
HOPS_ATTRIBUTE = "polyfn-hops"
# A correlation id is an opaque label; one longer than this is cut, not refused.
MAX_CORRELATION_CHARS = 128
_MAX_TRACESTATE_CHARS = 512

# The names the trace travels under in an object's user metadata, per carried attribute.
# Azure requires blob metadata names to be C# identifiers ("Naming and referencing
# containers, blobs, and metadata": no '-'); S3 stores user metadata keys lowercased
# ("Working with object metadata", x-amz-meta-*); Cloud Storage keeps any name. So:
# lowercase, '_' for '-'. What they hold stays far below S3's 2 KB of user metadata.
OBJECT_METADATA_NAMES = {
    "traceparent": "traceparent",
    "tracestate": "tracestate",
    CORRELATION_HEADER: "polyfn_correlation_id",
    HOPS_ATTRIBUTE: "polyfn_hops",
}
_CARRIED_FROM_METADATA = {stored: carried for carried, stored in OBJECT_METADATA_NAMES.items()}
# The names the trace travels under in a published event: CloudEvents extension
# attributes (lowercase letters and digits, at most 20 characters: CloudEvents 1.0,
# "Attribute Naming Convention"); ``traceparent``/``tracestate`` are the CloudEvents
# Distributed Tracing extension's own. Event Grid keeps them as top-level attributes,
# Pub/Sub as ``ce-`` attributes (binary mode); EventBridge has no place for extensions,
# so there they ride in the detail under ``TRACE_DETAIL_KEY``, removed on arrival.
EVENT_EXTENSION_NAMES = {
    "traceparent": "traceparent",
    "tracestate": "tracestate",
    CORRELATION_HEADER: "polyfncorrelationid",
    HOPS_ATTRIBUTE: "polyfnhops",
}
_CARRIED_FROM_EXTENSIONS = {named: carried for carried, named in EVENT_EXTENSION_NAMES.items()}
TRACE_DETAIL_KEY = "_polyfn"
_HEX = frozenset("0123456789abcdef")
_ZERO_TRACE = "0" * 32
_ZERO_SPAN = "0" * 16


class TraceContext:
    """One invocation's place in a trace, and the correlation id and hop count it carries.

    ``span_id`` is this invocation's own span; ``parent_id`` the caller's (None when the
    trace starts here). ``hops`` counts the polyfn-initiated sends that led here: 0 for
    a request from outside.
    """

    __slots__ = (
        "correlation_id",
        "hops",
        "parent_id",
        "sampled",
        "span_id",
        "trace_id",
        "tracestate",
    )

    def __init__(
        self,
        trace_id: str,
        span_id: str,
        parent_id: str | None = None,
        sampled: bool = True,
        tracestate: str = "",
        correlation_id: str = "",
        hops: int = 0,
    ) -> None:
        self.trace_id = trace_id
        self.span_id = span_id
        self.parent_id = parent_id
        self.sampled = sampled
        self.tracestate = tracestate
        self.correlation_id = correlation_id or trace_id
        self.hops = hops

    @property
    def traceparent(self) -> str:
        """The W3C header naming this invocation's span as the parent of what it sends."""
        return f"00-{self.trace_id}-{self.span_id}-{'01' if self.sampled else '00'}"

    @property
    def xray_trace_id(self) -> str:
        """The trace id written the X-Ray way (``1-<8 hex>-<24 hex>``)."""
        return f"1-{self.trace_id[:8]}-{self.trace_id[8:]}"

    def outgoing(self) -> dict[str, str]:
        """The attributes a message sent from this invocation carries: the trace (this
        span as parent), the correlation id and one hop more."""
        carried = {
            "traceparent": self.traceparent,
            CORRELATION_HEADER: self.correlation_id,
            HOPS_ATTRIBUTE: str(self.hops + 1),
        }
        if self.tracestate:
            carried["tracestate"] = self.tracestate
        return carried

    def object_metadata(self) -> dict[str, str]:
        """``outgoing`` under the names an object's user metadata can hold, on every
        cloud (``OBJECT_METADATA_NAMES``): what a bucket write from this invocation
        stores with the object."""
        return {OBJECT_METADATA_NAMES[name]: value for name, value in self.outgoing().items()}

    def __repr__(self) -> str:
        return f"<TraceContext {self.trace_id}/{self.span_id} hops={self.hops}>"


def new_span_id() -> str:
    return os.urandom(8).hex()


def new_trace_id() -> str:
    return os.urandom(16).hex()


def parse_traceparent(value: str) -> tuple[str, str, bool] | None:
    """(trace id, parent id, sampled) from a W3C ``traceparent``; None when malformed."""
    value = value.strip()
    if len(value) < 55 or (len(value) > 55 and value[55] != "-"):
        return None
    version, trace_id, parent_id, flags = value[:2], value[3:35], value[36:52], value[53:55]
    if value[2] != "-" or value[35] != "-" or value[52] != "-":
        return None
    if not _is_hex(version + trace_id + parent_id + flags) or version == "ff":
        return None
    if version == "00" and len(value) != 55:
        return None
    if trace_id == _ZERO_TRACE or parent_id == _ZERO_SPAN:
        return None
    return trace_id, parent_id, bool(int(flags, 16) & 1)


def parse_xray(value: str) -> tuple[str, str | None, bool] | None:
    """(trace id, parent id, sampled) from an ``X-Amzn-Trace-Id``; None when malformed."""
    fields: dict[str, str] = {}
    for part in value.split(";"):
        name, _, field = part.strip().partition("=")
        fields[name.strip().lower()] = field.strip()
    root = fields.get("root", "")
    version, _, rest = root.partition("-")
    epoch, _, unique = rest.partition("-")
    trace_id = (epoch + unique).lower()
    if version != "1" or len(epoch) != 8 or len(trace_id) != 32 or not _is_hex(trace_id):
        return None
    if trace_id == _ZERO_TRACE:
        return None
    parent = fields.get("parent", "").lower()
    parent_id = parent if len(parent) == 16 and _is_hex(parent) and parent != _ZERO_SPAN else None
    return trace_id, parent_id, fields.get("sampled") != "0"


def parse_cloud_trace(value: str) -> tuple[str, str | None, bool] | None:
    """(trace id, parent id, sampled) from an ``X-Cloud-Trace-Context``; None if malformed."""
    head, _, options = value.strip().partition(";")
    trace_id, _, span = head.partition("/")
    trace_id = trace_id.lower()
    if len(trace_id) != 32 or not _is_hex(trace_id) or trace_id == _ZERO_TRACE:
        return None
    parent_id: str | None = None
    if span.isdigit() and 0 < int(span) < 2**64:
        parent_id = f"{int(span):016x}"
    return trace_id, parent_id, options.strip() != "o=0"


def trace_from(
    carrier: Mapping[str, str] | None, platform: Mapping[str, str] | None = None
) -> TraceContext:
    """The trace an invocation continues, from what arrived with it.

    ``carrier`` is the request's headers or the message's attributes (``get`` by
    lowercase name); ``platform`` what the platform hands over outside them, in the same
    names (Lambda's ``_X_AMZN_TRACE_ID`` as ``x-amzn-trace-id``, the Azure host's trace
    context as ``traceparent``). W3C wins over the vendors' headers, the event's own
    over the platform's. A new trace starts when nothing valid arrived.
    """
    found: tuple[str, str | None, bool] | None = None
    tracestate = correlation = ""
    hops = 0
    if carrier is not None:
        found, tracestate = _found_in(carrier)
        correlation = (carrier.get(CORRELATION_HEADER) or "").strip()[:MAX_CORRELATION_CHARS]
        hops = _hops(carrier.get(HOPS_ATTRIBUTE))
    if found is None and platform is not None:
        found, tracestate = _found_in(platform)
    if found is None:
        return TraceContext(new_trace_id(), new_span_id(), None, True, "", correlation, hops)
    trace_id, parent_id, sampled = found
    return TraceContext(trace_id, new_span_id(), parent_id, sampled, tracestate, correlation, hops)


def carrier_from_metadata(metadata: Mapping[str, str]) -> dict[str, str]:
    """The trace attributes an object's user metadata holds, under the names
    ``trace_from`` reads (empty when a writer outside polyfn stored the object). Names are
    matched case-insensitively: Azure and the S3 API may hand them back in another case."""
    return _renamed(metadata, _CARRIED_FROM_METADATA)


def event_extensions(trace: TraceContext) -> dict[str, str]:
    """``trace.outgoing()`` as CloudEvents extension attributes (``EVENT_EXTENSION_NAMES``)."""
    return {EVENT_EXTENSION_NAMES[name]: value for name, value in trace.outgoing().items()}


def carrier_from_extensions(extensions: Mapping[str, object]) -> dict[str, str]:
    """The trace attributes among an event's extension attributes (``ce-`` prefixed or
    not), under the names ``trace_from`` reads; anything else, or a non-text value, is
    not polyfn's and is left out."""
    named = {
        name.removeprefix("ce-"): value
        for name, value in extensions.items()
        if isinstance(name, str) and isinstance(value, str)
    }
    return _renamed(named, _CARRIED_FROM_EXTENSIONS)


def xray_header(traceparent: str) -> str | None:
    """The ``X-Amzn-Trace-Id`` naming the same trace and parent as a W3C ``traceparent``
    (what EventBridge's ``TraceHeader`` and Step Functions' ``traceHeader`` take); None
    for a malformed one."""
    found = parse_traceparent(traceparent)
    if found is None:
        return None
    trace_id, parent_id, sampled = found
    return f"Root=1-{trace_id[:8]}-{trace_id[8:]};Parent={parent_id};Sampled={int(sampled)}"


def _renamed(found: Mapping[str, object], names: Mapping[str, str]) -> dict[str, str]:
    carrier: dict[str, str] = {}
    for name, value in found.items():
        carried = names.get(name.lower()) if isinstance(name, str) else None
        if carried is not None and isinstance(value, str):
            carrier[carried] = value
    return carrier


def _found_in(carrier: Mapping[str, str]) -> tuple[tuple[str, str | None, bool] | None, str]:
    found: tuple[str, str | None, bool] | None = None
    traceparent = carrier.get("traceparent")
    if traceparent:
        found = parse_traceparent(traceparent)
    if found is None:
        xray = carrier.get("x-amzn-trace-id")
        found = parse_xray(xray) if xray else None
    if found is None:
        cloud = carrier.get("x-cloud-trace-context")
        found = parse_cloud_trace(cloud) if cloud else None
    if found is None:
        return None, ""
    return found, (carrier.get("tracestate") or "")[:_MAX_TRACESTATE_CHARS]


def _hops(value: str | None) -> int:
    # A count that is not a small non-negative integer was not written by polyfn: it
    # counts as none rather than failing or blocking the message.
    if value and value.isdigit() and len(value) <= 6:
        return int(value)
    return 0


def _is_hex(text: str) -> bool:
    return all(char in _HEX for char in text)
