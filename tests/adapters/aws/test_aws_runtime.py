"""Context, cold start, backends binding, import cost and the internals the views rely on."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from aws_native import invoke

from polyfn import App, Context, Message, Request, Response
from polyfn.adapters.aws import lambda_handler
from polyfn.adapters.aws.binding import LazyAwsBackends
from polyfn.adapters.aws.http_request import (
    AlbRequest,
    ApiGatewayV1Request,
    ApiGatewayV2Request,
    FunctionUrlRequest,
)
from polyfn.core.errors import ConfigError
from polyfn.hosts.events import aws as events

ROOT = Path(__file__).resolve().parents[3]


def _run(code: str, *flags: str) -> str:
    result = subprocess.run(
        [sys.executable, *flags, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _context_app() -> tuple[App, list[Context]]:
    app = App("ctx")
    seen: list[Context] = []

    @app.get("/ctx")
    def read(req: Request, ctx: Context) -> dict[str, Any]:
        seen.append(ctx)
        return {"remaining": ctx.remaining_ms}

    return app, seen


def test_context_carries_the_lambda_request_id_function_and_deadline() -> None:
    app, seen = _context_app()
    context = events.lambda_context("shop-api", timeout_ms=5000, request_id="r-1")
    invoke(app, events.apigw_v2("GET", "/ctx"), context)
    (ctx,) = seen
    assert ctx.cloud == "aws"
    assert ctx.request_id == "r-1"
    assert ctx.function_name == "read"
    assert ctx.raw is context
    assert 0 < ctx.remaining_ms <= 5000


def test_remaining_time_is_read_from_lambda_each_time() -> None:
    app, seen = _context_app()
    context = events.lambda_context(timeout_ms=10_000)
    invoke(app, events.apigw_v2("GET", "/ctx"), context)
    ctx = seen[0]
    context._deadline -= 9.0  # nine seconds pass
    assert ctx.remaining_ms <= 1000
    context._deadline -= 5.0
    assert ctx.remaining_ms == 0


def test_a_context_object_missing_attributes_still_works() -> None:
    app, seen = _context_app()

    class Partial:
        aws_request_id = "partial-1"

    invoke(app, events.apigw_v2("GET", "/ctx"), Partial())
    assert seen[0].request_id == "partial-1"
    assert seen[0].remaining_ms > 0


def test_cold_start_is_true_on_the_first_invocation_of_a_process_only() -> None:
    output = _run(
        """
        from polyfn import App
        from polyfn.adapters.aws import lambda_handler
        from polyfn.hosts.events import aws as events
        app = App("cold")
        flags = []
        @app.get("/")
        def root(req, ctx):
            flags.append(ctx.cold_start)
            return {}
        first = lambda_handler(app)
        first(events.apigw_v2("GET", "/"), events.lambda_context())
        first(events.apigw_v2("GET", "/"), events.lambda_context())
        second = lambda_handler(app)   # a second handler in the same process is warm too
        second(events.apigw_v2("GET", "/"), None)
        print(flags)
        """
    )
    assert output.strip() == "[True, False, False]"


IMPORT_PROBE = """
    import json, sys
    before = set(sys.modules)
    import polyfn.adapters.aws as aws
    after_import = set(sys.modules)
    from polyfn import App
    app = App("probe")
    @app.get("/users/{id}")
    def get_user(req):
        return {"id": req.path_params["id"]}
    handler = aws.lambda_handler(app)
    event = json.loads(sys.stdin.read())
    answer = handler(event, None)
    assert answer["statusCode"] == 200, answer
    print(json.dumps({
        "import": sorted(after_import - before),
        "invoke": sorted(set(sys.modules) - after_import),
        "stdlib": sorted(sys.stdlib_module_names),
    }))
"""


def test_import_and_an_http_invocation_load_no_third_party_module() -> None:
    event = events.apigw_v2("GET", "/users/7", headers=[(f"X-H{i}", "v") for i in range(10)])
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(IMPORT_PROBE)],
        input=json.dumps(event),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    stdlib = set(report["stdlib"])
    for phase in ("import", "invoke"):
        foreign = [
            name
            for name in report[phase]
            if name.split(".")[0] not in stdlib and not name.startswith("polyfn")
        ]
        assert foreign == [], f"{phase} loaded third-party modules: {foreign}"
    loaded = set(report["import"]) | set(report["invoke"])
    assert "asyncio" not in loaded
    # What a GET that reads one path parameter does not need is not imported for it.
    for lazy in ("logging", "base64", "binascii", "urllib.parse", "boto3", "botocore"):
        assert lazy not in loaded, lazy


COLD_IMPORT_PROBE = """
    import os, sys
    sys.path.insert(0, os.getcwd())
    before = set(sys.modules)
    import polyfn.adapters.aws as aws
    from polyfn import App, Response
    app = App("probe")
    for i in range(10):
        app.get(f"/r{i}/{{id}}", name=f"r{i}")(lambda req: Response.json({"id": 1}))
    handler = aws.lambda_handler(app)
    print(" ".join(sorted(set(sys.modules) - before)))
"""


def test_the_aws_path_imports_nothing_but_polyfn_and_contextvars() -> None:
    # typing, re, json and the like cost 1-17 ms each on a bare interpreter; the AWS path
    # and an app definition load none of them (json and re come with the first JSON
    # answer). collections.abc and what it brings are allowed: Lambda's runtime client
    # (awslambdaric) has loaded them before any handler, so they cost nothing there
    # (benchmarks/coldstart.py measures the import after it). -S: without site's .pth
    # files, which preload some of these here.
    loaded = set(_run(COLD_IMPORT_PROBE, "-S").split())
    preloaded_by_the_runtime_client = {
        "collections",
        "collections.abc",
        "_collections",
        "itertools",
        "keyword",
        "operator",
        "_operator",
        "reprlib",
    }
    allowed = {"__future__", "contextvars", "_contextvars", *preloaded_by_the_runtime_client}
    assert {m for m in loaded if not m.startswith("polyfn")} <= allowed, loaded
    # Nor what only CORS, schedules, resources or record events need.
    for lazy in ("cors", "schedule", "resources", "events", "failures"):
        assert f"polyfn.core.{lazy}" not in loaded, lazy
    assert "polyfn.adapters.aws.events" not in loaded


def _binding(app: App) -> object:
    return app.binding


def test_backends_binding_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    app = App("bind")
    lambda_handler(app)  # auto, off Lambda: the app keeps whatever it has (nothing)
    assert _binding(app) is None
    lambda_handler(app, backends="aws")
    assert isinstance(_binding(app), LazyAwsBackends)

    other = App("bind2")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "bind2-fn")
    lambda_handler(other, backends="keep")
    assert _binding(other) is None
    lambda_handler(other)
    assert isinstance(_binding(other), LazyAwsBackends)

    with pytest.raises(ConfigError, match="backends must be"):
        lambda_handler(App("bind3"), backends="azure")  # type: ignore[arg-type]


def test_lazy_backends_build_the_aws_provider_on_first_use() -> None:
    from polyfn.adapters.aws.backends import AwsBackends

    lazy = LazyAwsBackends()
    assert lazy.cloud == "aws" and lazy._provider is None
    provider = lazy._real()
    assert isinstance(provider, AwsBackends)
    assert lazy._real() is provider


@pytest.mark.parametrize(
    ("view", "event"),
    [
        (ApiGatewayV1Request, events.apigw_v1()),
        (ApiGatewayV2Request, events.apigw_v2()),
        (FunctionUrlRequest, events.function_url()),
        (AlbRequest, events.alb()),
    ],
)
def test_views_set_every_request_slot(view: Any, event: dict[str, Any]) -> None:
    # The views fill Request's slots themselves for speed; a slot core adds later
    # must be added to requests._start too, or this fails.
    request = view(event, "id")
    slots = [slot for cls in type(request).__mro__ for slot in getattr(cls, "__slots__", ())]
    for slot in slots:
        getattr(request, slot)  # AttributeError for a slot left unset


def test_sqs_message_sets_every_slot() -> None:
    # sqs_message fills Message's slots itself for speed; a slot core adds later must be
    # added there too, or this fails.
    from polyfn.adapters.aws.records import sqs_message

    record = events.sqs("jobs", [b'{"n": 1}'])["Records"][0]
    message = sqs_message(record)
    for slot in Message.__slots__:
        getattr(message, slot)  # AttributeError for a slot left unset
    assert (message.json(), message.body, message.queue) == ({"n": 1}, b'{"n": 1}', "")
    assert message.receive_count == 1 and message.attributes == {} and message.raw is record


def test_response_internals_are_what_the_renderers_read() -> None:
    # The AWS renderers read Response._headers._data (and _content_type) directly.
    response = Response.json({"a": 1})
    response.headers.add("x-tag", "b")
    assert response._headers is not None
    assert response._headers._data == {"content-type": ["application/json"], "x-tag": ["b"]}
    assert Response(b"")._headers is None


def test_context_internals_the_handler_sets() -> None:
    ctx = Context("aws", "f", "r")
    ctx._remaining = lambda: 1234
    assert ctx.remaining_ms == 1234
    # The handler fills Context's slots itself; every one must be set.
    app = App("slots")
    seen: list[Context] = []
    app.get("/ctx", name="ctx")(lambda req, c: seen.append(c) or Response.text("ok"))
    handler = lambda_handler(app, backends="keep")
    handler(events.apigw_v2("GET", "/ctx"), events.lambda_context())
    [built] = seen
    for slot in Context.__slots__:
        getattr(built, slot)  # AttributeError for a slot left unset
    assert built.cloud == "aws" and built.remaining_ms > 0 and built.logger is not None


def test_url_codec_binds_urllib_parse_on_first_use() -> None:
    code = """
        import sys
        from polyfn.adapters.aws import url_codec
        assert "urllib.parse" not in sys.modules
        assert url_codec.unquote_plus("a+b%2B") == "a b+"
        from urllib import parse
        assert url_codec.__dict__["unquote"] is parse.unquote
        assert url_codec.__dict__["parse_qsl"] is parse.parse_qsl
        try:
            url_codec.quote
        except AttributeError:
            print("ok")
    """
    assert _run(code, "-S").strip() == "ok"
