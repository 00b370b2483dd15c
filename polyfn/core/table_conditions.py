"""The portable condition language of conditional table writes.

    table.put(item, condition=If.absent())                  # create only
    table.put(item, condition=If.version("version", 3))     # optimistic concurrency
    table.delete("u1", condition=If.equals("status", "closed") & If.exists("owner"))

A condition is about the item as stored *before* the write (None when there is none). It
is a conjunction of attribute tests that every backend can check atomically with the
write: a DynamoDB ``ConditionExpression``, a Firestore transaction, a Table Storage write
with ``If-Match`` on the entity's ETag (or an insert, which fails if the entity exists),
a SQLite ``BEGIN IMMEDIATE`` transaction. ``holds`` is the meaning, and the evaluator of
every backend but DynamoDB; ``adapters/aws/backends/table_expressions.py`` translates it.
A write whose condition does not hold raises ``ConditionFailed`` and changes nothing.

Only top-level attributes, and for ``equals`` only str, int, float, bool or bytes values:
``None``, lists and maps compare differently on the backends (DynamoDB's NULL, Table
Storage keeps them as JSON text), so such a condition is refused with
``UnsupportedCondition`` before anything is sent.
"""

from __future__ import annotations

from polyfn.core.errors import PolyfnError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

__all__ = ["Condition", "If", "Test", "UnsupportedCondition"]

# DynamoDB: "The maximum length of any expression string is 4 KB"; a condition of this
# many tests stays well inside it with short attribute names.
MAX_TESTS = 20


class UnsupportedCondition(PolyfnError, ValueError):
    """A condition that some backend cannot check atomically (raised before any write)."""


class Test:
    """One test: ``exists``, ``not_exists``, ``equals`` on an attribute, or ``absent`` /
    ``present`` of the whole item (``attribute`` is then "")."""

    __slots__ = ("attribute", "op", "value")

    def __init__(self, op: str, attribute: str, value: Any = None) -> None:
        self.op = op
        self.attribute = attribute
        self.value = value

    def holds(self, item: Mapping[str, Any] | None) -> bool:
        if self.op == "absent":
            return item is None
        if self.op == "present":
            return item is not None
        present = item is not None and self.attribute in item
        if self.op == "exists":
            return present
        if self.op == "not_exists":
            return not present
        if not present:
            return False
        stored = item[self.attribute]  # type: ignore[index]
        # bool is an int in Python but a distinct type on every backend: True != 1 there.
        if isinstance(stored, bool) or isinstance(self.value, bool):
            return type(stored) is type(self.value) and stored == self.value
        return bool(stored == self.value)

    def __repr__(self) -> str:
        if self.op in ("absent", "present"):
            return f"If.{self.op}()"
        if self.op == "equals":
            return f"If.equals({self.attribute!r}, {self.value!r})"
        return f"If.{self.op}({self.attribute!r})"


class Condition:
    """All of ``tests`` must hold; combine conditions with ``&``."""

    __slots__ = ("tests",)

    def __init__(self, tests: tuple[Test, ...]) -> None:
        if len(tests) > MAX_TESTS:
            raise UnsupportedCondition(f"a condition has at most {MAX_TESTS} tests")
        self.tests = tests

    def __and__(self, other: Condition) -> Condition:
        if not isinstance(other, Condition):
            return NotImplemented
        return Condition(self.tests + other.tests)

    def holds(self, item: Mapping[str, Any] | None) -> bool:
        return all(test.holds(item) for test in self.tests)

    def attributes(self) -> set[str]:
        return {test.attribute for test in self.tests if test.attribute}

    def __repr__(self) -> str:
        return " & ".join(repr(test) for test in self.tests)


def _name(attribute: object) -> str:
    if not isinstance(attribute, str) or not attribute:
        raise UnsupportedCondition(f"a condition names an attribute, got {attribute!r}")
    if "." in attribute or "[" in attribute:
        raise UnsupportedCondition(f"conditions test top-level attributes only, got {attribute!r}")
    return attribute


class If:
    """The condition constructors."""

    @staticmethod
    def absent() -> Condition:
        """No item has this key yet (a create)."""
        return Condition((Test("absent", ""),))

    @staticmethod
    def present() -> Condition:
        """An item with this key exists (a replace)."""
        return Condition((Test("present", ""),))

    @staticmethod
    def exists(attribute: str) -> Condition:
        return Condition((Test("exists", _name(attribute)),))

    @staticmethod
    def not_exists(attribute: str) -> Condition:
        return Condition((Test("not_exists", _name(attribute)),))

    @staticmethod
    def equals(attribute: str, value: str | int | float | bool | bytes) -> Condition:
        if value is None or not isinstance(value, str | int | float | bool | bytes):
            raise UnsupportedCondition(
                f"If.equals({attribute!r}, ...) compares str, int, float, bool or bytes; a "
                f"{type(value).__name__} compares differently on DynamoDB, Firestore and "
                "Table Storage"
            )
        if isinstance(value, float) and value != value:
            raise UnsupportedCondition("If.equals with NaN never holds")
        return Condition((Test("equals", _name(attribute), value),))

    @staticmethod
    def version(attribute: str, expected: int | None) -> Condition:
        """Optimistic concurrency: the stored ``attribute`` is ``expected`` (None: the
        attribute, or the item, does not exist yet). Write ``expected + 1`` with it."""
        if expected is None:
            return If.not_exists(attribute)
        if isinstance(expected, bool) or not isinstance(expected, int):
            raise UnsupportedCondition(f"a version is an int, got {expected!r}")
        return If.equals(attribute, expected)
