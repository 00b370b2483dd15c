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
