"""An app with an event bus, for the deploy tests: one function publishes, three
subscribe with an exact, a prefixed and no source filter."""

from __future__ import annotations

from polyfn import App, Event, Request, Response

app = App("busy")
orders = app.event_bus("orders")


@app.post("/orders")
def place_order(req: Request) -> Response:
    event_id = orders.publish(source="shop.orders", type="OrderPlaced", data=req.json())
    return Response.json({"event": event_id}, 202)


@app.on_event(bus=orders, source="shop.orders", type="OrderPlaced")
def order_placed(event: Event) -> None:
    print(event.data)


@app.on_event(bus=orders, source="shop.*", type="Order*")
def any_shop_order(event: Event) -> None:
    print(event.type)


@app.on_event(bus=orders)
def every_order_event(event: Event) -> None:
    print(event.id)
