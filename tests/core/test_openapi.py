"""The App's OpenAPI 3.1 document, checked by openapi-spec-validator, and `polyfn openapi`."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from openapi_spec_validator import validate

from polyfn import App, Request
from polyfn.core.openapi import openapi_document

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"


@dataclass
class Note:
    """A note."""

    text: str


class Saved(TypedDict):
    id: str
    text: str


def _app() -> App:
    app = App("notes")

    @app.post("/notes", body=Note, responses={201: Saved})
    def add(req: Request) -> Any:
        """Add a note.

        The text is stored as it is.
        """
        return {}

    @app.route("/notes/{id}", ["GET", "DELETE"], path_params={"id": int}, auth="function")
    def one(req: Request) -> Any:
        return {}

    @app.get("/files/{path+}")
    def files(req: Request) -> Any:
        return b""

    return app


def test_the_document_is_valid_openapi_31() -> None:
    document = openapi_document(_app(), version="2.0.0")
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert document["info"] == {"title": "notes", "version": "2.0.0"}


def test_operations_carry_models_parameters_errors_and_auth() -> None:
    document = openapi_document(_app())
    add = document["paths"]["/notes"]["post"]
    assert add["operationId"] == "add"
    assert add["summary"] == "Add a note."
    assert add["description"] == "The text is stored as it is."
    assert add["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Note"
    }
    assert add["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Saved"
    }
    assert "2XX" not in add["responses"]
    assert add["responses"]["default"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    get_one = document["paths"]["/notes/{id}"]["get"]
    assert get_one["operationId"] == "one_get"
    assert get_one["parameters"] == [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
    ]
    assert get_one["security"] == [{"function": []}]
    assert "2XX" in get_one["responses"]  # declares no answer model
    assert document["components"]["securitySchemes"]["function"]["type"] == "apiKey"
    # A greedy parameter is written as OpenAPI's plain one.
    assert document["paths"]["/files/{path}"]["get"]["parameters"][0]["name"] == "path"
    assert set(document["components"]["schemas"]) == {"Note", "Saved", "Error", "FieldError"}


def test_an_app_without_function_auth_declares_no_security_scheme() -> None:
    app = App("open")
    app.get("/", name="root")(lambda req: None)
    document = openapi_document(app)
    validate(document)
    assert "securitySchemes" not in document["components"]


def test_polyfn_openapi_prints_the_document(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from polyfn.cli import main; raise SystemExit(main())",
            "openapi",
            str(SHOP),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    document = json.loads(done.stdout)
    validate(document)
    assert document["paths"]["/users"]["post"]["requestBody"]["required"] is True
    out = tmp_path / "api.json"
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from polyfn.cli import main; raise SystemExit(main())",
            "openapi",
            str(SHOP),
            "-o",
            str(out),
            "--api-version",
            "3",
        ],
        check=True,
    )
    assert json.loads(out.read_text())["info"]["version"] == "3"


def test_polyfn_openapi_on_a_missing_app_is_a_usage_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from polyfn.cli import main; raise SystemExit(main())",
            "openapi",
            str(tmp_path / "nothing.py"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("polyfn openapi:")


def _guarded_app() -> App:
    from polyfn import JWT, Allow, AuthRequest, Deny

    app = App("guarded")
    reader = JWT(issuer="https://id.example/", audience="api", scopes=["users:read"])

    @app.authorizer(ttl=300, identity=["header:x-team-key", "query:team"])
    def teams(request: AuthRequest) -> Allow | Deny:
        return Deny()

    @app.post("/users", body=Note, auth=teams)
    def create(req: Request) -> Any:
        return {}

    @app.get("/users/{id}", auth=reader)
    def read(req: Request) -> Any:
        return {}

    @app.delete("/users/{id}", auth=JWT(issuer="https://id.example/", audience="api"))
    def remove(req: Request) -> Any:
        return {}

    @app.get("/health")
    def health(req: Request) -> Any:
        return {}

    return app


def test_jwt_and_authorizer_routes_declare_their_schemes_and_refusals() -> None:
    document = openapi_document(_guarded_app())
    validate(document)
    schemes = document["components"]["securitySchemes"]
    # One OpenID Connect scheme per issuer and audience, whatever the scopes.
    assert schemes["jwt1"]["type"] == "openIdConnect"
    assert (
        schemes["jwt1"]["openIdConnectUrl"] == "https://id.example/.well-known/openid-configuration"
    )
    assert set(schemes) == {"jwt1", "teams_x-team-key", "teams_team"}
    assert schemes["teams_x-team-key"] == {
        "type": "apiKey",
        "in": "header",
        "name": "x-team-key",
        "description": "Checked by the App's authorizer teams (answers cached 300 s per caller)",
    }
    assert schemes["teams_team"]["in"] == "query"
    paths = document["paths"]
    read = paths["/users/{id}"]["get"]
    assert read["security"] == [{"jwt1": ["users:read"]}]
    assert paths["/users/{id}"]["delete"]["security"] == [{"jwt1": []}]
    assert {"401", "403", "503"} <= set(read["responses"])
    assert "422" not in read["responses"]
    create = paths["/users"]["post"]
    # Both identity sources in one requirement: all of them are needed.
    assert create["security"] == [{"teams_x-team-key": [], "teams_team": []}]
    assert {"401", "403", "422"} <= set(create["responses"])
    assert "503" not in create["responses"]
    error = {"$ref": "#/components/schemas/Error"}
    assert create["responses"]["401"]["content"]["application/json"]["schema"] == error
    health = paths["/health"]["get"]
    assert "security" not in health
    assert not {"401", "403"} & set(health["responses"])


def test_a_body_model_documents_422_on_an_anonymous_route() -> None:
    add = openapi_document(_app())["paths"]["/notes"]["post"]
    assert add["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    assert "security" not in add
