"""Transactions across items of one table: all the writes happen, or none.

    table.transact([
        Tx.put({"id": "order-1", "status": "paid"}, condition=If.equals("status", "open")),
        Tx.put({"id": "stock-7", "left": 4}, condition=If.version("left", 5)),
        Tx.delete("cart-1"),
        Tx.check("customer-3", condition=If.exists("verified")),
    ])

Every condition is checked and every write made atomically: DynamoDB
``TransactWriteItems``, a Firestore transaction, one SQLite transaction, one Table Storage
entity-group transaction. A condition that does not hold raises ``ConditionFailed`` and
nothing is written.

Where a backend cannot: Table Storage's transactions hold at most 100 operations of
*one partition* of *one table*, so a transaction across partitions, or on a table with
indexes (whose index entities live in another table), is ``UnsupportedTransaction``
there, raised before anything is written. At most 100 operations everywhere (DynamoDB's
and Table Storage's limit; Firestore allows 500), each on a different item.
"""

from __future__ import annotations

from polyfn.core.errors import PolyfnError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from polyfn.core.table_conditions import Condition

__all__ = ["MAX_OPERATIONS", "Tx", "TxOperation", "UnsupportedTransaction"]

# TransactWriteItems: "up to 100 action requests" (DynamoDB API Reference); an entity
# group transaction: "up to 100 entities" (Table Storage docs), both checked 2026-12.
MAX_OPERATIONS = 100


class UnsupportedTransaction(PolyfnError, ValueError):
    """A transaction this backend cannot make atomic (raised before any write)."""


class TxOperation:
    """One operation of a transaction: ``put`` (``item``), ``delete`` or ``check`` (``key``
    and ``sort``), each with an optional condition."""

    __slots__ = ("condition", "item", "key", "kind", "sort")

    def __init__(
        self,
        kind: str,
        *,
        item: Mapping[str, Any] | None = None,
        key: str | None = None,
        sort: str | None = None,
        condition: Condition | None = None,
    ) -> None:
        self.kind = kind
        self.item = dict(item) if item is not None else None
        self.key = key
        self.sort = sort
        self.condition = condition

    def __repr__(self) -> str:
        what = self.item if self.kind == "put" else (self.key, self.sort)
        return f"Tx.{self.kind}({what!r}, condition={self.condition!r})"


class Tx:
    """The operations ``Table.transact`` takes."""

    @staticmethod
    def put(item: Mapping[str, Any], *, condition: Condition | None = None) -> TxOperation:
        return TxOperation("put", item=item, condition=condition)

    @staticmethod
    def delete(
        key: str, sort: str | None = None, *, condition: Condition | None = None
    ) -> TxOperation:
        return TxOperation("delete", key=key, sort=sort, condition=condition)

    @staticmethod
    def check(key: str, sort: str | None = None, *, condition: Condition) -> TxOperation:
        """No write: ``condition`` must hold for the item for the transaction to happen."""
        return TxOperation("check", key=key, sort=sort, condition=condition)


class Prepared:
    """A checked operation as a backend receives it: the full key, and the item of a put."""

    __slots__ = ("condition", "item", "key", "kind")

    def __init__(
        self,
        kind: str,
        key: tuple[str, str | None],
        item: dict[str, Any] | None,
        condition: Condition | None,
    ) -> None:
        self.kind = kind
        self.key = key
        self.item = item
        self.condition = condition
