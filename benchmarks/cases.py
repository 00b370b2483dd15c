"""The invocation cases: polyfn against the hand-written handler (and peers) per path.

Events come from ``polyfn.hosts.events.aws``, the generators the tests use, so the
benchmark measures the shapes the adapters are tested on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import handwritten
import peers

from polyfn import App, Message, ObjectEvent, Request, Response
from polyfn.adapters import aws
from polyfn.hosts.events import aws as events

TEN_HEADERS = [
    ("accept", "application/json"),
    ("accept-encoding", "gzip, deflate, br"),
    ("accept-language", "en-GB,en;q=0.9"),
    ("cache-control", "no-cache"),
    ("user-agent", "Mozilla/5.0 (X11; Linux x86_64) bench/1.0"),
    ("x-amzn-trace-id", "Root=1-67891233-abcdef012345678912345678"),
    ("x-forwarded-for", "203.0.113.7"),
    ("x-forwarded-port", "443"),
    ("x-forwarded-proto", "https"),
    ("x-request-source", "benchmark"),
]
POST_BODY = json.dumps(
    {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "tags": ["math", "engines"] * 8,
        "address": {"street": "12 St James's Square", "city": "London", "zip": "SW1Y 4JH"},
    }
).encode()[:300]


class Case:
    def __init__(self, name: str, target: float | None) -> None:
        self.name = name
        self.target = target
        self.candidates: dict[str, Callable[[], object]] = {}
        self.unavailable: dict[str, str] = {}

    def add(self, name: str, handler: Callable[[Any, Any], Any], event: Any, ctx: Any) -> None:
        self.candidates[name] = lambda: handler(event, ctx)


def _app() -> App:
    app = App("bench")
    jobs = app.queue("jobs")
    files = app.bucket("files")

    @app.get("/users/{id}")
    def get_user(req: Request) -> Response:
        return Response.json({"id": req.path_params["id"]})

    @app.post("/users")
    def create_user(req: Request) -> Response:
        return Response.json(req.json(), 201)

    @app.on_message(jobs)
    def work(msg: Message) -> None:
        handwritten.business(msg.json())

    @app.on_object_created(files)
    def uploaded(event: ObjectEvent) -> None:
        handwritten.business({"key": event.key, "size": event.size})

    return app


def memory_event() -> dict[str, Any]:
    return events.apigw_v2("GET", "/users/123", headers=TEN_HEADERS, path_template="/users/{id}")


def all_cases() -> list[Case]:
    handler = aws.lambda_handler(_app(), backends="keep")
    ctx = events.lambda_context()
    v2_get = memory_event()
    v1_get = events.apigw_v1("GET", "/users/123", headers=TEN_HEADERS, path_template="/users/{id}")
    post_headers = [*TEN_HEADERS, ("content-type", "application/json")]
    result: list[Case] = []

    case = Case("AWS HTTP API v2 GET /users/{id}", 1.5)  # run.TARGETS["http_ratio"]
    case.add("hand-written", handwritten.apigw_get, v2_get, ctx)
    case.add("polyfn", handler, v2_get, ctx)
    for name, (factory, version) in peers.PEERS.items():
        try:
            case.add(name, factory(), v2_get if version == "v2" else v1_get, ctx)
        except ImportError as exc:
            case.unavailable[name] = f"not installed: {exc.name} (make bench installs it)"
    result.append(case)

    v2_post = events.apigw_v2("POST", "/users", headers=post_headers, body=POST_BODY)
    case = Case("AWS HTTP API v2 POST (300 B JSON)", 1.5)  # run.TARGETS["http_ratio"]
    case.add("hand-written", handwritten.apigw_post, v2_post, ctx)
    case.add("polyfn", handler, v2_post, ctx)
    result.append(case)

    case = Case("AWS REST API v1 GET /users/{id}", None)
    case.add("hand-written", handwritten.apigw_get, v1_get, ctx)
    case.add("polyfn", handler, v1_get, ctx)
    result.append(case)

    alb_get = events.alb("GET", "/users/123", headers=TEN_HEADERS, multi_value=False)
    case = Case("AWS ALB GET /users/{id}", None)
    case.add("hand-written", handwritten.alb_get, alb_get, ctx)
    case.add("polyfn", handler, alb_get, ctx)
    result.append(case)

    batch = events.sqs("jobs", [json.dumps({"n": i, "fail": False}).encode() for i in range(10)])
    case = Case("AWS SQS batch of 10", 2.0)
    case.add("hand-written", handwritten.sqs_batch, batch, ctx)
    case.add("polyfn", handler, batch, ctx)
    result.append(case)

    # A failure is logged; the hand-written loop above does not log, so this case also
    # shows one that logs the traceback as most hand-written handlers would.
    batch = events.sqs("jobs", [json.dumps({"n": i, "fail": i == 3}).encode() for i in range(10)])
    case = Case("AWS SQS batch of 10, 1 fails", None)
    case.add("hand-written", handwritten.sqs_batch, batch, ctx)
    case.add("polyfn", handler, batch, ctx)
    case.add("hand-written, logs the traceback", handwritten.sqs_batch_logged, batch, ctx)
    result.append(case)

    s3 = events.s3("created", "files", "uploads/my photo+1.jpg", size=2048)
    case = Case("AWS S3 object created", None)
    case.add("hand-written", handwritten.s3_event, s3, ctx)
    case.add("polyfn", handler, s3, ctx)
    result.append(case)
    return result + _other_clouds()


def _other_clouds() -> list[Case]:
    # Imported here: they need azure-functions and functions-framework, which the bench
    # venv has (make bench) and a bare checkout may not; a missing one is reported.
    result: list[Case] = []
    for module in ("cases_azure", "cases_gcp"):
        try:
            result.extend(__import__(module).cases())
        except ImportError as exc:
            # Target 2.0 so that a run without them cannot pass: the HTTP paths have one.
            missing = Case(f"{module.removeprefix('cases_').upper()} cases", 2.0)
            missing.unavailable["all"] = f"not installed: {exc.name} (make bench installs it)"
            result.append(missing)
    return result
