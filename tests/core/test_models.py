"""Request models: bodies, typed parameters, the one field-error format, JSON Schema."""

from __future__ import annotations

import enum
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, NotRequired, TypedDict

import pydantic
import pytest

from polyfn import App, Check, Request
from polyfn.core.errors import ConfigError
from polyfn.core.models import SchemaRegistry, json_schema
from polyfn.testing import all_runtimes
from polyfn.testing.client import Client


class Size(enum.Enum):
    SMALL = "s"
    LARGE = "l"


@dataclass
class Item:
    sku: Annotated[str, Check(min_length=3)]
    quantity: Annotated[int, Check(ge=1, le=10)] = 1


@dataclass
class Order:
    """An order."""

    customer: uuid.UUID
    items: list[Item]
    size: Size
    note: str | None = None
    tags: list[str] = field(default_factory=list)


class Address(TypedDict):
    street: str
    kind: Literal["home", "work"]
    floor: NotRequired[int]


class Payment(pydantic.BaseModel):
    amount: float = pydantic.Field(gt=0)
    currency: str


CUSTOMER = "8c8a2b2e-1111-4000-8000-000000000000"


def _app() -> App:
    app = App("models")

    @app.post("/orders", body=Order, responses={201: Order})
    def create_order(req: Request) -> Any:
        order: Order = req.model
        return {"customer": str(order.customer), "size": order.size.value, "n": len(order.items)}

    @app.post("/addresses", body=Address)
    def add_address(req: Request) -> Any:
        return req.model

    @app.post("/payments", body=Payment)
    def pay(req: Request) -> Any:
        return {"amount": req.model.amount}

    @app.get(
        "/orders/{id}",
        path_params={"id": uuid.UUID},
        query={"size": Size | None, "page": Annotated[int, Check(ge=1)] | None, "tag": list[str]},
    )
    def get_order(req: Request) -> Any:
        params = req.params
        return {
            "id": str(params["id"]),
            "size": params["size"] and params["size"].value,
            "page": params["page"],
            "tag": params["tag"],
        }

    @app.get("/plain/{id}")
    def plain(req: Request) -> Any:
        return {"has_model": hasattr(req, "model")}

    return app


@pytest.fixture
def client(polyfn_client: Callable[[App], Client]) -> Client:
    """The models app on the runtime ``@all_runtimes`` chose, through its native events."""
    return polyfn_client(_app())


@all_runtimes
def test_a_valid_body_reaches_the_handler_as_the_model(client: Client) -> None:
    answer = client.post(
        "/orders", json={"customer": CUSTOMER, "items": [{"sku": "abc"}], "size": "l"}
    )
    assert answer.status == 200
    assert answer.json() == {"customer": CUSTOMER, "size": "l", "n": 1}


@all_runtimes
def test_an_invalid_body_is_a_422_listing_every_field_error(client: Client) -> None:
    answer = client.post(
        "/orders",
        json={"customer": "nope", "items": [{"sku": "ab", "quantity": 11}, 3], "extra": 1},
    )
    assert answer.status == 422
    error = answer.json()["error"]
    assert error["message"] == "Request body is invalid"
    assert error["errors"] == [
        {
            "location": ["body", "customer"],
            "type": "type",
            "message": "expected a UUID, got 'nope'",
        },
        {
            "location": ["body", "items", 0, "sku"],
            "type": "limit",
            "message": "expected at least 3 characters",
        },
        {
            "location": ["body", "items", 0, "quantity"],
            "type": "limit",
            "message": "expected at most 10",
        },
        {
            "location": ["body", "items", 1],
            "type": "type",
            "message": "expected an object, got a number",
        },
        {"location": ["body", "size"], "type": "missing", "message": "field required"},
        {"location": ["body", "extra"], "type": "extra", "message": "unknown field"},
    ]


@all_runtimes
def test_a_body_that_is_not_json_stays_a_400(client: Client) -> None:
    answer = client.post("/orders", body=b"{nope", headers={"content-type": "application/json"})
    assert answer.status == 400


@all_runtimes
def test_a_typeddict_body(client: Client) -> None:
    ok = client.post("/addresses", json={"street": "Main", "kind": "home"})
    assert ok.status == 200
    assert ok.json() == {"street": "Main", "kind": "home"}
    bad = client.post("/addresses", json={"street": "Main", "kind": "moon", "floor": "2"})
    assert bad.status == 422
    assert [e["location"] for e in bad.json()["error"]["errors"]] == [
        ["body", "kind"],
        ["body", "floor"],
    ]


@all_runtimes
def test_a_pydantic_body_reports_pydantics_errors_in_the_same_format(client: Client) -> None:
    assert client.post("/payments", json={"amount": 2.5, "currency": "EUR"}).json() == {
        "amount": 2.5
    }
    bad = client.post("/payments", json={"amount": -1})
    assert bad.status == 422
    errors = bad.json()["error"]["errors"]
    assert [(e["location"], e["type"]) for e in errors] == [
        (["body", "amount"], "greater_than"),
        (["body", "currency"], "missing"),
    ]


@all_runtimes
def test_typed_path_and_query_parameters(client: Client) -> None:
    answer = client.get(f"/orders/{CUSTOMER}?size=s&page=2&tag=a&tag=b")
    assert answer.json() == {"id": CUSTOMER, "size": "s", "page": 2, "tag": ["a", "b"]}
    missing = client.get(f"/orders/{CUSTOMER}")
    assert missing.json()["error"]["errors"] == [
        {"location": ["query", "tag"], "type": "missing", "message": "parameter required"}
    ]
    bad = client.get("/orders/42?size=xl&page=0&tag=a")
    assert bad.status == 400
    assert [(e["location"], e["type"]) for e in bad.json()["error"]["errors"]] == [
        (["path", "id"], "type"),
        (["query", "size"], "enum"),
        (["query", "page"], "limit"),
    ]


@all_runtimes
def test_a_route_without_models_has_no_model(client: Client) -> None:
    assert client.get("/plain/1").json() == {"has_model": False}


def _noop(req: Request) -> None:
    return None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"body": int}, "body= takes a dataclass"),
        ({"path_params": {"nope": int}}, "does not have"),
        ({"path_params": {"id": int | None}}, "always there"),
        ({"query": {"q": dict}}, "cannot type a path or query parameter"),
        ({"query": {"q": int | str}}, "X | None"),
        ({"responses": {99: None}}, "status codes"),
    ],
)
def test_a_declaration_that_cannot_work_fails_at_import(
    kwargs: dict[str, Any], message: str
) -> None:
    app = App("bad")
    with pytest.raises(ConfigError, match=message):
        app.get("/things/{id}", **kwargs)(_noop)


def test_json_schema_of_the_models() -> None:
    registry = SchemaRegistry()
    assert json_schema(Order, registry) == {"$ref": "#/components/schemas/Order"}
    order = registry.schemas["Order"]
    assert order["required"] == ["customer", "items", "size"]
    assert order["additionalProperties"] is False
    assert order["properties"]["customer"] == {"type": "string", "format": "uuid"}
    assert order["properties"]["size"] == {"enum": ["s", "l"]}
    assert order["properties"]["note"] == {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert registry.schemas["Item"]["properties"]["quantity"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 10,
    }
    json_schema(Address, registry)
    assert registry.schemas["Address"]["required"] == ["street", "kind"]
    json_schema(Payment, registry)
    assert registry.schemas["Payment"]["properties"]["amount"]["exclusiveMinimum"] == 0
    assert json_schema(list[Item], registry) == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/Item"},
    }


def test_an_app_with_dataclass_models_never_imports_pydantic() -> None:
    code = (
        "import sys\n"
        "from dataclasses import dataclass\n"
        "from polyfn import App\n"
        "@dataclass\n"
        "class M:\n"
        "    a: int\n"
        "app = App('x')\n"
        "app.post('/m', body=M, name='m')(lambda req: None)\n"
        "assert 'pydantic' not in sys.modules, 'pydantic imported'\n"
        "app2 = App('y')\n"
        "app2.get('/plain', name='p')(lambda req: None)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_an_app_without_models_loads_no_model_code() -> None:
    code = (
        "import sys\n"
        "from polyfn import App\n"
        "app = App('x')\n"
        "app.get('/plain/{id}', name='p')(lambda req: None)\n"
        "assert 'polyfn.core.models' not in sys.modules\n"
        "assert 'typing' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_models_keep_their_field_types_when_another_module_takes_their_modules_name() -> None:
    # Two apps loaded from files both called app.py: the second replaces the first in
    # sys.modules, where string annotations are resolved.
    import types

    from polyfn.core.openapi import openapi_document
    from polyfn.testing.responses import response_problems

    name = "polyfn_test_models_same_name"
    module = types.ModuleType(name)
    source = (
        "from __future__ import annotations\n"
        "from typing import TypedDict\n"
        "class Row(TypedDict):\n"
        "    id: str\n"
        "class Page(TypedDict):\n"
        "    rows: list[Row]\n"
    )
    sys.modules[name] = module
    try:
        exec(source, module.__dict__)
        app = App("same")
        app.get("/rows", response=module.Page, name="rows")(lambda req: None)
        sys.modules[name] = types.ModuleType(name)  # the other app.py
        assert response_problems(app, "GET", "/rows", 200, b'{"rows": [{"id": "1"}]}') == []
        schemas = openapi_document(app)["components"]["schemas"]
        assert schemas["Page"]["properties"]["rows"]["items"] == {
            "$ref": "#/components/schemas/Row"
        }
    finally:
        del sys.modules[name]
