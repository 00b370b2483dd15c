"""A workflow whose catch names an error its task does not raise: the task raises
``PaymentDeclined``, the flow catches ``PaymentFailed``. Deploy builds it, with a warning."""

from __future__ import annotations

from typing import Any

from polyfn import App

app = App("typo")
order = app.workflow("order")


class PaymentDeclined(Exception):
    pass


@order.task
def charge_payment(data: dict[str, Any]) -> dict[str, Any]:
    if data.get("card") == "declined":
        raise PaymentDeclined("card declined")
    return data


@order.task
def notify_payment_failed(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "status": "payment_failed"}


order.flow(charge_payment.catch("PaymentFailed", notify_payment_failed))
