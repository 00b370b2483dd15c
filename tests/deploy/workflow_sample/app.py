"""The article's order workflow with an API that starts and reads it, for the deploy tests.

``place_order`` starts an execution (``order.start``), ``order_status`` reads one
(``order.execution``), ``replay`` declares it (``uses=``), ``health`` touches no workflow:
the permission tests tell them apart.
"""

from __future__ import annotations

from typing import Any

from polyfn import App, Request, Retry

app = App("shop")
order = app.workflow("order", timeout=300)


class OutOfStock(Exception):
    pass


class PaymentFailed(Exception):
    pass


class Throttled(Exception):
    pass


@order.task(retry=Retry(Throttled, attempts=3, interval=1, backoff=2.0))
def validate_order(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "validated": True}


@order.task(timeout=30)
def check_inventory(data: dict[str, Any]) -> dict[str, Any]:
    if data.get("stock") == "out":
        raise OutOfStock(data["orderId"])
    return data


@order.task
def charge_payment(data: dict[str, Any]) -> dict[str, Any]:
    if data.get("card") == "declined":
        raise PaymentFailed("card declined")
    return data


@order.task
def fulfill_order(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "status": "fulfilled"}


@order.task
def notify_out_of_stock(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "status": "out_of_stock"}


@order.task
def notify_payment_failed(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "status": "payment_failed"}


order.flow(
    validate_order,
    check_inventory.catch("OutOfStock", notify_out_of_stock),
    charge_payment.catch("PaymentFailed", notify_payment_failed),
    fulfill_order,
)


@app.post("/orders")
def place_order(req: Request) -> dict[str, Any]:
    body = req.json()
    execution = order.start(body, name=f"order-{body['orderId']}")
    return {"execution": execution.id}


@app.get("/orders/{execution}")
def order_status(req: Request) -> dict[str, Any]:
    return order.execution(req.path_params["execution"]).summary


@app.post("/orders/replay", uses=[order])
def replay(req: Request) -> dict[str, Any]:
    # Reached through the App at run time: the scan cannot tell, uses= says it.
    started = app.workflows["order"].start(req.json())
    return {"execution": started.id}


@app.get("/health")
def health() -> dict[str, str]:
    return {"ok": "yes"}
