"""The cloud-neutral table model: declarations, sort conditions, conditions, cursors."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from polyfn import App, HTTPError
from polyfn.core.errors import ConfigError
from polyfn.core.settings import use_settings
from polyfn.core.table_conditions import If, UnsupportedCondition
from polyfn.core.table_cursors import SECRET_SETTING, InvalidCursor, unwrap, wrap
from polyfn.core.table_keys import InvalidKey, Sort, SortCondition
from polyfn.core.table_transactions import Tx, UnsupportedTransaction


@pytest.fixture
def settings() -> Iterator[dict[str, str]]:
    values: dict[str, str] = {}
    use_settings(values)
    yield values
    use_settings(os.environ)


def test_a_table_declares_keys_and_indexes() -> None:
    app = App("shop")
    orders = app.table(
        "orders", key="customer", sort="created", indexes={"by_status": ("status", "created")}
    )

    assert (orders.key, orders.sort) == ("customer", "created")
    assert orders.indexes["by_status"].attributes == ("status", "created")
    assert app.table("orders", key="customer", sort="created") is orders
    with pytest.raises(ConfigError, match="different keys"):
        app.table("orders", key="customer")
    with pytest.raises(ConfigError, match="different indexes"):
        app.table("orders", key="customer", sort="created", indexes={"by_status": "status"})


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"sort": "id"}, "cannot be the partition key"),
        ({"sort": "not an identifier"}, "sort must be an attribute name"),
        ({"sort": "polyfn_sk"}, "sort must be an attribute name"),
        ({"indexes": {"by_name": "__name__"}}, "reserved name on Firestore"),
        ({"indexes": {"ix": "email"}}, "3-64"),
        ({"indexes": {"By-Email": "email"}}, "3-64"),
        ({"indexes": {"by_email": ("a", "a")}}, "sorts by its partition"),
        ({"indexes": {"by_email": ("a", "b", "c")}}, r"\(partition, sort\) pair"),
        ({"indexes": {f"index_{n}": "a" for n in range(21)}}, "at most 20 indexes"),
    ],
)
def test_declarations_no_cloud_can_honour_are_config_errors(
    options: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        App("shop").table("orders", **options)  # type: ignore[arg-type]


def test_queries_that_do_not_fit_the_table_are_refused_before_the_backend() -> None:
    app = App("shop")
    users = app.table("users", indexes={"by_email": "email"})
    orders = app.table("orders", key="customer", sort="created")

    with pytest.raises(InvalidKey, match="no sort key"):
        users.query("u", Sort.begins_with("x"))
    with pytest.raises(ConfigError, match="no index 'by_name'"):
        users.query("Ada", index="by_name")
    with pytest.raises(InvalidKey, match="has no sort key to condition"):
        users.query("a@b.c", Sort.gt("x"), index="by_email")
    with pytest.raises(InvalidKey, match="one of Sort's"):
        orders.query("c1", "2026")  # type: ignore[arg-type]
    with pytest.raises(InvalidKey, match="empty"):
        orders.query("")
    with pytest.raises(InvalidKey, match="both parts"):
        orders.get("c1")
    with pytest.raises(InvalidKey, match="no sort key"):
        users.get("u1", "x")
    with pytest.raises(UnsupportedTransaction, match="at most 100"):
        users.transact([Tx.delete(f"u{n}") for n in range(101)])


@pytest.mark.parametrize(
    ("condition", "inside", "outside"),
    [
        (Sort.equals("b"), ["b"], ["a", "b0", "c"]),
        (Sort.begins_with("b"), ["b", "b0", "bzz"], ["a", "c", "ab"]),
        (Sort.between("b", "d"), ["b", "c", "d"], ["a", "d0", "e"]),
        (Sort.lt("b"), ["a", "a9"], ["b", "b0"]),
        (Sort.le("b"), ["a", "b"], ["b0", "c"]),
        (Sort.gt("b"), ["b0", "c"], ["a", "b"]),
        (Sort.ge("b"), ["b", "c"], ["a"]),
        (Sort.begins_with("\U0010ffff"), ["\U0010ffff", "\U0010ffffa"], ["\U0010fffe"]),
    ],
)
def test_sort_conditions_mean_what_dynamodb_means(
    condition: SortCondition, inside: list[str], outside: list[str]
) -> None:
    assert all(condition.matches(value) for value in inside)
    assert not any(condition.matches(value) for value in outside)


def test_sort_conditions_refuse_what_no_backend_can_compare() -> None:
    with pytest.raises(ValueError, match="low end is higher"):
        Sort.between("b", "a")
    with pytest.raises(InvalidKey):
        Sort.lt(3)  # type: ignore[arg-type]
    with pytest.raises(InvalidKey):
        Sort.equals("a\x00")
    with pytest.raises(ValueError, match="non-empty prefix"):
        Sort.begins_with("")


def test_conditions_hold_on_the_stored_item() -> None:
    item = {"id": "u1", "version": 3, "flag": True, "name": "Ada"}

    assert If.absent().holds(None) and not If.absent().holds(item)
    assert If.present().holds(item) and not If.present().holds(None)
    assert If.version("version", 3).holds(item)
    assert not If.version("version", 2).holds(item)
    assert If.version("version", None).holds({"id": "u1"})
    assert not If.equals("flag", 1).holds(item)  # a bool is not a number on any backend
    assert not If.equals("version", True).holds(item)
    assert (If.exists("name") & If.not_exists("owner")).holds(item)
    assert not (If.exists("name") & If.exists("owner")).holds(item)
    assert not If.equals("name", "Ada").holds(None)


@pytest.mark.parametrize(
    "build",
    [
        lambda: If.equals("tags", ["a"]),
        lambda: If.equals("x", None),
        lambda: If.equals("x", {"a": 1}),
        lambda: If.equals("x", float("nan")),
        lambda: If.exists("address.city"),
        lambda: If.exists(""),
        lambda: If.version("v", "3"),
        lambda: If.version("v", True),
    ],
)
def test_conditions_some_backend_cannot_express_are_refused(build: object) -> None:
    with pytest.raises(UnsupportedCondition):
        build()  # type: ignore[operator]


def test_a_cursor_round_trips_only_in_its_scope(settings: dict[str, str]) -> None:
    cursor = wrap("users\x00by_email", "position-1")
    assert cursor is not None

    assert unwrap("users", "users\x00by_email", cursor) == "position-1"
    assert wrap("s", None) is None and unwrap("users", "s", None) is None
    with pytest.raises(InvalidCursor) as caught:
        unwrap("users", "users\x00by_name", cursor)
    assert isinstance(caught.value, HTTPError) and caught.value.status == 400
    assert isinstance(caught.value, ValueError)


def test_with_a_secret_cursors_are_signed(settings: dict[str, str]) -> None:
    unsigned = wrap("scope", "p")
    settings[SECRET_SETTING] = "one secret"
    signed = wrap("scope", "p")
    assert signed is not None and signed != unsigned

    assert unwrap("t", "scope", signed) == "p"
    with pytest.raises(InvalidCursor):
        unwrap("t", "scope", unsigned)  # an unkeyed MAC anyone could compute
    settings[SECRET_SETTING] = "another secret"
    with pytest.raises(InvalidCursor):
        unwrap("t", "scope", signed)
