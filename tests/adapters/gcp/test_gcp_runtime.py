"""The entry file as deploy writes it, functions-framework's discovery, import cost, settings."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from polyfn import App
from polyfn.adapters.gcp import event_function, http_function
from polyfn.adapters.gcp.backends import GcpBackends
from polyfn.core.errors import ConfigError
from polyfn.hosts.events import gcp as events

REPO = Path(__file__).resolve().parents[3]

APP_SOURCE = """
from polyfn import App, Message

app = App("entry")
jobs = app.queue("jobs")
received = []


@app.get("/hello/{name}")
def hello(req):
    return {"hello": req.path_params["name"]}


@app.on_message(jobs)
def work(msg: Message) -> None:
    received.append(msg.text)
"""

MAIN_SOURCE = """
from polyfn.adapters import gcp
from entry_app import app as polyfn_app

http = gcp.http_function(polyfn_app)
events = gcp.event_function(polyfn_app)
"""


@pytest.fixture
def entry_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """main.py as polyfn deploy writes it, next to the app module; create_app's leftovers
    (variables, sys.path, loaded modules) are undone after the test."""
    (tmp_path / "entry_app.py").write_text(APP_SOURCE, encoding="utf-8")
    (tmp_path / "main.py").write_text(MAIN_SOURCE, encoding="utf-8")
    for name in ("FUNCTION_TARGET", "FUNCTION_SIGNATURE_TYPE", "FUNCTION_SOURCE"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setattr(sys, "path", [*sys.path, str(tmp_path)])
    yield tmp_path
    for module in ("main", "entry_app"):
        sys.modules.pop(module, None)


def test_create_app_finds_both_targets_without_a_signature_flag(entry_folder: Path) -> None:
    import functions_framework

    source = str(entry_folder / "main.py")
    http_app = functions_framework.create_app("http", source)  # type: ignore[no-untyped-call]
    response = http_app.test_client().get("/hello/world")
    assert response.status_code == 200 and response.get_json() == {"hello": "world"}

    events_app = functions_framework.create_app("events", source)  # type: ignore[no-untyped-call]
    client = events_app.test_client()
    assert client.get("/").status_code == 405  # a cloudevent target takes POST only
    headers, body = events.binary_mode(events.pubsub("jobs", message="hi"))
    assert client.post("/", headers=headers, data=body).status_code == 200
    assert sys.modules["entry_app"].received == ["hi"]


def test_targets_are_plain_named_functions() -> None:
    app = App("plain")
    http = http_function(app, backends="keep")
    handler = event_function(app, backends="keep", target="on_event")
    assert isinstance(http, types.FunctionType) and http.__name__ == "http"
    assert isinstance(handler, types.FunctionType) and handler.__name__ == "on_event"
    with pytest.raises(ConfigError, match="identifier"):
        http_function(app, target="not a name")


def test_importing_and_building_the_targets_imports_no_web_or_cloud_library() -> None:
    code = textwrap.dedent(
        """
        import json, sys
        from polyfn import App
        from polyfn.adapters import gcp
        app = App("light")
        gcp.http_function(app)
        gcp.event_function(app)
        heavy = ("flask", "werkzeug", "functions_framework", "cloudevents", "google.cloud.")
        print(json.dumps(sorted(m for m in sys.modules if m.startswith(heavy))))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
        timeout=60,
    )
    assert json.loads(result.stdout) == []


@pytest.mark.parametrize("value", ["0", "-5", "ten", "inf"])
def test_bad_timeout_setting_is_a_config_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("POLYFN_TIMEOUT_SECONDS", value)
    with pytest.raises(ConfigError, match="POLYFN_TIMEOUT_SECONDS"):
        http_function(App("timeouts"))


def test_backends_binding(monkeypatch: pytest.MonkeyPatch) -> None:
    unbound = App("unbound")
    http_function(unbound)
    assert unbound.binding is None  # not on Google Cloud: tests and scripts keep local

    monkeypatch.setenv("K_SERVICE", "shop-prod-hello")
    on_cloud = App("oncloud")
    event_function(on_cloud)
    assert isinstance(on_cloud.binding, GcpBackends)

    local = App("local")
    http_function(local, cloud="local")
    assert local.binding is None

    forced = App("forced")
    monkeypatch.delenv("K_SERVICE")
    http_function(forced, backends="gcp")
    assert isinstance(forced.binding, GcpBackends)

    with pytest.raises(ConfigError, match="backends"):
        http_function(App("bad"), backends="aws")  # type: ignore[arg-type]
