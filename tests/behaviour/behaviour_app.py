"""One App exercising every trigger; the behaviour tests drive it through each runtime."""

from __future__ import annotations

from typing import Any

from polyfn import App, Context, Event, HTTPError, Message, ObjectEvent, Request, Response, Schedule


def build() -> tuple[App, dict[str, list[Any]]]:
    """A fresh app and the record of what its handlers saw."""
    app = App("behaviour")
    files = app.bucket("files")
    jobs = app.queue("jobs", max_receives=3)
    app.queue("orphans")  # declared, consumed by no function
    seen: dict[str, list[Any]] = {
        "calls": [],
        "objects": [],
        "audits": [],
        "messages": [],
        "ticks": [],
        "events": [],
    }

    # Two functions on one route, split by method.
    @app.get("/users/{id}")
    def get_user(req: Request, ctx: Context) -> Response:
        seen["calls"].append((req, ctx))
        if req.path_params["id"] == "missing":
            raise HTTPError(404, "User not found")
        if req.path_params["id"] == "teapot":
            raise HTTPError(418)  # no message: the reason phrase is the message
        if req.path_params["id"] == "crash":
            raise RuntimeError("secret-token-123 leaked")
        return Response.json({"id": req.path_params["id"]})

    @app.put("/users/{id}")
    def put_user(req: Request, ctx: Context) -> Response:
        seen["calls"].append((req, ctx))
        return Response.json({"id": req.path_params["id"], "body": req.json()})

    @app.post("/users")
    def create_user(req: Request) -> Response:
        return Response.json({"created": req.json()}, 201, headers={"location": "/users/1"})

    @app.route("/echo", ["GET", "POST", "PUT"])
    def echo(req: Request) -> Response:
        return Response.json(
            {
                "method": req.method,
                "path": req.path,
                "query": req.query.to_lists(),
                "headers": req.headers.to_lists(),
                "tags": req.headers.getlist("x-tag"),
                "cookies": req.cookies,
                "body": req.text,
                "length": len(req.body),
                "content_type": req.headers.get("content-type"),
            }
        )

    @app.post("/binary")
    def binary(req: Request) -> Response:
        return Response.binary(req.body[::-1], "image/png")

    @app.get("/cookies")
    def cookies(req: Request) -> Response:
        response = Response.text("set")
        response.set_cookie("session", "abc")
        response.set_cookie("theme", "dark", http_only=False)
        return response

    @app.get("/repeated")
    def repeated(req: Request) -> Response:
        response = Response.text("two values")
        response.headers.add("x-multi", "one")
        response.headers.add("x-multi", "two")
        return response

    @app.get("/nothing")
    def nothing(req: Request) -> None:
        return None

    @app.get("/not-a-number")
    def not_a_number(req: Request) -> Response:
        # NaN is not JSON: Response.json refuses it rather than write {"x":NaN}.
        return Response.json({"x": float("nan")})

    @app.get("/files/{path+}")
    def files_route(req: Request) -> dict[str, str]:
        return {"path": req.path_params["path"]}

    # Two subscribers on one bucket with different filters, the filtered one failing on
    # ``broken.jpg``.
    @app.on_object_created(files, prefix="in/", suffix=".jpg")
    def on_upload(event: ObjectEvent) -> None:
        if event.key.endswith("broken.jpg"):
            raise ValueError("cannot decode image")
        seen["objects"].append(("created", event.bucket, event.key, event.size))

    @app.on_object_created(files)
    def audit(event: ObjectEvent) -> None:
        seen["audits"].append((event.key, event.size))

    @app.on_object_deleted(files)
    def on_delete(event: ObjectEvent) -> None:
        seen["objects"].append(("deleted", event.bucket, event.key))

    @app.on_message(jobs, batch_size=10)
    def work(msg: Message, ctx: Context) -> None:
        payload = msg.json()
        if payload.get("fail"):
            raise ValueError("this job always fails")
        seen["messages"].append((payload["n"], dict(msg.attributes), msg.queue, ctx.cloud))

    @app.schedule("rate(5 minutes)")
    def tick(schedule: Schedule, ctx: Context) -> None:
        seen["ticks"].append((schedule.name, ctx.cloud, schedule.time))

    # Declared after ``tick``, whose name ends its own: a tick for ``fast_tick``'s rule
    # or job (``behaviour-fast-tick``) must run this one on every cloud.
    @app.schedule("rate(1 minute)")
    def fast_tick(schedule: Schedule, ctx: Context) -> None:
        seen["ticks"].append((schedule.name, ctx.cloud, schedule.time))

    @app.schedule("0 3 * * MON-FRI")
    def nightly(schedule: Schedule, ctx: Context) -> None:
        seen["ticks"].append((schedule.name, ctx.cloud, schedule.time))

    # Event filters: exact, a source pattern alone, a source pattern with an exact type,
    # and a type pattern alone. Each records its name and the event it got.
    @app.on_event(source="shop.orders", type="OrderPlaced")
    def order_placed(event: Event) -> None:
        seen["events"].append(("order_placed", event))

    @app.on_event(source="shop.*")
    def any_shop_source(event: Event) -> None:
        seen["events"].append(("any_shop_source", event))

    @app.on_event(source="shop.*", type="Shop.OrderPlaced")
    def shop_order_placed(event: Event) -> None:
        seen["events"].append(("shop_order_placed", event))

    @app.on_event(type="Shop.*")
    def any_shop_type(event: Event) -> None:
        seen["events"].append(("any_shop_type", event))

    return app, seen


def build_with_bus() -> tuple[App, dict[str, list[Any]]]:
    """An app publishing to its event bus ``orders`` and subscribing to it, next to an
    ``on_event`` function of the same filters that is on no bus."""
    app = App("behaviour-bus")
    orders = app.event_bus("orders")
    seen: dict[str, list[Any]] = {"events": []}

    @app.on_event(bus=orders, source="shop.orders", type="OrderPlaced")
    def bus_order_placed(event: Event) -> None:
        seen["events"].append(("bus_order_placed", event))

    @app.on_event(bus=orders, source="shop.*")
    def bus_any_shop_source(event: Event) -> None:
        seen["events"].append(("bus_any_shop_source", event))

    @app.on_event(bus=orders, type="Billing.*")
    def bus_any_billing_type(event: Event) -> None:
        seen["events"].append(("bus_any_billing_type", event))

    @app.on_event(source="shop.orders", type="OrderPlaced")
    def not_on_the_bus(event: Event) -> None:
        seen["events"].append(("not_on_the_bus", event))

    @app.post("/orders")
    def place_order(req: Request) -> Response:
        order = req.json()
        event_id = orders.publish(
            source="shop.orders", type="OrderPlaced", data=order, subject=f"orders/{order['n']}"
        )
        return Response.json({"event": event_id}, 202)

    return app, seen
