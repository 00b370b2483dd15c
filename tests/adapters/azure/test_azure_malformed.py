"""Malformed Azure inputs fail with ``UnrecognizedEvent`` or a 400, never an untyped
exception (issue 13, item 5; tests/fuzz finds the rest)."""

from __future__ import annotations

from typing import Any

import azure.functions as func
import pytest

from polyfn import App, Event, ObjectEvent, Request, Response
from polyfn.core.errors import UnrecognizedEvent
from polyfn.hosts.azure import IndexedApp
from polyfn.hosts.events import azure as events


def indexed() -> IndexedApp:
    app = App("malformed")

    @app.get("/items/{id}")
    def item(req: Request) -> Response:
        return Response.json(dict(req.query))

    @app.on_event(source="shop.orders", type="OrderPlaced")
    def on_order(event: Event) -> None: ...

    @app.on_object_deleted(app.bucket("uploads"))
    def on_deleted(event: ObjectEvent) -> None: ...

    return IndexedApp(app)


@pytest.mark.parametrize(
    ("field", "value"),
    # (A time of the wrong type never reaches polyfn: the worker's converter parses it.)
    [("subject", 5), ("eventType", 5), ("id", ["x"]), ("topic", {"a": 1})],
)
@pytest.mark.parametrize("function", ["on_order", "on_deleted"])
def test_event_grid_fields_of_the_wrong_type(field: str, value: Any, function: str) -> None:
    document = events.eventgrid(source="shop.orders", type="OrderPlaced")
    document[field] = value
    with pytest.raises(UnrecognizedEvent):
        indexed().call(function, "event", events.event_grid_event(document))


@pytest.mark.parametrize(("field", "value"), [("subject", 5), ("type", 5), ("id", 1.5)])
def test_cloudevent_fields_of_the_wrong_type(field: str, value: Any) -> None:
    document = events.eventgrid_cloudevent(source="shop.orders", type="OrderPlaced")
    document[field] = value
    with pytest.raises(UnrecognizedEvent):
        indexed().call("on_order", "event", events.event_grid_event(document))


@pytest.mark.parametrize("url", ["http://[::1/api/items/1", "https://[x]:99999/api/items/1?a=1"])
def test_an_unparsable_url_is_a_400(url: str) -> None:
    request = func.HttpRequest("GET", url, headers={}, params={}, body=b"")
    response = indexed().call("item", "req", request)
    assert response.status_code == 400
    assert b"Traceback" not in response.get_body()
