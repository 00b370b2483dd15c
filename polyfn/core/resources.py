"""Buckets, queues and tables: the handles a handler uses and the ports adapters implement.

A handle (``app.bucket("uploads")``) is declared at import time, before anyone knows the
cloud. On first use it asks the App for a backend; the runtime the App runs in (the AWS
adapter, the local runtime, ...) has bound a ``BackendProvider`` by then. The backend is
cached on the handle, so the SDK client behind it lives as long as the process, the way
serverless platforms reward (connections are reused across invocations).

Binding: the physical name of a resource is read from ``POLYFN_<KIND>_<NAME>`` where KIND
is BUCKET, QUEUE or TABLE and NAME is the logical name upper-cased with every character
outside [A-Z0-9] replaced by ``_``; without that variable it is the logical name.
"""

from __future__ import annotations

from collections.abc import Mapping

from polyfn.core.context import _current
from polyfn.core.errors import ConfigError, PolyfnError
from polyfn.core.settings import settings
from polyfn.core.spans import TRACER

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any, Generic, TypeVar

    from polyfn.core.app import App

    T = TypeVar("T")
    Item = dict[str, Any]
else:
    from polyfn.core.cheap_typing import Generic, T

    Item = dict  # what type checkers read as dict[str, Any]

__all__ = [
    "Bucket",
    "ObjectInfo",
    "ObjectNotFound",
    "Page",
    "Queue",
    "Resource",
    "Table",
    "binding_variable",
    "physical_name",
]


def __getattr__(name: str) -> object:
    # The ports used to live here; they moved to polyfn.core.ports so that importing
    # the handles does not import typing.Protocol.
    if name in ("BackendProvider", "BucketBackend", "QueueBackend", "TableBackend"):
        from polyfn.core import ports

        return getattr(ports, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")
_LOGICAL_CHARS = _LOWER | frozenset("0123456789-")
_UPPER_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def _is_logical_name(name: str) -> bool:
    # [a-z][a-z0-9-]{0,47}, checked without importing re
    return 0 < len(name) <= 48 and name[0] in _LOWER and _LOGICAL_CHARS.issuperset(name)


_BINDING_VARIABLES: dict[tuple[str, str], str] = {}


def binding_variable(kind: str, logical: str) -> str:
    """``POLYFN_BUCKET_UPLOADS`` for ``("bucket", "uploads")``."""
    # Memoised: queue and bucket lookups ask on every invocation. The keys are declared
    # resource names, so few.
    key = (kind, logical)
    variable = _BINDING_VARIABLES.get(key)
    if variable is None:
        name = "".join(c if c in _UPPER_ALNUM else "_" for c in logical.upper())
        variable = f"POLYFN_{kind.upper()}_{name}"
        _BINDING_VARIABLES[key] = variable
    return variable


def physical_name(kind: str, logical: str, environ: Mapping[str, str] | None = None) -> str:
    """The name on the cloud: ``environ``'s binding variable (default: the deployment's
    settings, ``core.settings``), else the logical name."""
    env = settings() if environ is None else environ
    return env.get(binding_variable(kind, logical)) or logical


class ObjectNotFound(PolyfnError, KeyError):
    """``Bucket.read`` of a key that does not exist."""

    def __init__(self, bucket: str, key: str) -> None:
        super().__init__(f"no object {key!r} in bucket {bucket!r}")
        self.bucket = bucket
        self.key = key

    def __str__(self) -> str:
        return str(self.args[0])


class ObjectInfo:
    """What a bucket knows about one object."""

    __slots__ = ("content_type", "etag", "key", "modified", "size")

    def __init__(
        self,
        key: str,
        size: int,
        *,
        etag: str | None = None,
        content_type: str | None = None,
        modified: str | None = None,
    ) -> None:
        self.key = key
        self.size = size
        self.etag = etag
        self.content_type = content_type
        self.modified = modified

    def __repr__(self) -> str:
        return f"<ObjectInfo {self.key} {self.size} bytes>"


class Page(Generic[T]):
    """One page of a listing; pass ``cursor`` back to get the next (None: no more)."""

    __slots__ = ("cursor", "items")

    def __init__(self, items: list[T], cursor: str | None = None) -> None:
        self.items = items
        self.cursor = cursor

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


# ----------------------------------------------------------------------------- ports


# ----------------------------------------------------------------------------- handles


class Resource:
    kind = ""

    __slots__ = ("_app", "name")

    def __init__(self, app: App, name: str) -> None:
        if not _is_logical_name(name):
            raise ConfigError(
                f"{self.kind} name {name!r} must be 1-48 characters of lower-case letters, "
                "digits and '-', starting with a letter (every cloud accepts those)"
            )
        self._app = app
        self.name = name

    @property
    def physical_name(self) -> str:
        """The name on the cloud, from ``POLYFN_<KIND>_<NAME>`` or the logical name."""
        return physical_name(self.kind, self.name)

    @property
    def binding_variable(self) -> str:
        return binding_variable(self.kind, self.name)

    def _get_backend(self) -> Any:
        backend = self._app.backend_for(self)
        tracer = TRACER[0]
        return backend if tracer is None else _TracedBackend(backend, self, tracer)

    @property
    def backend(self) -> Any:
        """The backend object (an SDK wrapper); using it directly is not portable."""
        return self._get_backend()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


class _TracedBackend:
    """A backend whose every call is a span (``core.spans``: a tracer is installed)."""

    __slots__ = ("_backend", "_resource", "_tracer")

    def __init__(self, backend: Any, resource: Resource, tracer: Any) -> None:
        self._backend = backend
        self._resource = resource
        self._tracer = tracer

    def __getattr__(self, operation: str) -> Any:
        attribute = getattr(self._backend, operation)
        if not callable(attribute):
            return attribute
        resource, tracer = self._resource, self._tracer

        def traced(*args: Any, **kwargs: Any) -> Any:
            span = tracer.resource_call(
                _current.get(), resource.kind, resource.name, resource.physical_name, operation
            )
            try:
                result = attribute(*args, **kwargs)
            except BaseException as exc:
                span.end(exc)
                raise
            span.end()
            return result

        return traced


class Bucket(Resource):
    """Objects by key: ``read``, ``write``, ``exists``, ``metadata``, ``list``, ``delete``."""

    kind = "bucket"
    __slots__ = ()

    def read(self, key: str) -> bytes:
        return self._get_backend().read(_check_key(key))  # type: ignore[no-any-return]

    def read_text(self, key: str) -> str:
        return self.read(key).decode("utf-8")

    def write(self, key: str, data: bytes | str, content_type: str | None = None) -> ObjectInfo:
        if isinstance(data, str):
            data = data.encode()
            content_type = content_type or "text/plain; charset=utf-8"
        return self._get_backend().write(_check_key(key), data, content_type)  # type: ignore[no-any-return]

    def exists(self, key: str) -> bool:
        return self._get_backend().exists(_check_key(key))  # type: ignore[no-any-return]

    def metadata(self, key: str) -> ObjectInfo | None:
        return self._get_backend().metadata(_check_key(key))  # type: ignore[no-any-return]

    def list(
        self, prefix: str = "", *, limit: int = 1000, cursor: str | None = None
    ) -> Page[ObjectInfo]:
        """One page of objects whose key starts with ``prefix``, in key order."""
        return self._get_backend().list(prefix, _check_limit(limit), cursor)  # type: ignore[no-any-return]

    def iter(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Every object under ``prefix``, following pages."""
        cursor: str | None = None
        while True:
            page = self.list(prefix, cursor=cursor)
            yield from page.items
            if page.cursor is None:
                return
            cursor = page.cursor

    def delete(self, key: str) -> None:
        self._get_backend().delete(_check_key(key))


class Queue(Resource):
    """Send messages; a handler declared with ``app.on_message(queue)`` receives them."""

    kind = "queue"
    __slots__ = ("max_receives", "visibility_timeout")

    def __init__(
        self, app: App, name: str, *, max_receives: int = 3, visibility_timeout: int = 30
    ) -> None:
        super().__init__(app, name)
        if not 1 <= max_receives <= 1000:
            raise ConfigError(f"queue {name!r}: max_receives must be 1-1000, got {max_receives}")
        if not 0 <= visibility_timeout <= 43200:
            raise ConfigError(
                f"queue {name!r}: visibility_timeout must be 0-43200 s, got {visibility_timeout}"
            )
        self.max_receives = max_receives
        self.visibility_timeout = visibility_timeout

    def send(
        self,
        body: bytes | str | dict[str, Any] | list[Any],
        *,
        attributes: Mapping[str, str] | None = None,
        delay_seconds: int = 0,
    ) -> str:
        """Send one message; dicts and lists are sent as JSON. Returns the message id."""
        return self._get_backend().send(  # type: ignore[no-any-return]
            _encode_body(body), _traced(_check_attributes(attributes)), _check_delay(delay_seconds)
        )

    def send_batch(
        self,
        bodies: list[bytes | str | dict[str, Any] | list[Any]],
        *,
        attributes: Mapping[str, str] | None = None,
        delay_seconds: int = 0,
    ) -> list[str]:
        """Send several messages (the backend splits them into the cloud's batch size)."""
        if not bodies:
            return []
        return self._get_backend().send_batch(  # type: ignore[no-any-return]
            [_encode_body(b) for b in bodies],
            _traced(_check_attributes(attributes)),
            _check_delay(delay_seconds),
        )


class Table(Resource):
    """Items (dicts) by a string key attribute: get, put, update, delete, query, scan."""

    kind = "table"
    __slots__ = ("key",)

    def __init__(self, app: App, name: str, *, key: str = "id") -> None:
        super().__init__(app, name)
        if not key or not key.isidentifier():
            raise ConfigError(f"table {name!r}: key must be an attribute name, got {key!r}")
        self.key = key

    def get(self, key: str) -> Item | None:
        return self._get_backend().get(_check_item_key(self, key))  # type: ignore[no-any-return]

    def put(self, item: Mapping[str, Any]) -> None:
        self._get_backend().put(self._checked_item(item))

    def put_if_absent(self, item: Mapping[str, Any]) -> bool:
        """Write only if no item has this key; True when written."""
        return self._get_backend().put_if_absent(self._checked_item(item))  # type: ignore[no-any-return]

    def update(self, key: str, changes: Mapping[str, Any]) -> Item:
        """Merge ``changes`` into an existing item and return it; ``KeyError`` if missing."""
        if self.key in changes and changes[self.key] != key:
            raise ValueError(f"table {self.name!r}: update cannot change the key {self.key!r}")
        return self._get_backend().update(_check_item_key(self, key), dict(changes))  # type: ignore[no-any-return]

    def delete(self, key: str) -> None:
        self._get_backend().delete(_check_item_key(self, key))

    def query(self, prefix: str = "", *, limit: int = 100, cursor: str | None = None) -> Page[Item]:
        """Items whose key starts with ``prefix``, in key order, one page at a time."""
        return self._get_backend().query(prefix, _check_limit(limit), cursor)  # type: ignore[no-any-return]

    def scan(self, *, limit: int = 100, cursor: str | None = None) -> Page[Item]:
        """Every item, one page at a time, in no promised order."""
        return self._get_backend().scan(_check_limit(limit), cursor)  # type: ignore[no-any-return]

    def _checked_item(self, item: Mapping[str, Any]) -> Item:
        if not isinstance(item, Mapping):
            raise TypeError(f"table {self.name!r}: an item must be a dict")
        key = item.get(self.key)
        if not isinstance(key, str) or not key:
            raise ValueError(
                f"table {self.name!r}: item needs a non-empty string {self.key!r} attribute"
            )
        return dict(item)


def _check_key(key: str) -> str:
    if not isinstance(key, str) or not key:
        raise ValueError("object key must be a non-empty string")
    if len(key.encode()) > 1024:
        raise ValueError("object key is over 1024 bytes (the S3 and Cloud Storage limit)")
    return key


def _check_item_key(table: Table, key: str) -> str:
    if not isinstance(key, str) or not key:
        raise ValueError(f"table {table.name!r}: key must be a non-empty string")
    return key


def _check_limit(limit: int) -> int:
    if not 1 <= limit <= 1000:
        raise ValueError(f"limit must be 1-1000, got {limit}")
    return limit


def _check_delay(delay: int) -> int:
    if not 0 <= delay <= 900:
        raise ValueError(f"delay_seconds must be 0-900 (the SQS maximum), got {delay}")
    return delay


def _check_attributes(attributes: Mapping[str, str] | None) -> Mapping[str, str]:
    if not attributes:
        return {}
    for name, value in attributes.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError("message attributes must be str -> str")
    return attributes


# SQS takes at most 10 message attributes, the fewest of the clouds' queues
# (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html).
_MAX_ATTRIBUTES = 10


def _traced(attributes: Mapping[str, str]) -> Mapping[str, str]:
    """The attributes with the sending invocation's trace, correlation id and hop count
    (``TraceContext.outgoing``): a consumer continues the trace and the loop guard counts.

    The user's own attributes win a name they share; when both together exceed the
    portable count, the user's are sent alone rather than refused by the queue.
    """
    ctx = _current.get()
    if ctx is None:
        return attributes  # sent outside an invocation (a script): nothing to carry on
    carried = ctx.trace.outgoing()
    carried.update(attributes)
    return carried if len(carried) <= _MAX_ATTRIBUTES else attributes


def _encode_body(body: bytes | str | dict[str, Any] | list[Any]) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    if isinstance(body, dict | list):
        from polyfn.core import json_codec

        return json_codec.encode(body).encode()
    raise TypeError(f"a message body must be bytes, str, dict or list, not {type(body).__name__}")
