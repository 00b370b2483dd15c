"""What ``azure.functions``' own indexing sees in ``function_app(app)``."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
import typing

import azure.functions as func
import pytest
from azure_native import bindings_of, functions_of, trigger_of
from behaviour.behaviour_app import build

from polyfn import App, Request
from polyfn.adapters.azure import function_app
from polyfn.adapters.azure.entry import FALLBACK_FUNCTION, ROOT_ROUTE, STORAGE_CONNECTION
from polyfn.core.errors import ConfigError
from polyfn.hosts.azure import HOSTS


def test_every_polyfn_function_is_an_azure_function_of_the_same_name() -> None:
    app, _ = build()
    names = set(functions_of(function_app(app)))
    assert names == set(app.functions) | {FALLBACK_FUNCTION}


@pytest.mark.parametrize(
    ("name", "binding_type"),
    [
        ("get_user", "httpTrigger"),
        ("on_upload", "blobTrigger"),
        ("on_delete", "eventGridTrigger"),
        ("work", "queueTrigger"),
        ("tick", "timerTrigger"),
        ("order_placed", "eventGridTrigger"),
    ],
)
def test_trigger_types(name: str, binding_type: str) -> None:
    app, _ = build()
    assert trigger_of(function_app(app), name)["type"] == binding_type


def test_http_routes_methods_and_bindings() -> None:
    app, _ = build()
    native = function_app(app)
    assert bindings_of(native, "get_user") == [
        {
            "type": "httpTrigger",
            "direction": "IN",
            "name": "req",
            "methods": ["GET", "HEAD"],
            "authLevel": "ANONYMOUS",
            "route": "users/{id}",
        },
        {"type": "http", "direction": "OUT", "name": "$return"},
    ]
    assert trigger_of(native, "put_user")["methods"] == ["PUT"]
    assert trigger_of(native, "put_user")["route"] == "users/{id}"
    assert trigger_of(native, "echo")["methods"] == ["GET", "POST", "PUT", "HEAD"]
    assert trigger_of(native, "files_route")["route"] == "files/{*path}"


def test_the_fallback_catches_every_other_path_and_method() -> None:
    app, _ = build()
    fallback = trigger_of(function_app(app), FALLBACK_FUNCTION)
    assert fallback["route"] == "{*polyfn_path}"
    assert set(fallback["methods"]) == {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
    assert fallback["authLevel"] == "ANONYMOUS"


def test_auth_levels_take_the_stricter_of_app_and_route() -> None:
    app = App("keys")

    @app.get("/open")
    def open_route(req: Request) -> str:
        return "open"

    @app.get("/secret", auth="function")
    def secret(req: Request) -> str:
        return "secret"

    native = function_app(app)
    assert trigger_of(native, "open_route")["authLevel"] == "ANONYMOUS"
    assert trigger_of(native, "secret")["authLevel"] == "FUNCTION"
    # Mixed key requirements: a catch-all could bypass a key, so there is none.
    assert FALLBACK_FUNCTION not in functions_of(native)

    strict = function_app(app, auth_level="function")
    assert trigger_of(strict, "open_route")["authLevel"] == "FUNCTION"
    assert trigger_of(strict, FALLBACK_FUNCTION)["authLevel"] == "FUNCTION"


def test_an_app_with_a_root_catch_all_gets_no_second_one() -> None:
    app = App("proxy")

    @app.route("/{path+}", ["GET"])
    def everything(req: Request) -> str:
        return req.path

    native = function_app(app)
    assert trigger_of(native, "everything")["route"] == "{*path}"
    assert FALLBACK_FUNCTION not in functions_of(native)


def test_the_root_route_is_an_empty_only_parameter() -> None:
    app = App("home")

    @app.get("/")
    def home(req: Request) -> str:
        return "home"

    native = function_app(app)
    assert trigger_of(native, "home")["route"] == ROOT_ROUTE
    response = HOSTS[0].http(app, "GET", "/")
    assert (response.status, response.body) == (200, b"home")


def test_storage_triggers_use_physical_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYFN_BUCKET_FILES", "behaviour-prod-files")
    monkeypatch.setenv("POLYFN_QUEUE_JOBS", "behaviour-prod-jobs")
    app, _ = build()
    native = function_app(app)
    assert trigger_of(native, "on_upload") == {
        "type": "blobTrigger",
        "direction": "IN",
        "name": "blob",
        "path": "behaviour-prod-files/in/{name}",
        "connection": STORAGE_CONNECTION,
    }
    assert trigger_of(native, "audit")["path"] == "behaviour-prod-files/{name}"
    assert trigger_of(native, "work") == {
        "type": "queueTrigger",
        "direction": "IN",
        "name": "msg",
        "queueName": "behaviour-prod-jobs",
        "connection": STORAGE_CONNECTION,
    }


def test_without_binding_variables_the_logical_names_are_used() -> None:
    app, _ = build()
    native = function_app(app)
    assert trigger_of(native, "on_upload")["path"] == "files/in/{name}"
    assert trigger_of(native, "work")["queueName"] == "jobs"


def test_braces_in_a_prefix_are_literal_in_the_blob_path() -> None:
    app = App("braces")
    bucket = app.bucket("data")

    @app.on_object_created(bucket, prefix="raw/{date}/")
    def ingest(event: object) -> None:
        return None

    assert trigger_of(function_app(app), "ingest")["path"] == "data/raw/{{date}}/{name}"


def test_timers_are_six_field_ncrontab() -> None:
    app, _ = build()
    native = function_app(app)
    assert trigger_of(native, "tick") == {
        "type": "timerTrigger",
        "direction": "IN",
        "name": "timer",
        "schedule": "0 */5 * * * *",
    }
    assert trigger_of(native, "nightly")["schedule"] == "0 0 3 * * 1-5"
    for name in ("tick", "fast_tick", "nightly"):
        assert len(trigger_of(native, name)["schedule"].split()) == 6


def test_event_grid_triggers() -> None:
    app, _ = build()
    native = function_app(app)
    for name in (
        "on_delete",
        "order_placed",
        "any_shop_source",
        "shop_order_placed",
        "any_shop_type",
    ):
        assert trigger_of(native, name) == {
            "type": "eventGridTrigger",
            "direction": "IN",
            "name": "event",
        }


@pytest.mark.parametrize(
    ("name", "argument", "annotation"),
    [
        ("get_user", "req", func.HttpRequest),
        ("on_upload", "blob", func.InputStream),
        ("on_delete", "event", func.EventGridEvent),
        ("work", "msg", func.QueueMessage),
        ("tick", "timer", func.TimerRequest),
        ("order_placed", "event", func.EventGridEvent),
    ],
)
def test_user_functions_have_the_signature_the_worker_checks(
    name: str, argument: str, annotation: type
) -> None:
    app, _ = build()
    fn = functions_of(function_app(app))[name]
    user_function = fn.get_user_function()
    assert list(inspect.signature(user_function).parameters) == [argument, "context"]
    hints = typing.get_type_hints(user_function)
    assert hints[argument] is annotation
    assert hints["context"] is func.Context  # exactly, as the worker requires
    trigger_names = {binding.name for binding in fn.get_bindings()} - {"$return"}
    assert trigger_names == {argument}
    if name == "get_user":
        assert hints["return"] is func.HttpResponse


def test_invalid_configuration_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    app, _ = build()
    with pytest.raises(ConfigError, match="auth_level"):
        function_app(app, auth_level="public")
    monkeypatch.setenv("POLYFN_TIMEOUT_SECONDS", "soon")
    with pytest.raises(ConfigError, match="POLYFN_TIMEOUT_SECONDS"):
        function_app(app)
    monkeypatch.setenv("POLYFN_TIMEOUT_SECONDS", "-5")
    with pytest.raises(ConfigError, match="POLYFN_TIMEOUT_SECONDS"):
        function_app(app)


def test_the_fallback_name_is_reserved() -> None:
    app = App("clash")

    @app.get("/x", name=FALLBACK_FUNCTION)
    def handler(req: Request) -> str:
        return "x"

    with pytest.raises(ConfigError, match="reserved"):
        function_app(app)


def _third_party_modules(code: str) -> list[str]:
    # Compared with what the interpreter loaded before the code ran (.pth files of
    # namespace packages load some at start-up).
    script = (
        "import sys\n"
        "before = set(sys.modules)\n"
        f"{code}\n"
        "names = {m.split('.')[0] for m in set(sys.modules) - before}\n"
        "print(sorted(n for n in names - set(sys.stdlib_module_names) - {'polyfn'} "
        "if not n.startswith('_')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    return list(json.loads(result.stdout.replace("'", '"')))


def test_importing_the_package_imports_nothing_third_party() -> None:
    assert _third_party_modules("import polyfn.adapters.azure") == []
    assert _third_party_modules("import polyfn.adapters.azure.describe") == []


def test_the_http_path_imports_only_the_platform_library() -> None:
    code = (
        "from polyfn import App\n"
        "from polyfn.adapters.azure import function_app\n"
        "from polyfn.hosts.events.azure import http_request, invocation_context\n"
        "app = App('tiny')\n"
        "def hi(req):\n"
        "    return 'hi'\n"
        "app.get('/hi')(hi)\n"
        "native = function_app(app)\n"
        "fn = {f.get_function_name(): f for f in native.get_functions()}['hi']\n"
        "response = fn.get_user_function()(http_request('GET', '/hi'), invocation_context('x'))\n"
        "assert response.get_body() == b'hi', response.get_body()\n"
    )
    # azure.functions brings werkzeug (and markupsafe) itself; nothing else may load.
    assert set(_third_party_modules(code)) <= {"azure", "werkzeug", "markupsafe"}
