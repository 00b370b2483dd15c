"""The shop's orders: the article's workflow, written once.

``POST /orders`` records an order and starts the ``order`` workflow:
ValidateOrder -> CheckInventory -> ChargePayment -> FulfillOrder, where CheckInventory
catches ``OutOfStock`` and ChargePayment catches ``PaymentFailed``, each ending the run
after telling the customer. ``GET /orders/{id}`` shows where the order is.

On AWS the workflow is a Step Functions state machine, on Azure a Durable Functions
orchestration, on Google Cloud a Cloud Workflows workflow, and locally the SQLite executor
of ``polyfn run``; the tasks below are the same functions everywhere.
"""

from __future__ import annotations

import uuid
from typing import Any

from polyfn import App, HTTPError, Request, Response, Retry
from polyfn.core.resources import Queue


class InvalidOrder(Exception):
    """The order cannot be processed as written."""


class OutOfStock(Exception):
    """An item of the order is not in stock."""


class PaymentFailed(Exception):
    """The card was declined."""


class PaymentServiceBusy(Exception):
    """The payment provider asked us to come back later: worth a retry."""


def add_orders(app: App, emails: Queue) -> None:
    """Declare the orders table, the order workflow and its two routes on ``app``."""
    orders = app.table("orders", key="id")
    stock = app.table("stock", key="sku")  # sku -> {"available": n}; an unknown sku is 0
    order = app.workflow("order", timeout=300)

    def set_status(order_id: str, status: str, **extra: Any) -> None:
        orders.update(order_id, {"status": status, **extra})

    @order.task
    def validate_order(data: dict[str, Any]) -> dict[str, Any]:
        items = data.get("items")
        if not isinstance(items, list) or not items:
            raise InvalidOrder("an order needs at least one item")
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("qty"), int):
                raise InvalidOrder(f"bad item {item!r}")
        set_status(data["orderId"], "validated")
        return data

    @order.task
    def check_inventory(data: dict[str, Any]) -> dict[str, Any]:
        for item in data["items"]:
            available = (stock.get(str(item["sku"])) or {}).get("available", 0)
            if available < item["qty"]:
                raise OutOfStock(f"{item['sku']}: {available} left, {item['qty']} wanted")
        set_status(data["orderId"], "reserved")
        return data

    @order.task(retry=Retry(PaymentServiceBusy, attempts=3, interval=1, backoff=2.0))
    def charge_payment(data: dict[str, Any]) -> dict[str, Any]:
        if data.get("card") == "declined":
            raise PaymentFailed("the card was declined")
        total = sum(item["qty"] for item in data["items"]) * 10
        set_status(data["orderId"], "charged", total=total)
        return {**data, "total": total}

    @order.task
    def fulfill_order(data: dict[str, Any]) -> dict[str, Any]:
        set_status(data["orderId"], "fulfilled")
        return {"orderId": data["orderId"], "status": "fulfilled", "total": data["total"]}

    def notify(data: dict[str, Any], status: str) -> dict[str, Any]:
        set_status(data["orderId"], status, reason=data["error"]["Cause"])
        emails.send({"to": data.get("email", ""), "template": status, "order": data["orderId"]})
        return {"orderId": data["orderId"], "status": status}

    @order.task
    def notify_out_of_stock(data: dict[str, Any]) -> dict[str, Any]:
        return notify(data, "out_of_stock")

    @order.task
    def notify_payment_failed(data: dict[str, Any]) -> dict[str, Any]:
        return notify(data, "payment_failed")

    order.flow(
        validate_order,
        check_inventory.catch(OutOfStock, notify_out_of_stock),
        charge_payment.catch(PaymentFailed, notify_payment_failed),
        fulfill_order,
    )

    @app.post("/orders")
    def place_order(req: Request) -> Response:
        body = req.json()
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise HTTPError(400, "Expected a JSON object with an 'items' list")
        order_id = uuid.uuid4().hex[:12]
        orders.put({"id": order_id, "status": "placed", "items": body["items"]})
        execution = order.start(
            {
                "orderId": order_id,
                "items": body["items"],
                "card": body.get("card"),
                "email": body.get("email"),
            },
            name=f"order-{order_id}",
        )
        return Response.json(
            {"id": order_id, "execution": execution.id},
            202,
            headers={"location": f"/orders/{order_id}"},
        )

    @app.get("/orders/{id}")
    def get_order(req: Request) -> Response:
        found = orders.get(req.path_params["id"])
        if found is None:
            raise HTTPError(404, "Order not found")
        return Response.json(found)
