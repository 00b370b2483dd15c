"""``polyfn run`` enforces the platform-key mode the clouds enforce outside the function:
a route declared ``auth="platform-key"`` (or its former name ``"function"``) answers 401
without the key the runtime printed at start (issue 16, item 4: a POST with no
credentials got 201)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from polyfn import App, Request, Response
from polyfn.adapters.local.entry import LocalRuntime, RuntimeOptions


def build() -> App:
    app = App("keys")

    @app.post("/users", auth="platform-key")
    def create_user(req: Request) -> Response:
        return Response.json({"created": True}, 201)

    @app.get("/files", auth="function")
    def files(req: Request) -> Response:
        return Response.json([])

    @app.get("/health")
    def health(req: Request) -> Response:
        return Response.json({"ok": True})

    return app


def send(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url, method=method, headers=headers or {}, data=b"{}" if method == "POST" else None
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("POLYFN_LOCAL_KEY", raising=False)
    made = LocalRuntime(build(), RuntimeOptions(data_dir=tmp_path / "run", port=0))
    made.start()
    try:
        yield made
    finally:
        made.stop()


def test_a_key_route_without_the_key_is_401(runtime: LocalRuntime) -> None:
    assert runtime.http is not None
    base = runtime.http.url
    status, body = send(base + "/users", "POST")
    assert status == 401
    assert json.loads(body)["error"]["message"] == "a platform key is required"
    assert send(base + "/users", "POST", {"X-Polyfn-Key": "wrong"})[0] == 401
    assert send(base + "/files?code=wrong")[0] == 401
    assert send(base + "/files", "HEAD")[0] == 401


def test_the_printed_key_opens_the_route(runtime: LocalRuntime) -> None:
    assert runtime.http is not None and runtime.platform_key
    base, key = runtime.http.url, runtime.platform_key
    assert key in runtime.summary()
    assert send(base + "/users", "POST", {"X-Polyfn-Key": key})[0] == 201
    assert send(base + "/users", "POST", {"x-functions-key": key})[0] == 201
    assert send(base + f"/files?code={key}")[0] == 200


def test_anonymous_routes_and_unknown_paths_need_no_key(runtime: LocalRuntime) -> None:
    assert runtime.http is not None
    assert send(runtime.http.url + "/health")[0] == 200
    assert send(runtime.http.url + "/nowhere")[0] == 404


def test_the_key_can_be_chosen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYFN_LOCAL_KEY", "team-key")
    made = LocalRuntime(build(), RuntimeOptions(data_dir=tmp_path / "run", port=0))
    made.start()
    try:
        assert made.platform_key == "team-key"
        assert made.http is not None
        assert send(made.http.url + "/files", headers={"X-Polyfn-Key": "team-key"})[0] == 200
    finally:
        made.stop()
