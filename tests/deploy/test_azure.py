"""Azure artifacts: the generated project indexes with azure.functions (in a fresh process,
with the app settings the host would give it), every trigger and binding is right, and the
ARM templates hold together."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from deploy.arm_check import ArmError, ArmTemplate
from deploy.conftest import SAMPLE, SHOP, Builder

# Runs inside the built project, as the Python worker would: imports function_app.py,
# lists what FunctionApp.get_functions() indexed, and calls one HTTP function.
_INDEX = """
import json, sys
sys.path.insert(0, ".")
import azure.functions as func
import function_app
import polyfn
indexed = function_app.app.get_functions()
functions = {}
for f in indexed:
    functions[f.get_function_name()] = json.loads(f.get_function_json())["bindings"]
answer = None
for f in indexed:
    if f.get_function_name() == sys.argv[1]:
        request = func.HttpRequest("GET", "http://localhost/api" + sys.argv[2], body=b"")
        response = f.get_user_function()(request)
        answer = {"status": response.status_code, "body": response.get_body().decode()}
print(json.dumps({"functions": functions, "answer": answer, "polyfn": polyfn.__file__}))
"""


def _index(project: Path, function: str = "", path: str = "") -> dict[str, Any]:
    settings = json.loads((project / "local.settings.json.example").read_text())["Values"]
    completed = subprocess.run(
        [sys.executable, "-c", _INDEX, function, path],
        cwd=project,
        env={**settings, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    result: dict[str, Any] = json.loads(completed.stdout)
    # The project's own copy of polyfn answered, not the one under test.
    assert result["polyfn"] == str(project / "polyfn" / "__init__.py")
    return result


def _trigger(bindings: list[dict[str, Any]]) -> dict[str, Any]:
    return next(b for b in bindings if b["direction"] == "IN" and b["type"].endswith("Trigger"))


@pytest.fixture(scope="module")
def shop(built: Builder) -> Path:
    return built(SHOP, "azure").out


@pytest.fixture(scope="module")
def sample(built: Builder) -> Path:
    return built(SAMPLE, "azure", region="westeurope").out


def test_shop_indexes_every_function_with_its_trigger(shop: Path) -> None:
    result = _index(shop, "list_users", "/users?limit=abc")
    triggers = {name: _trigger(b) for name, b in result["functions"].items()}
    assert set(triggers) == {
        "list_users", "get_user", "create_user", "update_user", "thumbnail", "send_email",
        "cleanup", "polyfn_fallback",
    }  # fmt: skip
    assert triggers["get_user"]["type"] == "httpTrigger"
    assert triggers["get_user"]["route"] == "users/{id}"
    assert set(triggers["get_user"]["methods"]) == {"GET", "HEAD"}
    assert triggers["create_user"]["methods"] == ["POST"]
    assert triggers["thumbnail"] == {
        "direction": "IN", "type": "blobTrigger", "name": "blob",
        "path": "uploads/uploads/{name}", "connection": "AzureWebJobsStorage",
    }  # fmt: skip
    assert triggers["send_email"]["type"] == "queueTrigger"
    assert triggers["send_email"]["queueName"] == "emails"
    assert triggers["cleanup"]["type"] == "timerTrigger"
    assert triggers["cleanup"]["schedule"] == "0 */5 * * * *"
    assert len(triggers["cleanup"]["schedule"].split()) == 6  # NCRONTAB: seconds first
    # The HTTP function runs the handler, which refuses the query before any table access.
    assert result["answer"]["status"] == 400
    error = json.loads(result["answer"]["body"])["error"]
    assert error["message"] == "Request parameters are invalid" and error["request_id"]
    assert error["errors"][0]["location"] == ["query", "limit"]


def test_sample_indexes_blob_deletes_events_keys_and_greedy_routes(sample: Path) -> None:
    result = _index(sample, "ping", "/ping")
    assert result["answer"]["status"] == 200
    assert json.loads(result["answer"]["body"]) == {"pong": True}
    triggers = {name: _trigger(b) for name, b in result["functions"].items()}
    assert triggers["read_file"]["route"] == "files/{*path}"
    assert triggers["read_file"]["authLevel"] == "FUNCTION"
    assert triggers["ingest"]["path"] == "files/in/{name}"
    assert triggers["forget"]["type"] == "eventGridTrigger"
    assert triggers["on_order"]["type"] == "eventGridTrigger"
    assert triggers["work"]["queueName"] == "jobs"
    assert triggers["nightly"]["schedule"] == "0 0 6 * * 1-5"
    # Every Event Grid function has a subscription in infra/eventgrid.json, and only those.
    grid = json.loads((sample / "infra" / "eventgrid.json").read_text())
    subscribed = {
        r["properties"]["destination"]["properties"]["resourceId"].split("'")[-2]
        for r in grid["resources"]
    }
    assert subscribed == {n for n, t in triggers.items() if t["type"] == "eventGridTrigger"}


def test_host_json_carries_queue_retries_batch_and_timeout(shop: Path, sample: Path) -> None:
    shop_host = json.loads((shop / "host.json").read_text())
    assert shop_host["extensionBundle"]["version"] == "[4.*, 5.0.0)"
    assert shop_host["extensions"]["queues"] == {
        "maxDequeueCount": 3, "batchSize": 10, "visibilityTimeout": "00:00:30",
    }  # fmt: skip
    assert shop_host["functionTimeout"] == "00:01:00"  # thumbnail's 60 s, the longest
    sample_host = json.loads((sample / "host.json").read_text())
    assert sample_host["extensions"]["queues"]["maxDequeueCount"] == 5
    assert sample_host["extensions"]["queues"]["batchSize"] == 5


def test_requirements_have_the_azure_runtime_and_no_boto3(shop: Path) -> None:
    lines = [
        line for line in (shop / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]  # fmt: skip
    names = {line.split(">")[0].split("=")[0].lower() for line in lines}
    assert {
        "azure-functions",
        "azure-storage-blob",
        "azure-storage-queue",
        "azure-data-tables",
    } <= names
    assert "pillow" in names  # imported by the thumbnail handler
    assert not any(n.startswith(("boto", "google")) for n in names)
    assert not (shop / "polyfn" / "adapters" / "aws").exists()
    assert not (shop / "polyfn" / "adapters" / "gcp").exists()


def test_arm_templates_hold_together(shop: Path, sample: Path) -> None:
    for project in (shop, sample):
        settings = json.loads((project / "local.settings.json.example").read_text())["Values"]
        main = ArmTemplate(json.loads((project / "infra" / "main.json").read_text()))
        main.check()
        account = main.value("[parameters('storageAccountName')]")
        assert 3 <= len(account) <= 24 and account.isalnum() and account.islower()
        assert len(main.value("[parameters('functionAppName')]")) <= 60
        site = main.resource("Microsoft.Web/sites")[0]
        app_settings = {
            s["name"]: main.value(s["value"])
            for s in site["properties"]["siteConfig"]["appSettings"]
        }
        assert app_settings["AzureWebJobsStorage"].startswith("DefaultEndpointsProtocol=https;")
        for name, value in settings.items():
            if name.startswith("POLYFN_"):
                assert app_settings[name] == value
        outputs = {k: main.value(v["value"]) for k, v in main.template["outputs"].items()}
        if project == shop:
            # Nothing of the shop needs Event Grid, so there is no subscription template.
            assert not (project / "infra" / "eventgrid.json").exists()
            continue
        grid = ArmTemplate(
            json.loads((project / "infra" / "eventgrid.json").read_text()),
            values={"functionAppName": outputs["functionAppName"], "storageAccountName": account},
            external=("Microsoft.Web/sites/functions",),
        )
        grid.check()
    sample_main = ArmTemplate(json.loads((sample / "infra" / "main.json").read_text()))
    assert sample_main.value("[parameters('location')]") == "westeurope"  # from --region
    queues = {
        r["name"]
        for r in sample_main.resource("Microsoft.Storage/storageAccounts/queueServices/queues")
    }
    assert {q.split("/default/")[1].split("'")[0] for q in queues} == {"jobs", "jobs-poison"}
    assert sample_main.resource("Microsoft.EventGrid/systemTopics")
    assert sample_main.resource("Microsoft.EventGrid/topics")


def test_the_arm_check_refuses_a_broken_template(shop: Path) -> None:
    template = json.loads((shop / "infra" / "main.json").read_text())
    template["resources"][1]["dependsOn"] = [
        "[resourceId('Microsoft.Storage/storageAccounts', 'other')]"
    ]
    with pytest.raises(ArmError, match="names no resource"):
        ArmTemplate(template).check()
    template = json.loads((shop / "infra" / "main.json").read_text())
    template["resources"][1]["name"] = "[format('{0}/uploads', parameters('storageAccountName'))]"
    with pytest.raises(ArmError, match="needs 2 '/'"):
        ArmTemplate(template).check()
