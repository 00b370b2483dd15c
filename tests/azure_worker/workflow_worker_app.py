"""The workflow app the worker tests run: the order workflow, and an HTTP function that
starts it (so it has the Durable client binding)."""

from __future__ import annotations

from typing import Any

from workflows.order_workflow import build

from polyfn import Request

app = build()
order = app.workflows["order"]


@app.post("/orders")
def place(request: Request) -> dict[str, Any]:
    data = request.json()
    started = order.start(data, name=f"order-{data['orderId']}")
    return {"id": started.id, "status": order.execution(started.id).status}
