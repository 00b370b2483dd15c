"""``polyfn deploy build|preview`` as a user runs it."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from deploy.conftest import SAMPLE, SHOP
from polyfn.cli import main


def test_preview_prints_functions_resources_and_permissions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["deploy", "preview", str(SHOP), "--cloud", "aws"]) == 0
    text = capsys.readouterr().out
    assert "polyfn deploy preview: shop -> aws (stage dev)" in text
    assert "get_user  [shop-dev-get_user]  512 MB, 30 s" in text
    assert "API Gateway HTTP API GET /users/{id}" in text
    assert "queue emails: SQS queue" in text and "dead-letter queue after 3 receives" in text
    assert "get_user: dynamodb:GetItem on UsersTable.Arn" in text
    assert "thumbnail: s3:GetObject, s3:PutObject on" in text


def test_preview_prints_the_azure_identity_roles_per_resource(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["deploy", "preview", str(SHOP), "--cloud", "azure"]) == 0
    text = capsys.readouterr().out
    assert "get_user: read on table users" in text
    identity = next(line for line in text.splitlines() if "managed identity" in line)
    assert "Storage Table Data Contributor on table users" in identity
    assert "Storage Queue Data Message Processor on queue emails" in identity
    assert "account key" not in text


def test_deploy_plan_is_a_deprecated_alias_of_preview(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["deploy", "plan", str(SHOP), "--cloud", "aws"]) == 0
    captured = capsys.readouterr()
    assert "polyfn deploy preview: shop -> aws (stage dev)" in captured.out
    assert "'deploy plan' is deprecated; use 'deploy preview'" in captured.err


def test_preview_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                *("deploy", "preview", str(SAMPLE), "--cloud", "gcp"),
                *("--stage", "prod", "--format", "json"),
            ]
        )
        == 0
    )
    plan = json.loads(capsys.readouterr().out)
    assert plan["stage"] == "prod"
    names = {f["name"]: f for f in plan["functions"]}
    assert names["nightly"]["trigger"] == "Cloud Scheduler 0 6 * * 1-5 (UTC)"
    assert names["work"]["deployed_as"] == "sampler-prod-work"
    assert {r["physical"] for r in plan["resources"] if r["kind"] == "queue"} == {
        "sampler-prod-jobs"
    }


def test_build_reports_the_bundle_and_what_to_run_next(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "aws"
    assert (
        main(["deploy", "build", str(SAMPLE), "--cloud", "aws", "--out", str(out), "--no-deps"])
        == 0
    )
    printed = capsys.readouterr().out
    assert "bundle: bundle.zip:" in printed and "MB unzipped of Lambda's 250.0 MB limit" in printed
    assert "next: cd" in printed and "sam deploy --guided" in printed
    assert {p.name for p in out.iterdir()} == {
        "template.yaml",
        "bundle.zip",
        "samconfig.toml",
        ".polyfn-build.json",
    }
    first = (out / "bundle.zip").read_bytes()
    # A previous build is replaced (with a byte-identical bundle: the zip is reproducible,
    # so SAM skips the upload); a folder of something else is not touched.
    assert (
        main(["deploy", "build", str(SAMPLE), "--cloud", "aws", "--out", str(out), "--no-deps"])
        == 0
    )
    assert (out / "bundle.zip").read_bytes() == first
    other = tmp_path / "mine"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    capsys.readouterr()
    assert (
        main(["deploy", "build", str(SAMPLE), "--cloud", "aws", "--out", str(other), "--no-deps"])
        == 1
    )
    assert "not empty and not a previous polyfn build" in capsys.readouterr().err
    assert (other / "keep.txt").read_text() == "mine"


def test_errors_are_one_line_and_exit_non_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["deploy", "preview", str(tmp_path / "missing.py"), "--cloud", "aws"]) == 2
    assert "polyfn deploy: no such file" in capsys.readouterr().err
    assert main(["deploy", "preview", str(SHOP), "--cloud", "aws", "--stage", "Prod!"]) == 1
    assert "stage 'Prod!' must be" in capsys.readouterr().err
    assert (
        main(
            ["deploy", "build", str(SHOP), "--cloud", "azure", "--plan", "y2",
             "--out", str(tmp_path / "x")]
        )
        == 1
    )  # fmt: skip
    assert "unknown azure plan 'y2'" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_a_module_spec_ships_its_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    package = tmp_path / "project" / "deploykit"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "service.py").write_text(
        "from polyfn import App, Response\n"
        "api = App('kit')\n"
        "@api.get('/hi')\n"
        "def hi(req):\n"
        "    return Response.json({'hi': 1})\n"
    )
    (tmp_path / "project" / "unrelated.txt").write_text("not part of the package")
    monkeypatch.chdir(tmp_path / "project")
    monkeypatch.syspath_prepend(str(tmp_path / "project"))
    out = tmp_path / "out"
    argv = ["deploy", "build", "deploykit.service:api", "--cloud", "aws", "--out", str(out)]
    assert main([*argv, "--no-deps"]) == 0
    with zipfile.ZipFile(out / "bundle.zip") as archive:
        names = set(archive.namelist())
        entry = archive.read("polyfn_entry.py").decode()
    assert {"deploykit/__init__.py", "deploykit/service.py"} <= names
    assert "unrelated.txt" not in names
    assert "from deploykit.service import api as app" in entry


def test_build_with_a_rest_api_and_api_keys(tmp_path: Path) -> None:
    out = tmp_path / "rest"
    args = ["deploy", "build", str(SHOP), "--cloud", "aws", "--out", str(out), "--no-deps"]
    assert main([*args, "--aws-api", "rest", "--aws-api-keys"]) == 0
    template = (out / "template.yaml").read_text()
    assert "AWS::Serverless::Api" in template and "ApiKeyRequired: true" in template
    assert "Type: HttpApi" not in template


def test_api_keys_without_the_rest_api_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "http"
    args = ["deploy", "build", str(SHOP), "--cloud", "aws", "--out", str(out), "--no-deps"]
    assert main([*args, "--aws-api-keys"]) != 0
    assert "REST API" in capsys.readouterr().err
