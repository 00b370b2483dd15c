"""Workflows in the SAM template: a Step Functions state machine per workflow, its task
functions invoked by it alone, and the functions that start or read it granted exactly that."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from deploy.conftest import Builder
from deploy.sam_check import lint_errors, load_template, transform
from polyfn.deploy.builder import BuildOptions, build
from polyfn.deploy.workflow_asl import WorkflowUnsupported

WORKFLOW_SAMPLE = Path(__file__).resolve().parent / "workflow_sample"
TASKS = [
    "charge_payment",
    "check_inventory",
    "fulfill_order",
    "notify_out_of_stock",
    "notify_payment_failed",
    "validate_order",
]
TASK_IDS = [
    "ChargePaymentFunction",
    "CheckInventoryFunction",
    "FulfillOrderFunction",
    "NotifyOutOfStockFunction",
    "NotifyPaymentFailedFunction",
    "ValidateOrderFunction",
]


@pytest.fixture(scope="module")
def template(built: Builder) -> dict[str, Any]:
    result = built(WORKFLOW_SAMPLE, "aws", install_dependencies=False)
    return load_template((result.out / "template.yaml").read_text())


@pytest.fixture(scope="module")
def cfn(template: dict[str, Any]) -> dict[str, Any]:
    return transform(template)


def test_the_template_transforms_and_lints_with_no_findings(cfn: dict[str, Any]) -> None:
    assert lint_errors(cfn) == []


def test_each_workflow_is_a_standard_state_machine_on_its_task_functions(
    template: dict[str, Any],
) -> None:
    machine = template["Resources"]["OrderWorkflow"]
    assert machine["Type"] == "AWS::Serverless::StateMachine"
    properties = machine["Properties"]
    assert properties["Type"] == "STANDARD"
    assert properties["Name"] == "shop-dev-order"
    definition = properties["Definition"]
    assert definition["TimeoutSeconds"] == 300  # app.workflow("order", timeout=300)
    # polyfn's entry states take the starter's trace apart, then the flow starts.
    assert definition["StartAt"] == "PolyfnStart"
    states = definition["States"]
    assert states["PolyfnStart"]["Default"] == "validate_order"
    assert states["PolyfnUnwrap"]["Next"] == "validate_order"
    assert sorted(set(states) - {"PolyfnStart", "PolyfnUnwrap"}) == TASKS
    for task, function_id in zip(TASKS, TASK_IDS, strict=True):
        assert states[task]["Resource"] == "${" + function_id + "Arn}"
        assert states[task]["Parameters"] == {
            "polyfnTask": task,
            "input.$": "$",
            "execution.$": "$$.Execution.Input",
        }
    assert properties["DefinitionSubstitutions"] == {
        f"{function_id}Arn": {"Fn::GetAtt": [function_id, "Arn"]} for function_id in TASK_IDS
    }
    assert states["check_inventory"]["Catch"] == [
        {"ErrorEquals": ["OutOfStock"], "Next": "notify_out_of_stock", "ResultPath": "$.error"}
    ]
    assert states["check_inventory"]["TimeoutSeconds"] == 30
    assert states["validate_order"]["Retry"][0]["ErrorEquals"] == ["Throttled"]


def test_the_execution_role_may_invoke_the_task_functions_only(cfn: dict[str, Any]) -> None:
    role = cfn["Resources"]["OrderWorkflowRole"]["Properties"]
    statements = [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]
    assert {a for s in statements for a in _list(s["Action"])} == {"lambda:InvokeFunction"}
    invoked = json.dumps([s["Resource"] for s in statements])
    for function_id in TASK_IDS:
        assert f'"Ref": "{function_id}"' in invoked
    for other in ("PlaceOrderFunction", "OrderStatusFunction", "HealthFunction"):
        assert other not in invoked


def test_task_functions_have_no_events_and_are_pinned(template: dict[str, Any]) -> None:
    for task, function_id in zip(TASKS, TASK_IDS, strict=True):
        properties = template["Resources"][function_id]["Properties"]
        assert "Events" not in properties
        assert properties["Environment"]["Variables"]["POLYFN_FUNCTION"] == task
    timeout = template["Resources"]["CheckInventoryFunction"]["Properties"]["Timeout"]
    assert timeout == 30


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _grants(template: dict[str, Any], function_id: str) -> dict[str, str]:
    properties = template["Resources"][function_id]["Properties"]
    granted: dict[str, str] = {}
    for policy in properties.get("Policies", []):
        for statement in policy["Statement"]:
            for action in statement["Action"]:
                granted[action] = json.dumps(statement["Resource"])
    return granted


MACHINE = (
    '{"Fn::Sub": "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:'
    'stateMachine:shop-dev-order"}'
)
EXECUTIONS = (
    '{"Fn::Sub": "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:'
    'execution:shop-dev-order:*"}'
)


@pytest.mark.parametrize("function_id", ["PlaceOrderFunction", "ReplayFunction"])
def test_a_function_that_starts_the_workflow_may_start_and_read_it(
    template: dict[str, Any], function_id: str
) -> None:
    # place_order calls order.start (found by the scan); replay declares uses=[order].
    assert _grants(template, function_id) == {
        "states:StartExecution": MACHINE,
        "states:DescribeExecution": EXECUTIONS,
        "states:GetExecutionHistory": EXECUTIONS,
    }
    variables = template["Resources"][function_id]["Properties"]["Environment"]["Variables"]
    assert variables["POLYFN_WORKFLOW_ORDER"] == json.loads(MACHINE)  # its ARN


def test_a_task_that_starts_its_own_workflow_makes_no_dependency_cycle(tmp_path: Path) -> None:
    # A batch task that starts the next run of its own workflow: the state machine names
    # the task's ARN, and the task is given the state machine's ARN; with a Ref both ways
    # CloudFormation refuses the template ("Circular dependency between resources").
    (tmp_path / "app.py").write_text(
        "from polyfn import App\n"
        "app = App('batches')\n"
        "flow = app.workflow('flow')\n"
        "@flow.task\n"
        "def step(data: dict) -> dict:\n"
        "    if data.get('rest'):\n"
        "        flow.start({'rest': data['rest'][1:]})\n"
        "    return data\n"
        "flow.flow(step)\n"
    )
    result = build(
        str(tmp_path), tmp_path / "out", BuildOptions(cloud="aws", install_dependencies=False)
    )
    template = load_template((result.out / "template.yaml").read_text())
    step = template["Resources"]["StepFunction"]["Properties"]
    assert step["Environment"]["Variables"]["POLYFN_WORKFLOW_FLOW"] == {
        "Fn::Sub": "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:"
        "stateMachine:batches-dev-flow"
    }
    assert lint_errors(transform(template)) == []


def test_a_function_that_reads_executions_may_not_start_one(template: dict[str, Any]) -> None:
    assert _grants(template, "OrderStatusFunction") == {
        "states:DescribeExecution": EXECUTIONS,
        "states:GetExecutionHistory": EXECUTIONS,
    }


def test_a_function_that_touches_no_workflow_gets_nothing_of_it(template: dict[str, Any]) -> None:
    properties = template["Resources"]["HealthFunction"]["Properties"]
    assert "Policies" not in properties
    assert "POLYFN_WORKFLOW_ORDER" not in properties["Environment"]["Variables"]


def test_an_express_workflow_is_an_express_state_machine_logging_its_errors(
    tmp_path: Path,
) -> None:
    (tmp_path / "app.py").write_text(
        "from polyfn import App\n"
        "app = App('quick')\n"
        "flow = app.workflow('score', express=True)\n"
        "@flow.task\n"
        "def score(data: dict) -> dict:\n"
        "    return data\n"
        "flow.flow(score)\n"
        "inbox = app.queue('inbox')\n"
        "@app.on_message(inbox)\n"
        "def arrived(message) -> None:\n"
        "    flow.start(message.json())\n"
    )
    options = BuildOptions(cloud="aws", install_dependencies=False)
    result = build(str(tmp_path), tmp_path / "out", options)
    template = load_template((result.out / "template.yaml").read_text())
    properties = template["Resources"]["ScoreWorkflow"]["Properties"]
    assert properties["Type"] == "EXPRESS"
    assert properties["Definition"]["TimeoutSeconds"] == 300
    # No execution history on Express: errors go to a log group of its own, kept as long
    # as the functions' logs, without the execution's data.
    logs = template["Resources"]["ScoreWorkflowLogs"]["Properties"]
    assert logs == {"LogGroupName": "/aws/vendedlogs/states/quick-dev-score", "RetentionInDays": 30}
    assert properties["Logging"] == {
        "Level": "ERROR",
        "IncludeExecutionData": False,
        "Destinations": [
            {
                "CloudWatchLogsLogGroup": {
                    "LogGroupArn": {"Fn::GetAtt": ["ScoreWorkflowLogs", "Arn"]}
                }
            }
        ],
    }
    # The starter may start it; there is no execution to describe.
    assert _grants(template, "ArrivedFunction").keys() == {"states:StartExecution"}
    cfn = transform(template)
    assert lint_errors(cfn) == []
    role = cfn["Resources"]["ScoreWorkflowRole"]["Properties"]
    actions = {
        a
        for policy in role["Policies"]
        for st in policy["PolicyDocument"]["Statement"]
        for a in _list(st["Action"])
    }
    assert {"lambda:InvokeFunction", "logs:CreateLogDelivery", "logs:PutResourcePolicy"} <= actions


def test_a_workflow_step_functions_cannot_express_fails_the_build(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "from polyfn import App, Retry\n"
        "app = App('quick')\n"
        "flow = app.workflow('flow')\n"
        "@flow.task(retry=Retry('Busy', interval=0.5))\n"
        "def step(data: dict) -> dict:\n"
        "    return data\n"
        "flow.flow(step)\n"
    )
    options = BuildOptions(cloud="aws", install_dependencies=False)
    with pytest.raises(WorkflowUnsupported) as raised:
        build(str(tmp_path), tmp_path / "out", options)
    assert raised.value.cloud == "aws"
    assert "retry interval 0.5 s of 'step'" in str(raised.value)
    assert "cannot run on aws" in str(raised.value)


def test_a_workflow_reached_through_the_app_needs_uses() -> None:
    from polyfn import App
    from polyfn.core.errors import ConfigError
    from polyfn.deploy.model import build_model

    app = App("dyn")
    flow = app.workflow("flow")

    @flow.task
    def step(data: dict[str, Any]) -> dict[str, Any]:
        return data

    flow.flow(step)

    @app.post("/go")
    def go() -> dict[str, Any]:
        return {"id": app.workflows["flow"].start({}).id}

    with pytest.raises(ConfigError, match=r"app\.workflows in .*uses="):
        build_model(app)
