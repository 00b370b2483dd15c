"""``polyfn deploy build --cloud gcp`` for an app with a workflow: the task functions, the
Cloud Workflows YAML, and deploy.sh run end to end under bash with a ``gcloud`` that
records its arguments (no Google Cloud here)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from workflows.test_gcp_workflow import check_source

from deploy.conftest import Builder
from polyfn.deploy.builder import BuildOptions, build
from polyfn.deploy.workflow_asl import WorkflowUnsupported

HERE = Path(__file__).resolve().parent
WORKFLOW_SAMPLE = HERE / "workflow_sample_gcp"
TASKS = [
    "validate-order",
    "check-inventory",
    "charge-payment",
    "fulfill-order",
    "notify-out-of-stock",
    "notify-payment-failed",
]
RESOURCE = "projects/demo-proj/locations/europe-west1/workflows/orders-dev-order"

# Records each call; "projects describe" answers a project number, "functions describe" a
# function's URL and the gateway's describes their names (the API Gateway steps need them),
# every other describe finds nothing
# (so the creates run), "--source FILE" keeps the YAML it was given.
FAKE_GCLOUD = """#!/usr/bin/env bash
echo "$*" >> "$RECORD"
if [[ "$1 $2" == "projects describe" ]]; then echo 123456; exit 0; fi
if [[ "$1 $2" == "functions describe" ]]; then echo "https://$3.example.run.app"; exit 0; fi
# The API Gateway steps read back what they created.
if [[ "$*" == *"value(managedService)"* ]]; then echo "svc.apigateway.goog"; exit 0; fi
if [[ "$*" == *"value(defaultHostname)"* ]]; then echo "gw.uc.gateway.dev"; exit 0; fi
for arg in "$@"; do if [[ "$arg" == describe ]]; then exit 1; fi; done
for ((i=1; i<=$#; i++)); do
  if [[ "${!i}" == --source && "$1" == workflows ]]; then j=$((i+1)); cp "${!j}" "$DEPLOYED"; fi
done
"""


@pytest.fixture(scope="module")
def out(built: Builder) -> Path:
    return built(WORKFLOW_SAMPLE, "gcp", region="europe-west1", install_dependencies=False).out


@pytest.fixture(scope="module")
def ran(out: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], Path]:
    """deploy.sh, run: the gcloud calls (one line each) and the YAML workflows deploy got."""
    work = tmp_path_factory.mktemp("gcloud")
    fake = work / "gcloud"
    fake.write_text(FAKE_GCLOUD)
    fake.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{work}:{os.environ['PATH']}",
        "PROJECT_ID": "demo-proj",
        "RECORD": str(work / "record"),
        "DEPLOYED": str(work / "deployed.yaml"),
    }
    subprocess.run(["bash", str(out / "deploy.sh")], check=True, env=env, timeout=60)
    return (work / "record").read_text().splitlines(), work / "deployed.yaml"


def _deploy_call(calls: list[str], function: str) -> str:
    [call] = [c for c in calls if c.startswith(f"functions deploy {function} ")]
    return call


def test_deploy_sh_is_valid_bash(out: Path) -> None:
    bash = shutil.which("bash")
    assert bash, "bash is needed to check deploy.sh"
    checked = subprocess.run([bash, "-n", str(out / "deploy.sh")], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_each_task_is_a_private_http_function_pinned_to_it(ran: tuple[list[str], Path]) -> None:
    calls, _ = ran
    for task in TASKS:
        call = _deploy_call(calls, f"orders-dev-{task}")
        assert "--entry-point http --trigger-http --no-allow-unauthenticated" in call
        assert f"POLYFN_FUNCTION={task.replace('-', '_')}," in call
        assert "POLYFN_WORKFLOW_" not in call  # a task starts nothing


def test_the_workflow_yaml_is_written_and_checks(out: Path) -> None:
    source = yaml.safe_load((out / "workflows" / "order.yaml").read_text())
    check_source(source)
    assert "workflows/" in (out / ".gcloudignore").read_text().splitlines()
    assert "google-cloud-workflows" in (out / "requirements.txt").read_text()


def test_the_workflow_runs_as_its_own_account_that_may_invoke_its_tasks_only(
    ran: tuple[list[str], Path],
) -> None:
    calls, deployed = ran
    account = "pf-[0-9a-f]{8}-wf-order@demo-proj.iam.gserviceaccount.com"
    created = r"iam service-accounts create pf-[0-9a-f]{8}-wf-order "
    assert any(re.match(created, c) for c in calls)
    invokers = [
        c
        for c in calls
        if c.startswith("functions add-invoker-policy-binding")
        and re.search(f"--member serviceAccount:{account}", c)
    ]
    # The workflow's account invokes its tasks and nothing else (the API Gateway's own
    # account invokes the routes).
    assert sorted(c.split()[2] for c in invokers) == sorted(f"orders-dev-{t}" for t in TASKS)
    [deploy] = [c for c in calls if c.startswith("workflows deploy")]
    assert deploy.startswith("workflows deploy orders-dev-order --project demo-proj")
    assert "--location europe-west1" in deploy
    assert re.search(f"--service-account {account}", deploy)
    # The workflow is deployed after its task functions (their URLs must exist).
    assert calls.index(deploy) > max(
        calls.index(_deploy_call(calls, f"orders-dev-{t}")) for t in TASKS
    )
    source = yaml.safe_load(deployed.read_text())
    check_source(source)
    urls = {
        step["args"]["url"]
        for step in _walk(source)
        if isinstance(step, dict) and step.get("call") == "http.post"
    }
    host = "https://europe-west1-demo-proj.cloudfunctions.net"
    assert urls == {f"{host}/orders-dev-{t}" for t in TASKS}


def test_functions_that_start_the_workflow_get_its_binding_and_the_invoker_role(
    ran: tuple[list[str], Path],
) -> None:
    calls, _ = ran
    starter = _deploy_call(calls, "orders-dev-place-order")
    assert f"POLYFN_WORKFLOW_ORDER={RESOURCE}" in starter
    reader = _deploy_call(calls, "orders-dev-order-status")
    assert f"POLYFN_WORKFLOW_ORDER={RESOURCE}" in reader
    assert "POLYFN_WORKFLOW_" not in _deploy_call(calls, "orders-dev-health")
    roles = {
        (m.group(1), m.group(2))
        for c in calls
        if (m := re.search(r"serviceAccount:pf-[0-9a-f]{8}-([a-z-]+)@\S+ --role (\S+)", c))
    }
    assert ("place-order", "roles/workflows.invoker") in roles
    assert ("order-status", "roles/workflows.viewer") in roles  # it only reads executions
    assert not any(who == "health" for who, _ in roles)
    # Tasks are called by the workflow, not by Eventarc: no event receiver role.
    assert not any(role == "roles/eventarc.eventReceiver" for _, role in roles)
    assert "workflows.googleapis.com" in next(c for c in calls if c.startswith("services enable"))


def test_a_workflow_cloud_workflows_cannot_express_fails_the_build(tmp_path: Path) -> None:
    out = tmp_path / "out"
    options = BuildOptions(cloud="gcp", install_dependencies=False)
    with pytest.raises(WorkflowUnsupported) as raised:
        build(str(HERE / "workflow_jitter"), out, options)
    assert raised.value.cloud == "gcp"
    assert "jitter" in str(raised.value) and "gcp" in str(raised.value)
    assert not out.exists() or not any(out.iterdir())  # nothing half-built is left


def _walk(node: object) -> list[object]:
    found: list[object] = [node]
    if isinstance(node, dict):
        for value in node.values():
            found += _walk(value)
    elif isinstance(node, list):
        for value in node:
            found += _walk(value)
    return found
