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
    from collections.abc import Callable, Iterable, Iterator
    from typing import Any, Generic, TypeVar

    from polyfn.core.app import App
    from polyfn.core.table_conditions import Condition
    from polyfn.core.table_keys import SortCondition, TableIndex
    from polyfn.core.table_transactions import TxOperation

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
_STAGE_CHARS = _LOWER | frozenset("0123456789")
# table_keys.SHORT_KEY_CHARS, for the inline key checks of Table's hot paths (table_keys
# itself is imported on first use of a table, not at cold start; a test keeps them equal).
_SHORT_KEY_CHARS = 256


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
    """What a bucket knows about one object.

    ``metadata`` is the object's user metadata (S3's ``x-amz-meta-*``, a blob's metadata,
    a Cloud Storage object's custom metadata) where the call read it (``Bucket.metadata``
    does; a listing does not: None). polyfn keeps the writing invocation's trace and hop
    count there (``core.trace_context.OBJECT_METADATA_NAMES``).
    """

    __slots__ = ("content_type", "etag", "key", "metadata", "modified", "size")

    def __init__(
        self,
        key: str,
        size: int,
        *,
        etag: str | None = None,
        content_type: str | None = None,
        modified: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        self.key = key
        self.size = size
        self.etag = etag
        self.content_type = content_type
        self.modified = modified
        self.metadata = metadata

    def __repr__(self) -> str:
        return f"<ObjectInfo {self.key} {self.size} bytes>"


class Page(Generic[T]):
    """One page of a listing; pass ``cursor`` back to get the next (None: no more).

    A cursor costs a MAC and some base64 (``core.table_cursors``); a table listing makes
    it when ``cursor`` is first read (``deferred`` / ``convert_cursor``), so a caller
    that reads one page only does not pay for it (benchmarks/table_sqlite.py measures
    the index query with and without).
    """

    __slots__ = ("_cursor", "_make", "items")

    def __init__(self, items: list[T], cursor: str | None = None) -> None:
        self.items = items
        self._cursor = cursor
        self._make: Callable[[], str | None] | None = None

    @classmethod
    def deferred(cls, items: list[T], make_cursor: Callable[[], str | None] | None) -> Page[T]:
        """A page whose cursor ``make_cursor()`` makes when read (None: the last page)."""
        page = cls(items)
        page._make = make_cursor
        return page

    @property
    def cursor(self) -> str | None:
        make = self._make
        if make is not None:
            self._make = None
            self._cursor = make()
        return self._cursor

    @cursor.setter
    def cursor(self, value: str | None) -> None:
        self._cursor = value
        self._make = None

    def convert_cursor(self, convert: Callable[[str], str | None]) -> None:
        """Make ``cursor`` ``convert(cursor)`` when it is read (the last page stays None)."""
        make, value = self._make, self._cursor
        if make is None:
            if value is not None:
                self._make = lambda: convert(value)
            return

        def converted() -> str | None:
            inner = make()
            return None if inner is None else convert(inner)

        self._make = converted

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


# ----------------------------------------------------------------------------- ports


# ----------------------------------------------------------------------------- handles


EXISTING_CLOUDS = ("aws", "azure", "gcp")


def existing_resources(
    kind: str, name: str, existing: Mapping[str, Mapping[str, str]] | None
) -> dict[str, dict[str, str]]:
    """``existing`` checked and copied: ``{stage: {cloud: physical id}}``, where the id is
    what that cloud calls a resource that already exists (a name, an ARN, an
    ``account/name``); deploy references it at that stage instead of creating one."""
    if existing is None:
        return {}
    if not isinstance(existing, Mapping):
        raise ConfigError(f"{kind} {name!r}: existing must map a stage to {{cloud: id}}")
    checked: dict[str, dict[str, str]] = {}
    for stage, per_cloud in existing.items():
        if not isinstance(stage, str) or not isinstance(per_cloud, Mapping):
            raise ConfigError(
                f"{kind} {name!r}: existing must map a stage name to {{cloud: id}}, "
                f"got {stage!r}: {per_cloud!r}"
            )
        # The rule deploy's --stage follows (deploy.naming.check_stage): a key no stage
        # can have would silently never apply.
        if not (0 < len(stage) <= 16 and stage[0] in _LOWER and _STAGE_CHARS.issuperset(stage)):
            raise ConfigError(
                f"{kind} {name!r}: existing names stage {stage!r}; a stage is 1-16 lower-case "
                "letters and digits, starting with a letter"
            )
        for cloud, physical in per_cloud.items():
            if cloud not in EXISTING_CLOUDS:
                raise ConfigError(
                    f"{kind} {name!r}: existing names cloud {cloud!r}; expected one of "
                    + ", ".join(EXISTING_CLOUDS)
                )
            if not isinstance(physical, str) or not physical or physical != physical.strip():
                raise ConfigError(
                    f"{kind} {name!r}: the existing {cloud} id at stage {stage!r} must be a "
                    f"non-empty string without surrounding spaces, got {physical!r}"
                )
        checked[stage] = dict(per_cloud)
    return checked


class Resource:
    kind = ""

    __slots__ = ("_app", "existing", "name")

    def __init__(
        self, app: App, name: str, existing: Mapping[str, Mapping[str, str]] | None = None
    ) -> None:
        if not _is_logical_name(name):
            raise ConfigError(
                f"{self.kind} name {name!r} must be 1-48 characters of lower-case letters, "
                "digits and '-', starting with a letter (every cloud accepts those)"
            )
        self._app = app
        self.name = name
        # Resources that already exist, per stage and cloud (deploy.existing reads them).
        self.existing = existing_resources(self.kind, name, existing)

    def existing_on(self, stage: str, cloud: str) -> str | None:
        """The physical id this resource adopts at ``stage`` on ``cloud``, if any."""
        return self.existing.get(stage, {}).get(cloud)

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
        return self._get_backend().write(  # type: ignore[no-any-return]
            _check_key(key), data, content_type, _object_trace()
        )

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


# A queue that declares no visibility_timeout: a failed message comes back after this many
# seconds on the runtimes where the visibility timeout *is* the retry delay (the local
# SQLite queue, Azure's host.json visibilityTimeout). Not 6x the timeout, as deploy gives
# SQS (polyfn.core.defaults): a local retry three minutes later would make the loop crawl.
DEFAULT_RETRY_DELAY_SECONDS = 30


class Queue(Resource):
    """Send messages; a handler declared with ``app.on_message(queue)`` receives them."""

    kind = "queue"
    __slots__ = ("max_receives", "visibility_declared", "visibility_timeout")

    def __init__(
        self,
        app: App,
        name: str,
        *,
        max_receives: int = 3,
        visibility_timeout: int | None = None,
        existing: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        super().__init__(app, name, existing)
        if not 1 <= max_receives <= 1000:
            raise ConfigError(f"queue {name!r}: max_receives must be 1-1000, got {max_receives}")
        if visibility_timeout is not None and not 0 <= visibility_timeout <= 43200:
            raise ConfigError(
                f"queue {name!r}: visibility_timeout must be 0-43200 s, got {visibility_timeout}"
            )
        self.max_receives = max_receives
        # Unset, the runtimes use the retry delay below and deploy gives SQS and Pub/Sub
        # 6x the consumer's timeout (polyfn.core.defaults.deployed_visibility).
        self.visibility_declared = visibility_timeout is not None
        self.visibility_timeout = (
            DEFAULT_RETRY_DELAY_SECONDS if visibility_timeout is None else visibility_timeout
        )

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
    """Items (dicts) by a string partition key and an optional string sort key, with
    named secondary indexes: get, put, update, delete, query, scan, batches.

    ``app.table("orders", key="customer", sort="created", indexes={"by_status":
    ("status", "created")})``. Without ``sort`` an item is named by its key alone
    (``get("u1")``); with it by both parts (``get("c1", "2026-12-04")``).
    """

    kind = "table"
    __slots__ = ("expiry", "schema")

    def __init__(
        self,
        app: App,
        name: str,
        *,
        key: str = "id",
        sort: str | None = None,
        indexes: Mapping[str, str | tuple[str, str] | tuple[str]] | None = None,
        existing: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        from polyfn.core.table_keys import KeySchema

        super().__init__(app, name, existing)
        if not key or not key.isidentifier():
            raise ConfigError(f"table {name!r}: key must be an attribute name, got {key!r}")
        self.schema = KeySchema(name, key, sort, indexes)
        # The attribute whose number (seconds since the epoch) ends an item's life where
        # the backend deletes expired items (a TTL): set by @idempotent on the table of its
        # records, read by the backends that need more than the number (Firestore's TTL
        # reads a timestamp field). None: no item of this table expires.
        self.expiry: str | None = None

    @property
    def key(self) -> str:
        return self.schema.key

    @property
    def sort(self) -> str | None:
        return self.schema.sort

    @property
    def indexes(self) -> dict[str, TableIndex]:
        return self.schema.indexes

    @property
    def has_change_feed(self) -> bool:
        """Whether an ``on_change`` function reads this table's changes: the table then
        needs its feed (a DynamoDB stream, the local change log)."""
        return any(
            fn.trigger.kind == "change" and fn.trigger.table is self
            for fn in self._app.functions.values()
        )

    def get(self, key: str, sort: str | None = None) -> Item | None:
        # The common key (short strings without NUL, both parts given on a table with a
        # sort key) is checked inline: a point get is a few microseconds, and _key's
        # calls were a tenth of it (benchmarks/table_sqlite.py). Any other goes by _key.
        if (
            type(key) is str
            and key
            and len(key) <= _SHORT_KEY_CHARS
            and "\x00" not in key
            and (
                sort is None
                if self.schema.sort is None
                else (
                    type(sort) is str
                    and sort
                    and len(sort) <= _SHORT_KEY_CHARS
                    and "\x00" not in sort
                )
            )
        ):
            return self._get_backend().get((key, sort))  # type: ignore[no-any-return]
        return self._get_backend().get(self._key(key, sort))  # type: ignore[no-any-return]

    def put(self, item: Mapping[str, Any], *, condition: Condition | None = None) -> None:
        """Write the whole item; with ``condition`` only if it holds for the stored item
        (``ConditionFailed`` otherwise, and nothing changes)."""
        self._get_backend().put(self._checked_item(item), _check_condition(condition))

    def put_if_absent(self, item: Mapping[str, Any]) -> bool:
        """Write only if no item has this key; True when written."""
        return self._get_backend().put_if_absent(self._checked_item(item))  # type: ignore[no-any-return]

    def update(
        self,
        key: str,
        changes: Mapping[str, Any],
        *,
        sort: str | None = None,
        condition: Condition | None = None,
    ) -> Item:
        """Merge ``changes`` into an existing item and return it; ``KeyError`` if missing."""
        full_key = self._key(key, sort)
        for attribute, part in zip(self.schema.key_attributes(), full_key, strict=False):
            if attribute in changes and changes[attribute] != part:
                raise ValueError(f"table {self.name!r}: update cannot change the key {attribute!r}")
        for index in self.schema.indexes.values():
            for attribute in index.attributes:
                if attribute in changes:
                    from polyfn.core.table_keys import check_key_value

                    check_key_value(self.name, attribute, changes[attribute], index=index.name)
        return self._get_backend().update(  # type: ignore[no-any-return]
            full_key, dict(changes), _check_condition(condition)
        )

    def delete(
        self, key: str, sort: str | None = None, *, condition: Condition | None = None
    ) -> None:
        """Delete the item (a missing item is fine, unless ``condition`` says otherwise)."""
        self._get_backend().delete(self._key(key, sort), _check_condition(condition))

    def query(
        self,
        partition: str = "",
        sort: SortCondition | None = None,
        *,
        index: str | None = None,
        limit: int = 100,
        cursor: str | None = None,
        descending: bool = False,
    ) -> Page[Item]:
        """One page of items in sort order; pass ``page.cursor`` back for the next.

        On a table with a sort key, or with ``index``: the items of ``partition`` whose
        sort key meets ``sort`` (a ``Sort`` condition). On a table without a sort key and
        no index: the items whose key starts with ``partition`` (a key prefix), in key
        order; DynamoDB answers that one with a Scan (see the README's resource guide).
        """
        from polyfn.core.table_cursors import unwrap, wrap
        from polyfn.core.table_keys import InvalidKey, Query, SortCondition, check_key_value

        schema = self.schema
        chosen = schema.index(index) if index is not None else None
        sort_attribute = chosen.sort if chosen is not None else schema.sort
        by_prefix = chosen is None and schema.sort is None
        if by_prefix:
            if sort is not None:
                raise InvalidKey(
                    f"table {self.name!r} has no sort key: query(prefix) takes no condition"
                )
            if not isinstance(partition, str):
                raise InvalidKey(f"table {self.name!r}: a key prefix is a string")
            spec = Query(partition=None, prefix=partition, limit=_check_limit(limit))
        else:
            where = f"index {index!r}" if chosen is not None else "the table"
            check_key_value(self.name, where, partition)
            if sort is not None and sort_attribute is None:
                raise InvalidKey(f"table {self.name!r}: {where} has no sort key to condition")
            if sort is not None and not isinstance(sort, SortCondition):
                raise InvalidKey(
                    f"table {self.name!r}: a sort condition is one of Sort's, got {sort!r}"
                )
            spec = Query(
                partition=partition,
                sort=sort,
                index=chosen,
                limit=_check_limit(limit),
                descending=bool(descending),
            )
        scope = spec.scope(self.name)
        spec.position = unwrap(self.name, scope, cursor)
        page: Page[Item] = self._get_backend().query(spec)
        page.convert_cursor(lambda position: wrap(scope, position))
        return page

    def scan(self, *, limit: int = 100, cursor: str | None = None) -> Page[Item]:
        """Every item, one page at a time, in no promised order."""
        from polyfn.core.table_cursors import unwrap, wrap

        scope = f"{self.name}\x00scan"
        position = unwrap(self.name, scope, cursor)
        page: Page[Item] = self._get_backend().scan(_check_limit(limit), position)
        page.convert_cursor(lambda position: wrap(scope, position))
        return page

    def batch_get(self, keys: Iterable[str | tuple[str, str]]) -> list[Item | None]:
        """The items of ``keys``, in the same order (None for a missing one). The backend
        reads in its cloud's batch size (DynamoDB 100, Firestore 500 per request; one
        read per item on Table Storage) and retries what the cloud left unprocessed."""
        wanted = [self._key_of_any(key) for key in keys]
        if len(set(wanted)) != len(wanted):
            raise ValueError(f"table {self.name!r}: batch_get names a key twice")
        if not wanted:
            return []
        return self._get_backend().batch_get(wanted)  # type: ignore[no-any-return]

    def batch_write(
        self,
        puts: Iterable[Mapping[str, Any]] = (),
        deletes: Iterable[str | tuple[str, str]] = (),
    ) -> None:
        """Put and delete many items, in the cloud's batch size (DynamoDB 25, Table
        Storage 100 per partition, Firestore 500), retrying what the cloud left
        unprocessed. Each chunk is all-or-nothing where the cloud makes it so; the whole
        batch is not a transaction. Every item is checked before the first is sent."""
        items, keys = self._checked_items(puts)
        removed = [self._key_of_any(key) for key in deletes]
        keys += removed
        if len(set(keys)) != len(keys):
            raise ValueError(f"table {self.name!r}: batch_write names a key twice")
        if keys:
            self._get_backend().batch_write(items, removed)

    def transact(self, operations: Iterable[TxOperation]) -> None:
        """Make every ``Tx`` operation, or none (``polyfn.core.table_transactions``):
        ``ConditionFailed`` when a condition does not hold, ``UnsupportedTransaction``
        where the backend cannot make them atomic. At most 100, each on another item."""
        from polyfn.core.table_transactions import (
            MAX_OPERATIONS,
            Prepared,
            TxOperation,
            UnsupportedTransaction,
        )

        prepared: list[Prepared] = []
        for operation in operations:
            if not isinstance(operation, TxOperation):
                raise TypeError(f"table {self.name!r}: transact takes Tx operations")
            condition = _check_condition(operation.condition)
            if operation.kind == "put":
                assert operation.item is not None
                item = self._checked_item(operation.item)
                prepared.append(Prepared("put", self.schema.key_of(item), item, condition))
            else:
                key = self._key(operation.key, operation.sort)
                prepared.append(Prepared(operation.kind, key, None, condition))
        if len(prepared) > MAX_OPERATIONS:
            raise UnsupportedTransaction(
                f"table {self.name!r}: a transaction holds at most {MAX_OPERATIONS} operations "
                "(DynamoDB's and Table Storage's limit)"
            )
        keys = [operation.key for operation in prepared]
        if len(set(keys)) != len(keys):
            raise UnsupportedTransaction(
                f"table {self.name!r}: a transaction names an item twice (DynamoDB refuses it)"
            )
        if prepared:
            self._get_backend().transact(prepared)

    def _key(self, key: object, sort: object) -> tuple[str, str | None]:
        if self.schema.sort is None and not isinstance(key, str):
            raise ValueError(f"table {self.name!r}: key must be a non-empty string")
        try:
            return self.schema.make_key(key, sort)
        except ValueError as exc:
            if self.schema.sort is None and key == "":
                raise ValueError(f"table {self.name!r}: key must be a non-empty string") from exc
            raise

    def _key_of_any(self, key: str | tuple[str, str]) -> tuple[str, str | None]:
        if isinstance(key, tuple):
            if len(key) != 2:
                raise ValueError(f"table {self.name!r}: a key is (partition, sort)")
            return self._key(key[0], key[1])
        return self._key(key, None)

    def _checked_items(
        self, items: Iterable[Mapping[str, Any]]
    ) -> tuple[list[Item], list[tuple[str, str | None]]]:
        """``_checked_item_and_key`` of every item, in one loop with its checks inline for
        the common item (a dict whose key and index values are short strings without
        NUL: ``check_key_value``'s fast test); any other item takes the per-item path,
        which refuses it with the same error. A batch write is mostly this loop and the
        backend's encoding (benchmarks/table_sqlite.py)."""
        key, sort, index_checks = self.schema.key, self.schema.sort, self.schema.index_checks
        checked: list[Item] = []
        keys: list[tuple[str, str | None]] = []
        for item in items:
            if type(item) is dict:
                partition = item.get(key)
                order = None if sort is None else item.get(sort)
                if (
                    type(partition) is str
                    and partition
                    and len(partition) <= _SHORT_KEY_CHARS
                    and "\x00" not in partition
                    and (
                        sort is None
                        or (
                            type(order) is str
                            and order
                            and len(order) <= _SHORT_KEY_CHARS
                            and "\x00" not in order
                        )
                    )
                ):
                    for attribute, _ in index_checks:
                        if attribute in item:
                            value = item[attribute]
                            if not (
                                type(value) is str
                                and value
                                and len(value) <= _SHORT_KEY_CHARS
                                and "\x00" not in value
                            ):
                                break
                    else:
                        checked.append(dict(item))
                        keys.append((partition, order))
                        continue
            copied, item_key = self._checked_item_and_key(item)
            checked.append(copied)
            keys.append(item_key)
        return checked, keys

    def _checked_item(self, item: Mapping[str, Any]) -> Item:
        return self._checked_item_and_key(item)[0]

    def _checked_item_and_key(self, item: Mapping[str, Any]) -> tuple[Item, tuple[str, str | None]]:
        if type(item) is not dict and not isinstance(item, Mapping):
            raise TypeError(f"table {self.name!r}: an item must be a dict")
        key = item.get(self.key)
        if not isinstance(key, str) or not key:
            from polyfn.core.table_keys import InvalidKey

            raise InvalidKey(
                f"table {self.name!r}: item needs a non-empty string {self.key!r} attribute"
            )
        return dict(item), self.schema.check_item_keys(item)


def _check_condition(condition: Condition | None) -> Condition | None:
    if condition is None:
        return None
    from polyfn.core.table_conditions import Condition, UnsupportedCondition

    if not isinstance(condition, Condition):
        raise UnsupportedCondition(
            f"a condition is built with If (polyfn.If), got {type(condition).__name__}"
        )
    return condition


def _check_key(key: str) -> str:
    if not isinstance(key, str) or not key:
        raise ValueError("object key must be a non-empty string")
    if len(key.encode()) > 1024:
        raise ValueError("object key is over 1024 bytes (the S3 and Cloud Storage limit)")
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


def _object_trace() -> dict[str, str]:
    """The user metadata a bucket write stores with the object: the writing invocation's
    trace, correlation id and hop count, so the object's event continues the trace and
    the loop guard counts a function writing into the bucket that triggers it. Nothing
    outside an invocation (a script, a test's setup)."""
    ctx = _current.get()
    return {} if ctx is None else ctx.trace.object_metadata()


def _encode_body(body: bytes | str | dict[str, Any] | list[Any]) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    if isinstance(body, dict | list):
        from polyfn.core import json_codec

        return json_codec.encode(body).encode()
    raise TypeError(f"a message body must be bytes, str, dict or list, not {type(body).__name__}")
