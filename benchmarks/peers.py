"""The peers, each serving GET /users/{id} -> {"id": ...} the way its docs teach.

They are installed only in the benchmark environment (.bench-venv), never as polyfn
dependencies. A peer that is missing is reported as such, not silently dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Handler = Callable[[dict[str, Any], Any], Any]


def powertools() -> Handler:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    resolver = APIGatewayHttpResolver()

    @resolver.get("/users/<user_id>")
    def get_user(user_id: str) -> dict[str, str]:
        return {"id": user_id}

    def handler(event: dict[str, Any], context: Any) -> Any:
        return resolver.resolve(event, context)

    return handler


def chalice() -> Handler:
    # Chalice's runtime understands the REST API (v1) event only; it gets a v1 event.
    from chalice import Chalice

    app = Chalice(app_name="bench")

    @app.route("/users/{user_id}")
    def get_user(user_id: str) -> dict[str, str]:
        return {"id": user_id}

    return app  # type: ignore[return-value]


def mangum_starlette() -> Handler:
    from mangum import Mangum
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def get_user(request: Request) -> JSONResponse:
        return JSONResponse({"id": request.path_params["user_id"]})

    return Mangum(Starlette(routes=[Route("/users/{user_id}", get_user)]), lifespan="off")  # type: ignore[no-any-return]


def apig_wsgi_flask() -> Handler:
    from apig_wsgi import make_lambda_handler
    from flask import Flask

    app = Flask("bench")

    @app.get("/users/<user_id>")
    def get_user(user_id: str) -> dict[str, str]:
        return {"id": user_id}

    return make_lambda_handler(app)  # type: ignore[no-any-return]


# name -> (factory, which API Gateway event version it is fed)
PEERS: dict[str, tuple[Callable[[], Handler], str]] = {
    "Chalice": (chalice, "v1"),
    "Powertools APIGatewayHttpResolver": (powertools, "v2"),
    "Mangum + Starlette": (mangum_starlette, "v2"),
    "apig-wsgi + Flask": (apig_wsgi_flask, "v2"),
}
