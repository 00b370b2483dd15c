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

from deploy.arm_check import FLEX_REQUIRED, ArmError, ArmTemplate, _lookup
from deploy.conftest import SAMPLE, SHOP, Builder
from polyfn.deploy.azure_roles import ROLE_IDS
from polyfn.deploy.builder import BuildOptions, build

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
        "cleanup", "polyfn_fallback", "place_order", "get_order",
        # the order workflow: its orchestrators and one activity per task
        "order_workflow", "order_workflow_branch", "validate_order", "check_inventory",
        "charge_payment", "fulfill_order", "notify_out_of_stock", "notify_payment_failed",
    }  # fmt: skip
    assert triggers["order_workflow"]["type"] == "orchestrationTrigger"
    assert triggers["charge_payment"]["type"] == "activityTrigger"
    assert triggers["get_user"]["type"] == "httpTrigger"
    assert triggers["get_user"]["route"] == "users/{id}"
    assert set(triggers["get_user"]["methods"]) == {"GET", "HEAD"}
    assert triggers["create_user"]["methods"] == ["POST"]
    # Flex Consumption (the default) has no polling blob trigger: Event Grid feeds it, and
    # both triggers read the data account through the identity-based connection.
    assert triggers["thumbnail"] == {
        "direction": "IN", "type": "blobTrigger", "name": "blob",
        "path": "uploads/uploads/{name}", "connection": "PolyfnStorage", "source": "EventGrid",
    }  # fmt: skip
    assert triggers["send_email"]["type"] == "queueTrigger"
    assert triggers["send_email"]["queueName"] == "emails"
    assert triggers["send_email"]["connection"] == "PolyfnStorage"
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
    # Every Event Grid function has a subscription in infra/eventgrid.json; so has, on
    # Flex, every blob trigger (through the blob extension's webhook); nothing else.
    grid = json.loads((sample / "infra" / "eventgrid.json").read_text())
    subscribed = {
        r["properties"]["destination"]["properties"]["resourceId"].split("'")[-2]
        for r in grid["resources"]
        if r["properties"]["destination"]["endpointType"] == "AzureFunction"
    }
    assert subscribed == {n for n, t in triggers.items() if t["type"] == "eventGridTrigger"}
    hooked = [
        r["properties"] for r in grid["resources"]
        if r["properties"]["destination"]["endpointType"] == "WebHook"
    ]  # fmt: skip
    assert triggers["ingest"]["source"] == "EventGrid"
    assert [h["filter"]["includedEventTypes"] for h in hooked] == [
        ["Microsoft.Storage.BlobCreated"]
    ]
    url = hooked[0]["destination"]["properties"]["endpointUrl"]
    assert "functionName=Host.Functions.ingest" in url and "blobs_extension" in url


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
        "azure-identity",  # the backends reach storage as the app's managed identity
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
        # No account key anywhere: the host and the data account through the identity.
        assert app_settings["AzureWebJobsStorage__accountName"] == main.value(
            "[parameters('hostStorageAccountName')]"
        )
        assert app_settings["PolyfnStorage__queueServiceUri"] == (
            f"https://{account}.queue.core.windows.net/"
        )
        assert "AccountKey" not in json.dumps(main.template)
        assert "listKeys(resourceId('Microsoft.Storage" not in json.dumps(main.template)
        for name, value in settings.items():
            if name.startswith("POLYFN_"):
                assert app_settings[name] == value
        outputs = {k: main.value(v["value"]) for k, v in main.template["outputs"].items()}
        # On Flex even the shop's blob trigger is fed by Event Grid (its subscription).
        grid = ArmTemplate(
            json.loads((project / "infra" / "eventgrid.json").read_text()),
            values={"functionAppName": outputs["functionAppName"], "storageAccountName": account},
            external=(
                "Microsoft.Web/sites/functions",
                "Microsoft.Web/sites",
                "Microsoft.Web/sites/host",
            ),
        )
        grid.check()
    sample_main = ArmTemplate(json.loads((sample / "infra" / "main.json").read_text()))
    assert sample_main.value("[parameters('location')]") == "westeurope"  # from --region
    queues = {
        r["name"]
        for r in sample_main.resource("Microsoft.Storage/storageAccounts/queueServices/queues")
    }
    assert {q.split("/default/")[1].split("'")[0] for q in queues} == {
        "jobs",
        "jobs-poison",
        "webjobs-blob-poison",  # the blob trigger's poison queue
    }
    assert sample_main.resource("Microsoft.EventGrid/systemTopics")
    assert sample_main.resource("Microsoft.EventGrid/topics")


def test_the_arm_check_refuses_a_broken_template(shop: Path) -> None:
    template = json.loads((shop / "infra" / "main.json").read_text())
    template["resources"][2]["dependsOn"] = [
        "[resourceId('Microsoft.Storage/storageAccounts', 'other')]"
    ]
    with pytest.raises(ArmError, match="names no resource"):
        ArmTemplate(template).check()
    template = json.loads((shop / "infra" / "main.json").read_text())
    package = next(r for r in template["resources"] if "app-package" in r["name"])
    package["name"] = "[format('{0}/app-package', parameters('hostStorageAccountName'))]"
    with pytest.raises(ArmError, match="needs 2 '/'"):
        ArmTemplate(template).check()


def _roles(template: ArmTemplate) -> set[tuple[str, str]]:
    """(scope after the account name, role name) of every role assignment."""
    names = {role_id: name for name, role_id in ROLE_IDS.items()}
    found = set()
    for assignment in template.resource("Microsoft.Authorization/roleAssignments"):
        scope = str(template.value(assignment["scope"]))
        role_id = template.value(assignment["properties"]["roleDefinitionId"]).rsplit("/", 1)[1]
        account = scope.split("/")[2]
        kind = (
            "host"
            if account == template.value("[parameters('hostStorageAccountName')]")
            else "data"
        )
        found.add((kind + scope.split(account, 1)[1], names[role_id]))
    return found


def test_the_identity_gets_one_role_per_resource_and_only_what_the_code_uses(
    shop: Path,
) -> None:
    main = ArmTemplate(json.loads((shop / "infra" / "main.json").read_text()))
    main.check()
    site = main.resource("Microsoft.Web/sites")[0]
    assert site["identity"] == {"type": "SystemAssigned"}
    assert _roles(main) == {
        # The host's account: Blob Data Owner for the host, and the queues and tables of
        # the Durable Functions task hub the shop's order workflow runs on.
        ("host", "Storage Blob Data Owner"),
        ("host", "Storage Queue Data Contributor"),
        ("host", "Storage Table Data Contributor"),
        # thumbnail: a blob trigger (Owner on its container, the blob poison queue) that
        # also writes the thumbnail.
        ("data/blobServices/default/containers/uploads", "Storage Blob Data Owner"),
        ("data/queueServices/default/queues/webjobs-blob-poison", "Storage Queue Data Contributor"),
        # send_email consumes emails (and its poison queue is written by the host);
        # create_user sends to it.
        ("data/queueServices/default/queues/emails", "Storage Queue Data Reader"),
        ("data/queueServices/default/queues/emails", "Storage Queue Data Message Processor"),
        ("data/queueServices/default/queues/emails", "Storage Queue Data Message Sender"),
        ("data/queueServices/default/queues/emails-poison", "Storage Queue Data Message Sender"),
        # users is written (create/update), outbox is written by send_email.
        ("data/tableServices/default/tables/users", "Storage Table Data Contributor"),
        ("data/tableServices/default/tables/outbox", "Storage Table Data Contributor"),
        # the orders: written by the order workflow's tasks; stock only read.
        ("data/tableServices/default/tables/orders", "Storage Table Data Contributor"),
        ("data/tableServices/default/tables/stock", "Storage Table Data Reader"),
    }
    accounts = main.resource("Microsoft.Storage/storageAccounts")
    assert [a["properties"]["allowSharedKeyAccess"] for a in accounts] == [False, False]


def test_a_read_only_use_gets_a_reader_role(tmp_path: Path) -> None:
    app_file = tmp_path / "app.py"
    app_file.write_text(
        "from polyfn import App\n"
        "app = App('reader')\n"
        "docs = app.bucket('docs')\n"
        "users = app.table('users', key='id')\n"
        "@app.get('/d/{k}')\n"
        "def get_doc(req):\n"
        "    return {'doc': docs.read_text(req.path_params['k']),\n"
        "            'user': users.get(req.path_params['k'])}\n"
    )
    out = tmp_path / "out"
    build(str(app_file), out, BuildOptions(cloud="azure", install_dependencies=False))
    main = ArmTemplate(json.loads((out / "infra" / "main.json").read_text()))
    main.check()
    assert _roles(main) == {
        ("host", "Storage Blob Data Owner"),
        ("data/blobServices/default/containers/docs", "Storage Blob Data Reader"),
        ("data/tableServices/default/tables/users", "Storage Table Data Reader"),
    }


def test_flex_is_the_default_with_instance_memory_and_always_ready(
    shop: Path, tmp_path: Path
) -> None:
    main = ArmTemplate(json.loads((shop / "infra" / "main.json").read_text()))
    plan = main.resource("Microsoft.Web/serverfarms")[0]
    assert plan["sku"] == {"name": "FC1", "tier": "FlexConsumption"}
    site = main.resource("Microsoft.Web/sites")[0]
    for path in FLEX_REQUIRED:
        assert _lookup(site, path) is not None, path
    config = site["properties"]["functionAppConfig"]
    # thumbnail declares 1024 MB: the next Flex size is 2048.
    assert config["scaleAndConcurrency"]["instanceMemoryMB"] == 2048
    assert config["deployment"]["storage"]["authentication"] == {"type": "SystemAssignedIdentity"}
    assert config["runtime"] == {"name": "python", "version": "3.12"}
    names = {s["name"] for s in site["properties"]["siteConfig"]["appSettings"]}
    # Flex refuses the runtime settings of the other plans.
    assert not names & {"FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_EXTENSION_VERSION"}
    assert "linuxFxVersion" not in site["properties"]["siteConfig"]

    app_file = tmp_path / "app.py"
    app_file.write_text(
        "from polyfn import App\n"
        "app = App('warm')\n"
        "jobs = app.queue('jobs')\n"
        "@app.get('/a', provisioned_concurrency=2, memory=3000)\n"
        "def a(req):\n    return {}\n"
        "@app.get('/b', provisioned_concurrency=5)\n"
        "def b(req):\n    return {}\n"
        "@app.on_message(jobs, provisioned_concurrency=1)\n"
        "def work(msg):\n    return None\n"
    )
    out = tmp_path / "out"
    build(str(app_file), out, BuildOptions(cloud="azure", install_dependencies=False))
    warm = json.loads((out / "infra" / "main.json").read_text())
    scale = next(r for r in warm["resources"] if r["type"] == "Microsoft.Web/sites")["properties"][
        "functionAppConfig"
    ]["scaleAndConcurrency"]
    assert scale["instanceMemoryMB"] == 4096
    assert scale["alwaysReady"] == [
        {"name": "function:work", "instanceCount": 1},
        {"name": "http", "instanceCount": 5},
    ]


@pytest.mark.parametrize("plan", ["consumption", "premium"])
def test_y1_and_premium_stay_available_with_the_identity(built: Builder, plan: str) -> None:
    project = built(SHOP, "azure", plan=plan).out
    main = ArmTemplate(json.loads((project / "infra" / "main.json").read_text()))
    main.check()
    site = main.resource("Microsoft.Web/sites")[0]
    assert "functionAppConfig" not in site["properties"]
    assert site["properties"]["siteConfig"]["linuxFxVersion"] == "Python|3.12"
    settings = {s["name"]: s["value"] for s in site["properties"]["siteConfig"]["appSettings"]}
    assert "AzureWebJobsStorage" not in settings
    assert settings["FUNCTIONS_WORKER_RUNTIME"] == "python"
    # Only Premium's Azure Files content share takes a key, and only of the host's account.
    has_key = "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING" in settings
    assert has_key == (plan == "premium")
    if has_key:
        assert "hostStorageAccountName" in settings["WEBSITE_CONTENTAZUREFILECONNECTIONSTRING"]
    # The polling blob trigger: no Event Grid source outside Flex.
    assert "POLYFN_AZURE_BLOB_SOURCE" not in settings
    thumbnail = _trigger(_index(project)["functions"]["thumbnail"])
    assert "source" not in thumbnail and thumbnail["connection"] == "PolyfnStorage"


def test_the_arm_check_refuses_a_missing_required_property_or_scope(shop: Path) -> None:
    template = json.loads((shop / "infra" / "main.json").read_text())
    site = next(r for r in template["resources"] if r["type"] == "Microsoft.Web/sites")
    del site["properties"]["serverFarmId"]
    with pytest.raises(ArmError, match="serverFarmId"):
        ArmTemplate(template).check()
    template = json.loads((shop / "infra" / "main.json").read_text())
    role = next(
        r for r in template["resources"]
        if r["type"] == "Microsoft.Authorization/roleAssignments" and "uploads" in r["scope"]
    )  # fmt: skip
    role["scope"] = role["scope"].replace("containers/uploads", "containers/other")
    with pytest.raises(ArmError, match="names no resource"):
        ArmTemplate(template).check()


def test_queues_with_different_max_receives_build_with_the_largest_count(
    tmp_path: Path,
) -> None:
    app_file = tmp_path / "app.py"
    app_file.write_text(
        "from polyfn import App\n"
        "app = App('twoq')\n"
        "quick = app.queue('quick', max_receives=2)\n"
        "patient = app.queue('patient', max_receives=7)\n"
        "@app.on_message(quick)\n"
        "def fast(msg):\n    return None\n"
        "@app.on_message(patient)\n"
        "def slow(msg):\n    return None\n"
    )
    out = tmp_path / "out"
    build(str(app_file), out, BuildOptions(cloud="azure", install_dependencies=False))
    host = json.loads((out / "host.json").read_text())
    assert host["extensions"]["queues"]["maxDequeueCount"] == 7
    settings = json.loads((out / "local.settings.json.example").read_text())["Values"]
    # The adapter poisons 'quick' at 2 itself, knowing the host goes on to 7.
    assert settings["POLYFN_AZURE_MAX_DEQUEUE_COUNT"] == "7"
    main = ArmTemplate(json.loads((out / "infra" / "main.json").read_text()))
    main.check()
    site = main.resource("Microsoft.Web/sites")[0]
    names = {s["name"]: s["value"] for s in site["properties"]["siteConfig"]["appSettings"]}
    assert names["POLYFN_AZURE_MAX_DEQUEUE_COUNT"] == "7"
    # Forwarding to the poison queue needs the sender role there, which it has.
    assert (
        "data/queueServices/default/queues/quick-poison",
        "Storage Queue Data Message Sender",
    ) in _roles(main)
