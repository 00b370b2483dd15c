"""Which resources a handler touches, read from its code, and the uses=[...] override."""

from __future__ import annotations

import pytest

from polyfn import App, Message, Request, Response
from polyfn.core.errors import ConfigError
from polyfn.core.resources import Table
from polyfn.deploy.model import build_model
from polyfn.deploy.usage import ALL_ACCESS, scan_function

app = App("usage")
photos = app.bucket("photos")
outbox = app.queue("outbox")
people = app.table("people")
audit = app.table("audit")


class Repository:
    def __init__(self) -> None:
        self.table = people

    def find(self, key: str) -> dict[str, str] | None:
        return self.table.get(key)


repository = Repository()


def record(what: str) -> None:
    audit.put({"id": what})


def helper_chain(key: str) -> None:
    record(key)


@app.get("/people/{id}")
def read_person(req: Request) -> Response:
    return Response.json(people.get(req.path_params["id"]))


@app.post("/people")
def add_person(req: Request) -> Response:
    person = req.json()
    people.put_if_absent(person)
    outbox.send_batch([person])
    helper_chain(person["id"])
    return Response.json(person, 201)


@app.get("/photos")
def list_photos(req: Request) -> Response:
    return Response.json([info.key for info in photos.iter("")])


@app.get("/found/{id}")
def via_object(req: Request) -> Response:
    return Response.json(repository.find(req.path_params["id"]))


@app.get("/names")
def only_names(req: Request) -> Response:
    # Describing a handle is not using it.
    return Response.json([photos.name, people.binding_variable, outbox.max_receives])


@app.get("/passed")
def passes_handle(req: Request) -> Response:
    return Response.json(describe(photos))


def describe(thing: object) -> str:
    return repr(thing)  # a description: no access


def _all(table: Table) -> list[dict[str, object]]:
    return list(table.scan())


def _one(key: str, *, source: Table) -> object:
    alias = source
    return alias.get(key)


@app.get("/everyone")
def everyone(req: Request) -> Response:
    # The table goes through two helpers; each grants only what it does with it.
    return Response.json({"all": _all(people), "one": _one("x", source=audit)})


@app.get("/shadow")
def shadows(req: Request) -> Response:
    people = {"id": "local"}  # a local name, not the table
    return Response.json(people.get("id"))


@app.on_message(outbox)
def deliver(msg: Message) -> None:
    photos.write(f"sent/{msg.id}", msg.body)


@app.get("/declared", uses=[people])
def declared(req: Request) -> Response:
    table = app.tables["people"]
    return Response.json(table.get("x"))


def _usage(name: str) -> dict[tuple[str, str], frozenset[str]]:
    return scan_function(app, app.function(name)).accesses


def test_method_calls_decide_the_access() -> None:
    assert _usage("read_person") == {("table", "people"): frozenset({"read"})}
    assert _usage("list_photos") == {("bucket", "photos"): frozenset({"list"})}
    assert _usage("deliver") == {("bucket", "photos"): frozenset({"write"})}


def test_helpers_are_followed_through_functions_and_objects() -> None:
    assert _usage("add_person") == {
        ("table", "people"): frozenset({"write"}),
        ("queue", "outbox"): frozenset({"send"}),
        ("table", "audit"): frozenset({"write"}),
    }
    # find() reads through self.table, which is the table stored on the instance.
    assert _usage("via_object") == {("table", "people"): frozenset({"read"})}


def test_describing_a_handle_is_not_a_use() -> None:
    assert _usage("only_names") == {}
    assert _usage("passes_handle") == {}
    assert _usage("shadows") == {}


def test_a_resource_passed_to_a_helper_grants_what_the_helper_does() -> None:
    # Before: passing users to _all granted DeleteItem, PutItem, UpdateItem... (everything).
    assert _usage("everyone") == {
        ("table", "people"): frozenset({"list"}),
        ("table", "audit"): frozenset({"read"}),
    }


def test_a_use_the_scan_cannot_follow_fails_and_points_at_uses() -> None:
    unsure = App("unsure")
    docs = unsure.bucket("docs")
    jobs = unsure.queue("jobs")
    import json

    @unsure.get("/library")
    def to_library(req: Request) -> Response:
        return Response.json(json.dumps(docs))

    @unsure.get("/returned")
    def returned(req: Request) -> Response:
        return Response.json([pick()])

    def pick() -> object:
        return jobs

    for name, found in (("to_library", "bucket 'docs' (passed to json.dumps()"),
                        ("returned", "queue 'jobs' (used as a value in")):  # fmt: skip
        with pytest.raises(ConfigError) as caught:
            scan_function(unsure, unsure.function(name))
        assert found in str(caught.value) and "uses=[...]" in str(caught.value)

    @unsure.get("/declared", uses=[docs])
    def declared(req: Request) -> Response:
        return Response.json(json.dumps(docs))

    assert scan_function(unsure, unsure.function("declared")).accesses == {
        ("bucket", "docs"): ALL_ACCESS["bucket"]
    }


def test_uses_overrides_the_scan() -> None:
    usage = scan_function(app, app.function("declared"))
    assert usage.declared
    assert usage.accesses == {("table", "people"): ALL_ACCESS["table"]}


def test_reaching_resources_through_the_app_needs_uses() -> None:
    dynamic = App("dynamic")
    dynamic.table("things")

    @dynamic.get("/things/{name}")
    def lookup(req: Request) -> Response:
        return Response.json(dynamic.tables["things"].get(req.path_params["name"]))

    with pytest.raises(ConfigError, match=r"'lookup' reaches resources through the App.*uses="):
        build_model(dynamic)


def test_uses_must_name_resources_of_the_same_app() -> None:
    other = App("other")
    foreign = other.bucket("foreign")
    with pytest.raises(ConfigError, match="declare the bucket"):

        @app.get("/foreign", uses=[foreign])
        def wrong(req: Request) -> Response:
            return Response.json({})

    with pytest.raises(ConfigError, match="uses= takes buckets, queues, tables and event buses"):
        app.get("/strings", uses=["people"])  # type: ignore[list-item]


def test_a_handler_without_source_asks_for_uses() -> None:
    blind = App("blind")
    blind.table("t")
    namespace: dict[str, object] = {}
    exec("def generated(req):\n    return None\n", namespace)  # no source file to read
    blind.get("/generated")(namespace["generated"])  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"cannot read the source.*uses="):
        build_model(blind)


def test_starting_or_reading_a_workflow_is_a_use_of_it() -> None:
    shop = App("flows")
    order = shop.workflow("order")

    @order.task
    def reserve(data: dict[str, str]) -> dict[str, str]:
        return data

    order.flow(reserve)

    def begin(data: dict[str, str]) -> str:
        return order.start(data).id

    @shop.post("/orders")
    def place(req: Request) -> Response:
        return Response.json({"id": begin(req.json())})

    @shop.get("/orders/{id}")
    def status(req: Request) -> Response:
        return Response.json(order.execution(req.path_params["id"]).summary)

    @shop.get("/health", uses=[order])
    def health(req: Request) -> Response:
        return Response.json({})

    assert scan_function(shop, shop.functions["place"]).accesses == {
        ("workflow", "order"): frozenset({"start"})  # through a helper
    }
    assert scan_function(shop, shop.functions["status"]).accesses == {
        ("workflow", "order"): frozenset({"describe"})
    }
    assert scan_function(shop, shop.functions["health"]).accesses == {
        ("workflow", "order"): ALL_ACCESS["workflow"]
    }
    assert scan_function(shop, shop.functions["reserve"]).accesses == {}
