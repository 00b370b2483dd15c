"""An app that logs and emits metrics, for ``polyfn run --log-format`` and ``polyfn metrics``."""

from polyfn import App, Context, Request, Response

app = App("observed")


@app.post("/orders")
def place_order(req: Request, ctx: Context) -> Response:
    ctx.logger.info("order placed", extra={"order": req.json()["n"]})
    ctx.metrics.count("OrdersPlaced")
    ctx.metrics.histogram("BasketValue", req.json()["n"] * 10.0, unit="None")
    return Response.json({"ok": True}, 201)
