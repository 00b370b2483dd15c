"""The article's order workflow, the one the workflow tests run on every engine.

ValidateOrder -> CheckInventory -> ChargePayment -> FulfillOrder, where CheckInventory
catches OutOfStock (-> NotifyOutOfStock) and ChargePayment catches PaymentFailed
(-> NotifyPaymentFailed), each ending the run. The input steers the path:

- ``"stock": "out"``: CheckInventory raises OutOfStock;
- ``"card": "declined"``: ChargePayment raises PaymentFailed;
- ``"throttle": {"file": PATH, "times": N}``: ValidateOrder raises Throttled N times
  (counted in a file, so the count survives task runs in other processes), then passes;
- ``"slow": SECONDS``: FulfillOrder sleeps that long (its timeout is 1 s).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from polyfn import App, Retry


class OutOfStock(Exception):
    pass


class PaymentFailed(Exception):
    pass


class Throttled(Exception):
    pass


def build(retry_interval: float = 1) -> App:
    """The app; ``retry_interval`` below 1 s suits the local executor only (Step Functions
    counts retry intervals in whole seconds)."""
    app = App("orders")
    order = app.workflow("order", timeout=60)

    @order.task(retry=Retry(Throttled, attempts=3, interval=retry_interval, backoff=2.0))
    def validate_order(data: dict[str, Any]) -> dict[str, Any]:
        throttle = data.get("throttle")
        if throttle:
            counter = Path(throttle["file"])
            seen = int(counter.read_text()) if counter.exists() else 0
            counter.write_text(str(seen + 1))
            if seen < throttle["times"]:
                raise Throttled(f"attempt {seen + 1} throttled")
        if not data.get("orderId"):
            raise ValueError("an order needs an orderId")
        return {**data, "validated": True}

    @order.task
    def check_inventory(data: dict[str, Any]) -> dict[str, Any]:
        if data.get("stock") == "out":
            raise OutOfStock(f"order {data['orderId']}: an item is out of stock")
        return {**data, "reserved": True}

    @order.task
    def charge_payment(data: dict[str, Any]) -> dict[str, Any]:
        if data.get("card") == "declined":
            raise PaymentFailed("card declined")
        return {**data, "charged": 42}

    @order.task(timeout=1)
    def fulfill_order(data: dict[str, Any]) -> dict[str, Any]:
        time.sleep(data.get("slow", 0))
        return {"orderId": data["orderId"], "status": "fulfilled", "charged": data["charged"]}

    @order.task
    def notify_out_of_stock(data: dict[str, Any]) -> dict[str, Any]:
        return {"orderId": data["orderId"], "status": "out_of_stock", "error": data["error"]}

    @order.task
    def notify_payment_failed(data: dict[str, Any]) -> dict[str, Any]:
        return {"orderId": data["orderId"], "status": "payment_failed", "error": data["error"]}

    order.flow(
        validate_order,
        check_inventory.catch(OutOfStock, notify_out_of_stock),
        charge_payment.catch(PaymentFailed, notify_payment_failed),
        fulfill_order,
    )
    return app
