"""Change records: what a table's change feed says happened to one item.

DynamoDB Streams, Firestore document events and the local SQLite change log each
describe a write differently; ``Change`` is the one shape an ``on_change`` handler sees.
``kind`` is ``insert``, ``modify`` or ``remove``; ``keys`` holds the item's key
attributes (partition, and sort where the table has one); ``new`` and ``old`` are the
item after and before the write where the feed carries them (a remove has no ``new``,
an insert no ``old``; a DynamoDB stream without old images has no ``old`` either).
``id`` orders the changes of one item and names a change in a partial-failure answer
(DynamoDB's SequenceNumber, the CloudEvent id, the local log's row number).
"""

from __future__ import annotations

from polyfn.core.errors import ConfigError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from typing import Any, Literal

    ChangeKind = Literal["insert", "modify", "remove"]
else:
    ChangeKind = str  # what type checkers read as Literal["insert", "modify", "remove"]

__all__ = ["CHANGE_KINDS", "Change", "ChangeKind", "MalformedChange", "NoChangeFeed"]

CHANGE_KINDS = ("insert", "modify", "remove")


class MalformedChange(ValueError):
    """A change feed's record lacks what its feed always sends: the batch it came in is
    refused whole, so nothing in it is acknowledged without having run."""


class NoChangeFeed(ConfigError):
    """An on_change function on a backend whose tables have no change feed (Azure Table
    Storage): refused when the deployment is built, not discovered in production."""

    def __init__(self, function: str, table: str, backend: str = "Azure Table Storage") -> None:
        super().__init__(
            f"function {function} reads the changes of table {table!r}, but {backend} has "
            "no change feed. Instead: have the code that writes the table send a message "
            "(app.queue(...).send, consumed with @app.on_message), or keep this table in "
            "Cosmos DB and use its change feed trigger"
        )
        self.function = function
        self.table = table
        self.backend = backend


class Change:
    """One write to one item of a table, as the table's change feed reported it."""

    __slots__ = ("id", "keys", "kind", "new", "old", "raw", "table", "time")

    def __init__(
        self,
        kind: ChangeKind,
        table: str,
        keys: dict[str, Any],
        *,
        new: dict[str, Any] | None = None,
        old: dict[str, Any] | None = None,
        id: str = "",
        time: str | None = None,
        raw: Any = None,
    ) -> None:
        if kind not in CHANGE_KINDS:
            raise MalformedChange(f"a change is an insert, modify or remove, not {kind!r}")
        self.kind = kind
        # The logical name declared with app.table when the adapter can map it back.
        self.table = table
        self.keys = keys
        self.new = new
        self.old = old
        self.id = id
        self.time = time  # ISO 8601 UTC, when the feed says when the write happened
        self.raw = raw  # the native record: reading it ties the handler to one cloud

    @property
    def item(self) -> dict[str, Any] | None:
        """The item as it is now: the new image, or for a remove the old one if known."""
        return self.new if self.new is not None else self.old

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "table": self.table,
            "keys": self.keys,
            "new": self.new,
            "old": self.old,
            "id": self.id,
            "time": self.time,
        }

    def __repr__(self) -> str:
        return f"<Change {self.kind} {self.table} {self.keys!r} id={self.id!r}>"
