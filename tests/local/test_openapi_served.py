"""``polyfn run`` serves the App's OpenAPI document and docs page, and the example shop
holds to its document under schemathesis (a bounded run against the real process)."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from .processes import RunningApp

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop" / "app.py"


@pytest.fixture(scope="module")
def shop_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    root = tmp_path_factory.mktemp("shop-openapi")
    running = RunningApp(root / "data", root / "logs", app=SHOP)
    try:
        yield running
    finally:
        running.terminate()


def _get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.status, answer.headers["content-type"], answer.read()


def test_run_serves_a_valid_openapi_31_document(shop_server: RunningApp) -> None:
    status, content_type, body = _get(shop_server.url + "/openapi.json")
    assert status == 200
    assert content_type == "application/json"
    document = json.loads(body)
    assert document["openapi"] == "3.1.0"
    validate(document)  # openapi-spec-validator picks the 3.1 schema from the version
    assert set(document["paths"]) == {"/users", "/users/{id}", "/orders", "/orders/{id}"}


def test_the_docs_page_needs_nothing_but_the_document(shop_server: RunningApp) -> None:
    status, content_type, body = _get(shop_server.url + "/docs")
    page = body.decode()
    assert status == 200
    assert content_type.startswith("text/html")
    assert 'fetch("openapi.json")' in page
    # Offline: no script, style, font or image from anywhere else.
    assert "http://" not in page
    assert "https://" not in page
    assert "<script src" not in page
    assert "<link" not in page


def test_a_path_flask_cannot_route_gets_the_json_error_body(shop_server: RunningApp) -> None:
    # werkzeug's catch-all rule does not match a newline: Flask answers itself.
    with pytest.raises(urllib.error.HTTPError) as answer:
        _get(shop_server.url + "/users/a%0A")
    assert answer.value.code == 404
    assert answer.value.headers["content-type"] == "application/json"
    assert json.loads(answer.value.read())["error"]["status"] == 404


def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    shop_server: RunningApp, tmp_path: Path
) -> None:
    _schemathesis(shop_server, tmp_path)


GUARDED = Path(__file__).resolve().parent / "apps" / "guarded_app.py"


@pytest.mark.parametrize("credentials", ["none", "a valid token and both keys"])
def test_schemathesis_holds_every_auth_mode_to_its_document(
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    credentials: str,
) -> None:
    # JWT, an authorizer with a body model, a platform key and an anonymous route:
    # every refusal (401, 403, 422, 503) is one the document lists. With credentials, a
    # token of the app's issuer reaches the JWT route's handler, the authorizer lets the
    # bodies through to their model and the platform key the DELETE; without, the JWT
    # route's issuer serves no keys (the documented 503 for a well-formed token).
    from polyfn.testing.issuer import local_issuer

    monkeypatch.setenv("POLYFN_LOCAL_KEY", "local-key")
    with contextlib.ExitStack() as stack:
        headers = []
        if credentials != "none":
            issuer = stack.enter_context(local_issuer())
            monkeypatch.setenv("GUARDED_ISSUER", issuer.url)
            token = issuer.token(audience="notes", scope="notes:read", lifetime=3600)
            # The platform key in the header the document names (polyfn run also takes
            # X-Polyfn-Key and ?code=, which schemathesis would not know to leave out).
            headers = ["-H", "x-team-key: team-secret", "-H", "x-functions-key: local-key"]
            headers += ["-H", f"Authorization: Bearer {token}"]
        root = tmp_path_factory.mktemp("guarded-openapi")
        running = RunningApp(root / "data", root / "logs", app=GUARDED)
        stack.callback(running.terminate)
        document = json.loads(_get(running.url + "/openapi.json")[2])
        validate(document)
        assert set(document["components"]["securitySchemes"]) == {"jwt1", "team", "function"}
        if credentials != "none":
            # The token is one the route takes: schemathesis's requests reach the handler.
            request = urllib.request.Request(
                running.url + "/notes/n1", headers={"Authorization": f"Bearer {token}"}
            )
            assert json.loads(urllib.request.urlopen(request, timeout=10).read()) == {"text": "n1"}
        _schemathesis(running, tmp_path, headers)


def _schemathesis(server: RunningApp, tmp_path: Path, extra: list[str] | None = None) -> None:
    report = tmp_path / "report.xml"
    # Every check but positive_data_acceptance: a page cursor is opaque, so a string the
    # schema allows may still be no cursor the listing gave (a 400 the document lists).
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        server.url + "/openapi.json",
        "--checks",
        "all",
        "--exclude-checks",
        "positive_data_acceptance",
        # Bounded so the suite stays quick on a 2-core machine; the seed keeps it repeatable.
        "--max-examples",
        "10",
        "--max-time",
        "20",
        "--seed",
        "16",
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--no-color",
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
        *(extra or []),
    ]
    # In tmp_path: schemathesis keeps a cache of past crashes in its working directory.
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=240, check=False, cwd=tmp_path
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert 'failures="0"' in report.read_text() or "<failure" not in report.read_text()
