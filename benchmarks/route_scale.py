"""Route lookup against the number of routes: AWS HTTP API v2 GET through ``$default``.

With the ``$default`` route key API Gateway has not matched a route, so polyfn's router
does: the figure is the whole invocation (event to response dict), with 1, 100 and
1,000 routes declared, for the route declared last and one in the middle. A lookup that
scanned the routes would grow with them; the ratio 1,000 routes / 1 route says it does not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from polyfn import App, Request, Response
from polyfn.adapters import aws
from polyfn.hosts.events import aws as events

SIZES = (1, 100, 1000)


def _handler(count: int) -> Callable[[Any, Any], Any]:
    app = App("scale")

    def make(i: int) -> Callable[[Request], Response]:
        def get_item(req: Request) -> Response:
            return Response.json({"id": req.path_params["id"], "route": i})

        get_item.__name__ = f"route_{i}"
        return get_item

    # Distinct first segments and a parameter: what a real API's routes look like, and
    # all of one segment count, the group the old router scanned one by one.
    for i in range(count):
        app.get(f"/resource{i}/{{id}}")(make(i))
    return aws.lambda_handler(app, backends="keep")


def candidates() -> dict[str, Callable[[], object]]:
    ctx = events.lambda_context()
    result: dict[str, Callable[[], object]] = {}
    for count in SIZES:
        handler = _handler(count)
        picks = {"last": count - 1} if count == 1 else {"last": count - 1, "middle": count // 2}
        for label, index in picks.items():
            event = events.apigw_v2("GET", f"/resource{index}/123")
            assert event["routeKey"] == "$default"
            response = handler(event, ctx)
            assert response["statusCode"] == 200, response

            def call(h: Callable[[Any, Any], Any] = handler, e: Any = event) -> object:
                return h(e, ctx)

            name = f"{count} route" if count == 1 else f"{count} routes, {label} matched"
            result[name] = call
    return result
