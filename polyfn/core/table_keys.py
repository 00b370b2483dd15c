"""A table's keys: the partition key, the optional sort key, the named secondary indexes,
and the sort conditions a query may put on a sort key.

Every key attribute (partition, sort, and each index's) holds a string. Strings are what
all four backends can order the same way (by code point: DynamoDB compares UTF-8 bytes,
Firestore and SQLite code points, Table Storage's PartitionKey/RowKey UTF-16 units, which
agree outside the astral planes), so a query's order is portable. A number that should
sort is written zero-padded or as an ISO date. A key value may not contain NUL: the local
store and the Table Storage index entities use it as the separator of composite keys.

An item without an index's partition attribute is not in that index (a *sparse* index,
as DynamoDB's global secondary indexes are): ``indexes={"by_email": "email"}`` leaves the
users without an email out of ``query(..., index="by_email")``.
"""

from __future__ import annotations

from polyfn.core.errors import ConfigError, PolyfnError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

__all__ = [
    "InvalidKey",
    "KeySchema",
    "Query",
    "Sort",
    "SortCondition",
    "TableIndex",
    "successor",
]

# The strictest key limits of the four backends, so that a key valid here is valid on
# every cloud: a Table Storage PartitionKey/RowKey is at most 1 KiB (as UTF-16, so 512
# characters of the BMP), a DynamoDB sort key 1024 bytes, a partition key 2048 bytes.
# Sources: "Understanding the Table service data model" (learn.microsoft.com) and the
# DynamoDB Developer Guide, "Service, account, and table quotas", both checked 2026-11.
MAX_KEY_UTF16_BYTES = 1024
MAX_INDEXES = 20  # DynamoDB's default quota of global secondary indexes per table
_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")
_INDEX_CHARS = _LOWER | frozenset("0123456789_")


class InvalidKey(PolyfnError, ValueError):
    """A key value (partition, sort or index attribute) is missing, not a string, empty,
    too long or holds NUL. Raised before anything is written."""


class TableIndex:
    """A named secondary index: a partition attribute and an optional sort attribute."""

    __slots__ = ("name", "partition", "sort")

    def __init__(self, name: str, partition: str, sort: str | None = None) -> None:
        self.name = name
        self.partition = partition
        self.sort = sort

    @property
    def attributes(self) -> tuple[str, ...]:
        return (self.partition,) if self.sort is None else (self.partition, self.sort)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TableIndex) and (self.name, self.attributes) == (
            other.name,
            other.attributes,
        )

    def __hash__(self) -> int:
        return hash((self.name, self.attributes))

    def __repr__(self) -> str:
        return f"TableIndex({self.name!r}, {self.partition!r}, {self.sort!r})"


class KeySchema:
    """The key attributes of one table, checked when the table is declared."""

    __slots__ = ("index_checks", "indexes", "key", "sort", "table")

    def __init__(
        self,
        table: str,
        key: str,
        sort: str | None = None,
        indexes: Mapping[str, str | tuple[str, str] | tuple[str]] | None = None,
    ) -> None:
        self.table = table
        self.key = _attribute(table, "key", key)
        self.sort = None if sort is None else _attribute(table, "sort", sort)
        if self.sort == self.key:
            raise ConfigError(f"table {table!r}: the sort key cannot be the partition key")
        self.indexes: dict[str, TableIndex] = {}
        for name, spec in (indexes or {}).items():
            self.indexes[name] = _index(table, name, spec)
        if len(self.indexes) > MAX_INDEXES:
            raise ConfigError(
                f"table {table!r}: at most {MAX_INDEXES} indexes (DynamoDB's quota of global "
                "secondary indexes per table)"
            )
        # What check_item_keys checks beyond the key, worked out once: each index
        # attribute that is not a key attribute, with the first index that names it.
        checks: dict[str, str] = {}
        for index in self.indexes.values():
            for attribute in index.attributes:
                if attribute != self.key and attribute != self.sort:
                    checks.setdefault(attribute, index.name)
        self.index_checks: tuple[tuple[str, str], ...] = tuple(checks.items())

    def key_attributes(self) -> tuple[str, ...]:
        return (self.key,) if self.sort is None else (self.key, self.sort)

    def index(self, name: str) -> TableIndex:
        try:
            return self.indexes[name]
        except KeyError:
            declared = ", ".join(sorted(self.indexes)) or "none"
            raise ConfigError(
                f"table {self.table!r} has no index {name!r} (declared: {declared})"
            ) from None

    def key_of(self, item: Mapping[str, Any]) -> tuple[str, str | None]:
        """The item's (partition, sort) key, checked."""
        partition = check_key_value(self.table, self.key, item.get(self.key))
        if self.sort is None:
            return partition, None
        return partition, check_key_value(self.table, self.sort, item.get(self.sort))

    def check_item_keys(self, item: Mapping[str, Any]) -> tuple[str, str | None]:
        """Check the item's key and the index attributes it carries; returns its key."""
        key = self.key_of(item)
        for attribute, index in self.index_checks:
            if attribute in item:
                check_key_value(self.table, attribute, item[attribute], index=index)
        return key

    def index_key(self, index: TableIndex, item: Mapping[str, Any]) -> tuple[str, str] | None:
        """The item's (partition, sort) in ``index`` ("" for no sort), None when it is not
        in the index (a sparse index: the item lacks one of its attributes)."""
        partition = item.get(index.partition)
        if not isinstance(partition, str):
            return None
        if index.sort is None:
            return partition, ""
        sort = item.get(index.sort)
        return (partition, sort) if isinstance(sort, str) else None

    def make_key(self, partition: object, sort: object) -> tuple[str, str | None]:
        """The key a caller named: ``get("p")`` or, with a sort key, ``get("p", "s")``."""
        checked = check_key_value(self.table, self.key, partition)
        if self.sort is None:
            if sort is not None:
                raise InvalidKey(f"table {self.table!r} has no sort key; got sort={sort!r}")
            return checked, None
        if sort is None:
            raise InvalidKey(
                f"table {self.table!r} has the sort key {self.sort!r}: name both parts of the key"
            )
        return checked, check_key_value(self.table, self.sort, sort)


# A key value of at most this many characters is within MAX_KEY_UTF16_BYTES whatever
# they are (a character is at most 4 bytes of UTF-16): no encoding needed to measure it.
SHORT_KEY_CHARS = MAX_KEY_UTF16_BYTES // 4


def check_key_value(table: str, attribute: str, value: object, *, index: str = "") -> str:
    if type(value) is str and value and "\x00" not in value and len(value) <= SHORT_KEY_CHARS:
        return value  # the common case, at the cost of three tests
    where = f"table {table!r}" + (f", index {index!r}" if index else "")
    if not isinstance(value, str):
        shown = "missing" if value is None else f"a {type(value).__name__}"
        raise InvalidKey(f"{where}: key attribute {attribute!r} must be a string, got {shown}")
    if not value:
        raise InvalidKey(f"{where}: key attribute {attribute!r} is empty")
    if "\x00" in value:
        raise InvalidKey(f"{where}: key attribute {attribute!r} holds NUL")
    # A character is at most 4 bytes of UTF-16: short keys need no encoding to measure.
    if len(value) * 4 > MAX_KEY_UTF16_BYTES and (
        len(value.encode("utf-16-le", "surrogatepass")) > MAX_KEY_UTF16_BYTES
    ):
        raise InvalidKey(
            f"{where}: key attribute {attribute!r} is over {MAX_KEY_UTF16_BYTES} bytes as "
            "UTF-16 (Azure Table Storage's key limit, the strictest of the backends)"
        )
    return value


def _attribute(table: str, role: str, name: object) -> str:
    if not isinstance(name, str) or not name.isidentifier() or name.startswith("polyfn_"):
        raise ConfigError(
            f"table {table!r}: {role} must be an attribute name (an identifier not starting "
            f"with 'polyfn_'), got {name!r}"
        )
    if len(name) > 4 and name.startswith("__") and name.endswith("__"):
        raise ConfigError(
            f"table {table!r}: {role} {name!r} is a reserved name on Firestore (__name__-like)"
        )
    return name


def _index(table: str, name: object, spec: object) -> TableIndex:
    # DynamoDB index names are 3-255 of [A-Za-z0-9_.-]; Firestore and Table Storage put
    # the name into field paths and keys, so the portable set is smaller.
    if (
        not isinstance(name, str)
        or not 3 <= len(name) <= 64
        or name[0] not in _LOWER
        or not _INDEX_CHARS.issuperset(name)
    ):
        raise ConfigError(
            f"table {table!r}: index name {name!r} must be 3-64 lower-case letters, digits "
            "and '_', starting with a letter"
        )
    if isinstance(spec, str):
        return TableIndex(name, _attribute(table, f"index {name!r}", spec))
    if isinstance(spec, tuple) and len(spec) in (1, 2):
        partition = _attribute(table, f"index {name!r}", spec[0])
        sort = _attribute(table, f"index {name!r}", spec[1]) if len(spec) == 2 else None
        if sort == partition:
            raise ConfigError(f"table {table!r}: index {name!r} sorts by its partition")
        return TableIndex(name, partition, sort)
    raise ConfigError(
        f"table {table!r}: index {name!r} must be an attribute name or a (partition, sort) "
        f"pair, got {spec!r}"
    )


def successor(prefix: str) -> str | None:
    """The smallest string greater than every string that starts with ``prefix``."""
    chars = list(prefix)
    while chars:
        last = ord(chars.pop())
        if last < 0x10FFFF:
            following = 0xE000 if last + 1 == 0xD800 else last + 1  # skip the surrogates
            return "".join(chars) + chr(following)
    return None


class SortCondition:
    """A condition on a sort key: one of ``Sort``'s constructors."""

    __slots__ = ("op", "values")

    OPS = ("=", "begins_with", "between", "<", "<=", ">", ">=")

    def __init__(self, op: str, *values: str) -> None:
        if op not in self.OPS:
            raise ValueError(f"unknown sort condition {op!r}")
        for value in values:
            if not isinstance(value, str) or "\x00" in value:
                raise InvalidKey(
                    f"a sort condition compares strings without NUL, got {value!r} in {op}"
                )
        if op == "between" and values[0] > values[1]:
            raise ValueError(f"between({values[0]!r}, {values[1]!r}): the low end is higher")
        if op == "begins_with" and not values[0]:
            raise ValueError("begins_with needs a non-empty prefix")
        self.op = op
        self.values = values

    def bounds(self) -> tuple[str | None, bool, str | None, bool]:
        """(low, low inclusive, high, high inclusive); None is unbounded. Every backend
        without a native operator walks this range of its ordered keys."""
        op, values = self.op, self.values
        if op == "=":
            return values[0], True, values[0], True
        if op == "begins_with":
            return values[0], True, successor(values[0]), False
        if op == "between":
            return values[0], True, values[1], True
        if op == "<":
            return None, False, values[0], False
        if op == "<=":
            return None, False, values[0], True
        if op == ">":
            return values[0], False, None, False
        return values[0], True, None, False  # >=

    def matches(self, value: str) -> bool:
        low, low_in, high, high_in = self.bounds()
        if low is not None and (value < low or (value == low and not low_in)):
            return False
        return high is None or value < high or (value == high and high_in)

    def describe(self) -> str:
        return f"{self.op}({', '.join(repr(v) for v in self.values)})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SortCondition) and (self.op, self.values) == (
            other.op,
            other.values,
        )

    def __hash__(self) -> int:
        return hash((self.op, self.values))

    def __repr__(self) -> str:
        return f"Sort.{self.describe()}"


class Sort:
    """The sort conditions of ``Table.query``: ``table.query("u1", Sort.begins_with("2026-"))``."""

    @staticmethod
    def equals(value: str) -> SortCondition:
        return SortCondition("=", value)

    @staticmethod
    def begins_with(prefix: str) -> SortCondition:
        return SortCondition("begins_with", prefix)

    @staticmethod
    def between(low: str, high: str) -> SortCondition:
        """Both ends included, as DynamoDB's BETWEEN."""
        return SortCondition("between", low, high)

    @staticmethod
    def lt(value: str) -> SortCondition:
        return SortCondition("<", value)

    @staticmethod
    def le(value: str) -> SortCondition:
        return SortCondition("<=", value)

    @staticmethod
    def gt(value: str) -> SortCondition:
        return SortCondition(">", value)

    @staticmethod
    def ge(value: str) -> SortCondition:
        return SortCondition(">=", value)


class Query:
    """What ``Table.query`` hands a backend, checked.

    Either a key-prefix listing of a table without a sort key (``prefix``, the original
    ``query(prefix)``), or the items of one ``partition`` of the table or of ``index``,
    optionally narrowed by a ``sort`` condition, in sort order (``descending`` reverses).
    ``position`` is the backend's own cursor, already unwrapped and checked.
    """

    __slots__ = ("descending", "index", "limit", "partition", "position", "prefix", "sort")

    def __init__(
        self,
        *,
        partition: str | None,
        prefix: str = "",
        sort: SortCondition | None = None,
        index: TableIndex | None = None,
        limit: int = 100,
        position: str | None = None,
        descending: bool = False,
    ) -> None:
        self.partition = partition
        self.prefix = prefix
        self.sort = sort
        self.index = index
        self.limit = limit
        self.position = position
        self.descending = descending

    @property
    def by_prefix(self) -> bool:
        return self.partition is None

    def scope(self, table: str) -> str:
        """What a cursor of this query is bound to (all but the limit and the position)."""
        parts = [
            table,
            self.index.name if self.index else "",
            "p" if self.partition is None else "k",
            self.prefix if self.partition is None else self.partition,
            self.sort.describe() if self.sort else "",
            "desc" if self.descending else "asc",
        ]
        return "\x00".join(parts)
