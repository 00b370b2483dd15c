"""An app with the article's order workflow, for the deploy tests: ``POST /orders``
starts it, ``GET /orders/<id>`` reads an execution back, ``GET /health`` touches no
workflow (so it gets no grant). ``WORKFLOW_SAMPLE_JITTER=1`` adds a retry with jitter,
which Cloud Workflows cannot express."""

from __future__ import annotations

from typing import Any

from polyfn import App, Request, Response, Retry

app = App("orders")
order = app.workflow("order", timeout=300)


class OutOfStock(Exception):
    pass


class PaymentFailed(Exception):
    pass


class Throttled(Exception):
    pass


@order.task(retry=Retry("Throttled", attempts=3, backoff=2.0))
def validate_order(data: dict[str, Any]) -> dict[str, Any]:
    if data.get("throttled"):
        raise Throttled("try again")
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
def place_order(request: Request) -> Response:
    execution = order.start(request.json())
    return Response.json({"execution": execution.id}, 202)


@app.get("/orders/{execution_id}")
def order_status(request: Request) -> Response:
    return Response.json(order.execution(request.path_params["execution_id"]).summary)


@app.get("/health")
def health(request: Request) -> Response:
    return Response.json({"ok": True})
