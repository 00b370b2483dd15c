"""The Cloud Workflows source polyfn writes for a workflow, checked against the documented
syntax (https://cloud.google.com/workflows/docs/reference/syntax, read 2026-12-04).

There is no Cloud Workflows emulator from Google (a third-party one on PyPI,
``workflows-emulator``, has no OIDC and fails on polyfn's catches), so these tests parse
the YAML and check its shape with ``check_source`` below (the keys each kind of step
allows, every ``next`` and ``call`` target defined, every expression a balanced
``${...}``), then assert what each polyfn construct became. The YAML is run by
``gcp_interpreter`` (polyfn's reading of the documented semantics) in
``test_engines.py`` and ``test_gcp_runs.py``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from polyfn import App, Choice, Fail, Map, Parallel, Retry, Succeed, Wait, When
from polyfn.core.defaults import DEFAULT_TIMEOUT_SECONDS, effective_timeout
from polyfn.core.workflow_steps import All, AnyOf, Not
from polyfn.deploy.workflow_asl import WorkflowUnsupported
from polyfn.deploy.workflow_gcp import (
    DONE_STEP,
    ERROR_SUBWORKFLOW,
    MAX_TASK_TIMEOUT,
    error_test,
    to_workflows,
    to_workflows_yaml,
)
from tests.workflows.gcp_interpreter import run_workflow
from tests.workflows.order_workflow import build

URL = "https://europe-west1-demo.cloudfunctions.net/{}"

# ---------------------------------------------------------------------- the checker

# Keys a step may have, by the key that makes it that kind of step (syntax reference:
# assign, call, switch (conditions), try/retry/except, parallel, for (iteration), raise,
# return, steps; ``next`` is allowed on any step that does not end the run).
STEP_KEYS: dict[str, set[str]] = {
    "assign": {"assign", "next"},
    "call": {"call", "args", "result", "next"},
    "switch": {"switch", "next"},
    "try": {"try", "retry", "except", "next"},
    "parallel": {"parallel", "next"},
    "for": {"for", "next"},
    "raise": {"raise"},
    "return": {"return"},
    "steps": {"steps", "next"},
}
CONDITION_KEYS = {"condition", "next", "steps"}
RETRY_KEYS = {"predicate", "max_retries", "backoff"}
BACKOFF_KEYS = {"initial_delay", "max_delay", "multiplier"}
PARALLEL_KEYS = {"exception_policy", "shared", "concurrency_limit", "branches", "for"}
FOR_KEYS = {"value", "index", "in", "range", "steps"}
HTTP_POST_ARGS = {"url", "auth", "body", "timeout", "headers", "query"}
STDLIB_CALLS = {"http.post": HTTP_POST_ARGS, "sys.sleep": {"seconds"}, "sys.sleep_until": {"time"}}
JUMP_WORDS = {"end", "break", "continue"}


def expressions(node: Any) -> list[str]:
    """Every string of the source that holds an expression."""
    if isinstance(node, dict):
        return [e for key, value in node.items() for e in expressions(key) + expressions(value)]
    if isinstance(node, list):
        return [e for item in node for e in expressions(item)]
    return [node] if isinstance(node, str) and "${" in node else []


def check_expression(text: str) -> None:
    assert text.startswith("${") and text.endswith("}"), f"not a whole expression: {text!r}"
    depth, quoted, escaped = 0, False, False
    for char in text[2:-1]:
        if quoted:
            escaped, quoted = (not escaped and char == "\\"), quoted and (escaped or char != '"')
            continue
        if char == '"':
            quoted = True
        elif char in "({[":
            depth += 1
        elif char in ")}]":
            depth -= 1
            assert depth >= 0, f"unbalanced {text!r}"
    assert depth == 0 and not quoted, f"unbalanced {text!r}"


def check_source(source: dict[str, Any]) -> None:
    assert "main" in source, "a workflow needs a main subworkflow"
    for text in expressions(source):
        check_expression(text)
    for name, subworkflow in source.items():
        assert set(subworkflow) <= {"params", "steps"}, name
        assert all(isinstance(p, str) for p in subworkflow.get("params", []))
        names: list[str] = []
        _check_steps(subworkflow["steps"], source, names, top=subworkflow["steps"])
        assert len(names) == len(set(names)), f"step names repeat in {name}: {names}"


def _step_names(steps: list[dict[str, Any]]) -> set[str]:
    return {next(iter(step)) for step in steps}


def _check_jump(target: str, siblings: list[dict[str, Any]], top: list[dict[str, Any]]) -> None:
    assert target in JUMP_WORDS | _step_names(siblings) | _step_names(top), f"no step {target!r}"


def _check_steps(
    steps: list[dict[str, Any]], source: dict[str, Any], names: list[str], top: list[Any]
) -> None:
    assert isinstance(steps, list) and steps
    for step in steps:
        assert isinstance(step, dict) and len(step) == 1, f"a step is one named mapping: {step}"
        [(name, body)] = step.items()
        names.append(name)
        kinds = [k for k in STEP_KEYS if k in body and not (k == "steps" and "for" in body)]
        assert len(kinds) == 1, f"step {name} is of one kind, has {sorted(body)}"
        [kind] = kinds
        assert set(body) <= STEP_KEYS[kind], f"step {name}: {sorted(set(body) - STEP_KEYS[kind])}"
        if "next" in body:
            _check_jump(body["next"], steps, top)
        if kind == "call":
            _check_call(name, body, source)
        elif kind == "switch":
            for condition in body["switch"]:
                assert set(condition) <= CONDITION_KEYS and "condition" in condition
                assert ("next" in condition) != ("steps" in condition), condition
                if "next" in condition:
                    _check_jump(condition["next"], steps, top)
                else:
                    _check_steps(condition["steps"], source, names, top)
        elif kind == "try":
            assert set(body["try"]) == {"steps"}
            _check_steps(body["try"]["steps"], source, names, top)
            assert "retry" in body or "except" in body
            if "retry" in body:
                retry = body["retry"]
                assert set(retry) <= RETRY_KEYS and set(retry["backoff"]) == BACKOFF_KEYS
                predicate = retry["predicate"][2:-1]
                assert source[predicate]["params"] == ["e"]
            if "except" in body:
                assert set(body["except"]) == {"as", "steps"}
                _check_steps(body["except"]["steps"], source, names, top)
        elif kind == "parallel":
            parallel = body["parallel"]
            assert set(parallel) <= PARALLEL_KEYS
            assert ("branches" in parallel) != ("for" in parallel)
            if "branches" in parallel:
                for branch in parallel["branches"]:
                    [(branch_name, branch_body)] = branch.items()
                    names.append(branch_name)
                    assert set(branch_body) == {"steps"}
                    _check_steps(branch_body["steps"], source, names, branch_body["steps"])
            else:
                _check_for(parallel["for"], source, names)
        elif kind == "for":
            _check_for(body["for"], source, names)
        elif kind == "steps":
            _check_steps(body["steps"], source, names, top)


def _check_for(loop: dict[str, Any], source: dict[str, Any], names: list[str]) -> None:
    assert set(loop) <= FOR_KEYS and "value" in loop and ("in" in loop) != ("range" in loop)
    _check_steps(loop["steps"], source, names, loop["steps"])


def _check_call(name: str, body: dict[str, Any], source: dict[str, Any]) -> None:
    target = body["call"]
    args = body.get("args", {})
    if target in STDLIB_CALLS:
        assert set(args) <= STDLIB_CALLS[target], f"{name}: {target} takes {STDLIB_CALLS[target]}"
        if target == "http.post":
            assert args["auth"] == {"type": "OIDC"}
            assert 0 < args["timeout"] <= MAX_TASK_TIMEOUT
    else:
        assert target in source, f"{name} calls undefined {target}"
        assert set(args) == set(source[target].get("params", [])), name


def steps_of(source: dict[str, Any], subworkflow: str = "main") -> dict[str, Any]:
    return {next(iter(step)): next(iter(step.values())) for step in source[subworkflow]["steps"]}


def write(app: App, name: str = "flow", timeout: int | None = None) -> dict[str, Any]:
    workflow = app.workflows[name]
    text = to_workflows_yaml(
        workflow.graph, URL.format, workflow=name, timeout=timeout or workflow.timeout
    )
    source: dict[str, Any] = yaml.safe_load(text)
    check_source(source)
    assert source == to_workflows(
        workflow.graph, URL.format, workflow=name, timeout=timeout or workflow.timeout
    )
    return source


# ---------------------------------------------------------------------- the order workflow


def test_order_workflow_calls_each_task_with_oidc_and_its_timeout() -> None:
    source = write(build(), "order")
    main = steps_of(source)
    assert main["polyfn_start"]["assign"][0] == {"data": "${input}"}
    calls = {
        body["args"]["url"]: body["args"]
        for step in source["main"]["steps"]
        for body in _all_bodies(step)
        if body.get("call") == "http.post"
    }
    assert set(calls) == {
        URL.format(t)
        for t in (
            "validate_order",
            "check_inventory",
            "charge_payment",
            "fulfill_order",
            "notify_out_of_stock",
            "notify_payment_failed",
        )
    }
    assert calls[URL.format("fulfill_order")]["timeout"] == 1  # the task's timeout=1
    # A task declared without a timeout waits as long as its function is deployed to run.
    assert calls[URL.format("charge_payment")]["timeout"] == DEFAULT_TIMEOUT_SECONDS
    assert effective_timeout(build().functions["charge_payment"]) == DEFAULT_TIMEOUT_SECONDS
    assert all(args["body"] == "${data}" for args in calls.values())
    # The starter's trace goes with every call as headers (core.workflow_trace).
    assert all(args["headers"] == "${polyfn_trace}" for args in calls.values())


def test_main_takes_the_starters_trace_out_of_the_argument() -> None:
    source = write(build(), "order")
    main = steps_of(source)
    assert {"polyfn_trace": {}} in main["polyfn_start"]["assign"]
    assert main["polyfn_start"]["next"] == "polyfn_unwrap"
    assert main["polyfn_unwrap"]["next"] == "validate_order"  # not a map: the data as is
    assert main["polyfn_unwrap_take"]["assign"] == [
        {"data": '${map.get(input, "polyfnInput")}'},
        {"polyfn_trace": '${map.get(input, "polyfnTrace")}'},
    ]
    assert main["polyfn_unwrap_take"]["next"] == "validate_order"


def _all_bodies(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found.extend(_all_bodies(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_all_bodies(item))
    return found


def test_validate_order_retries_throttled_with_backoff() -> None:
    source = write(build(), "order")
    run = steps_of(source)["validate_order_run"]
    assert run["retry"] == {
        "predicate": "${polyfn_retry_validate_order}",
        "max_retries": 3,
        "backoff": {"initial_delay": 1, "max_delay": 4, "multiplier": 2},
    }
    assert "except" not in run  # no catch: an exhausted retry fails the run
    assert run["next"] == "check_inventory"
    predicate = steps_of(source, "polyfn_retry_validate_order")
    assert predicate["name_error"]["call"] == ERROR_SUBWORKFLOW
    assert predicate["decide"]["return"] == '${error.Error == "Throttled"}'


@pytest.mark.parametrize(
    ("task", "error", "handler", "after"),
    [
        ("check_inventory", "OutOfStock", "notify_out_of_stock", "charge_payment"),
        ("charge_payment", "PaymentFailed", "notify_payment_failed", "fulfill_order"),
    ],
)
def test_catches_route_to_their_handler_with_the_error_in_the_data(
    task: str, error: str, handler: str, after: str
) -> None:
    source = write(build(), "order")
    main = steps_of(source)
    block = main[f"{task}_run"]
    assert "retry" not in block
    handling = {next(iter(s)): next(iter(s.values())) for s in block["except"]["steps"]}
    assert block["except"]["as"] == "e"
    assert handling[f"{task}_error"] == {
        "call": ERROR_SUBWORKFLOW,
        "args": {"e": "${e}"},
        "result": "error",
    }
    [rule] = handling[f"{task}_match"]["switch"]
    assert rule["condition"] == f'${{error.Error == "{error}"}}'
    stored = rule["steps"][-1][f"{task}_catch_1"]["assign"]
    assert stored == [{'data["error"]': "${error}"}, {"route": handler}]
    [uncaught] = handling[f"{task}_uncaught"]["switch"]
    assert uncaught["steps"] == [{f"{task}_reraise": {"raise": "${e}"}}]
    # The jump happens after the try block, never from inside except.
    route = main[f"{task}_route"]
    assert route["switch"] == [{"condition": f'${{route == "{handler}"}}', "next": handler}]
    assert route["next"] == after
    # Each handler ends the run with its output.
    assert main[f"{handler}_result"]["next"] == DONE_STEP
    assert main[DONE_STEP] == {"return": "${data}"}


def test_the_execution_timeout_is_checked_on_entering_each_state() -> None:
    source = write(build(), "order")
    main = steps_of(source)
    assert {"deadline": "${sys.now() + 60}"} in main["polyfn_start"]["assign"]
    for state in ("validate_order", "check_inventory", "fulfill_order", "notify_out_of_stock"):
        assert main[state]["switch"] == [
            {"condition": "${sys.now() >= deadline}", "next": "polyfn_timed_out"}
        ]
        assert main[state]["next"] == f"{state}_run"
    assert main["polyfn_timed_out"]["raise"]["Error"] == "States.Timeout"


def test_error_names_follow_the_task_endpoint_contract() -> None:
    source = write(build(), "order")
    known = steps_of(source, ERROR_SUBWORKFLOW)["known"]["switch"]
    conditions = [rule["condition"] for rule in known]
    answers = [rule["steps"][0] for rule in known]
    assert conditions[1] == '${get_type(map.get(e, ["body", "Error"])) == "string"}'
    assert answers[1]["case2"]["return"]["Error"] == "${e.body.Error}"
    assert answers[2]["case3"]["return"]["Error"] == "States.Timeout"
    assert "TimeoutError" in conditions[2]


@pytest.mark.parametrize(
    "answer",
    [
        # Cloud Run stopped the function at its own timeout first.
        lambda: (504, None),
        # http.post's timeout ran out first.
        lambda: time.sleep(5) or (200, {}),
    ],
    ids=["platform-504", "call-timeout"],
)
def test_a_task_past_its_functions_timeout_fails_the_run_with_states_timeout(
    answer: Callable[[], tuple[int, Any]],
) -> None:
    from polyfn.adapters.gcp.backends.workflow import read_failure

    app = one_task_app(timeout=1)
    declared = app.workflows["flow"]
    source = to_workflows(declared.graph, URL.format, workflow="flow")
    tasks = {URL.format("work"): lambda body, headers: answer()}
    outcome = run_workflow(source, tasks, set(declared.graph.states), {"n": 1})
    status, error, _cause = read_failure(outcome["error"])
    assert (status, error) == ("failed", "States.Timeout")


def test_error_tests_read_the_catch_alls_as_the_engine_does() -> None:
    assert error_test(("States.ALL",), "n") == "true"
    assert error_test(("A", "B"), "n") == 'n == "A" or n == "B"'
    assert error_test(("States.TaskFailed",), "n") == 'n != "States.Timeout"'
    assert error_test(("States.Timeout",), "n") == 'n == "States.Timeout"'


# ---------------------------------------------------------------------- every construct


def constructs_app() -> App:
    app = App("constructs")
    flow = app.workflow("flow")

    @flow.task
    def price(data: dict[str, Any]) -> dict[str, Any]:
        return data

    @flow.task
    def review(data: dict[str, Any]) -> dict[str, Any]:
        return data

    @flow.task
    def ship(data: Any) -> Any:
        return data

    @flow.task
    def tag(data: Any) -> Any:
        return data

    flow.flow(
        price.into("priced"),
        Choice(
            (When("order.total", greater=100), [review]),
            (All(When("coupon", present=True), Not(When("vip", equals=True))), [Fail("NoCoupon")]),
            (AnyOf(When("status", equals="done")), [Succeed(name="AlreadyDone")]),
            name="Size",
        ),
        Wait(5, name="Pause"),
        Wait(until_path="ship_at", name="Until"),
        Parallel([ship], [tag], name="Both").catch("States.ALL", [Fail("Broken", "a branch")]),
        Map("lines", [tag], max_concurrency=2, name="Lines"),
    )
    return app


def test_choice_is_a_switch_with_guarded_comparisons() -> None:
    main = steps_of(write(constructs_app()))
    size = main["Size"]
    first, second, third = size["switch"]
    value = 'map.get(data, ["order", "total"])'
    kind = f'get_type({value}) == "integer" or get_type({value}) == "double"'
    assert first == {
        "condition": f"${{({kind}) and (if({kind}, {value}, 0) > 100)}}",
        "next": "review",
    }
    assert second["condition"] == (
        '${("coupon" in if(get_type(data) == "map", data, {})) and '
        '(not ((get_type(map.get(data, ["vip"])) == "boolean") and '
        '(if(get_type(map.get(data, ["vip"])) == "boolean", map.get(data, ["vip"]), false)'
        " == true)))}"
    )
    assert second["next"] == "Fail1"
    assert third["next"] == "AlreadyDone"
    assert size["next"] == "Pause"  # no rule holds: the step after the choice
    # A branch that does not end the run continues after the choice.
    assert main["review_result"]["next"] == "Pause"
    assert main["Fail1"] == {"raise": {"Error": "NoCoupon", "Cause": ""}}
    assert main["AlreadyDone"] == {"return": "${data}"}


def test_a_result_path_keeps_the_input_and_adds_the_result() -> None:
    main = steps_of(write(constructs_app()))
    assert main["price_result"]["assign"] == [{'data["priced"]': "${response.body}"}]
    wrap = main["price_object"]["switch"][0]
    assert wrap["condition"] == '${get_type(data) != "map"}'


def test_waits_sleep_for_seconds_or_until_a_time_in_the_data() -> None:
    main = steps_of(write(constructs_app()))
    assert main["Pause"] == {"call": "sys.sleep", "args": {"seconds": 5}, "next": "Until"}
    assert main["Until"] == {
        "call": "sys.sleep_until",
        "args": {"time": '${map.get(data, ["ship_at"])}'},
        "next": "Both",
    }


def test_parallel_runs_branch_subworkflows_and_collects_outputs_in_order() -> None:
    source = write(constructs_app())
    main = steps_of(source)
    block = main["Both"]
    inner = {next(iter(s)): next(iter(s.values())) for s in block["try"]["steps"]}
    parallel = inner["Both_branches"]["parallel"]
    assert parallel["shared"] == ["outputs", "failures"]
    assert [next(iter(b)) for b in parallel["branches"]] == ["Both_branch1", "Both_branch2"]
    call = parallel["branches"][0]["Both_branch1"]["steps"][0]["Both_branch1_run"]["try"]
    assert call["steps"][0]["Both_branch1_call"]["call"] == "polyfn_Both_branch1"
    assert call["steps"][1]["Both_branch1_store"]["assign"] == [{'outputs["0"]': "${output}"}]
    # The first failing branch, in branch order, is raised; else the outputs in order.
    order = inner["Both_order"]["for"]
    assert order["range"] == [0, "${2 - 1}"]
    assert inner["Both_output"] == {"assign": [{"data": "${collected}"}]}
    branch = steps_of(source, "polyfn_Both_branch1")
    assert branch["ship"]["call"] == "http.post" and branch["ship_result"]["next"] == DONE_STEP
    # The parallel state's catch routes to its Fail state.
    assert main["Both_route"]["switch"][0]["next"] == "Fail2"
    assert main["Fail2"] == {"raise": {"Error": "Broken", "Cause": "a branch"}}
    assert main["Both_route"]["next"] == "Lines"


def test_map_is_a_parallel_for_with_the_concurrency_limit() -> None:
    source = write(constructs_app())
    main = steps_of(source)
    assert main["Lines"]["assign"][0] == {"items": '${map.get(data, ["lines"])}'}
    check = main["Lines_check"]["switch"][0]
    assert check["condition"] == '${get_type(items) != "list"}'
    assert check["steps"][0]["Lines_not_list"]["raise"]["Error"] == "States.Runtime"
    loop = main["Lines_items"]["parallel"]
    assert loop["concurrency_limit"] == 2
    assert loop["for"]["in"] == "${items}" and loop["for"]["index"] == "index"
    assert main["Lines_output"]["next"] == DONE_STEP
    assert steps_of(source, "polyfn_Lines_item")["polyfn_start"]["assign"][0] == {
        "data": "${input}"
    }


def test_an_unlimited_map_has_no_concurrency_limit() -> None:
    app = App("m")
    flow = app.workflow("flow")

    @flow.task
    def one(data: Any) -> Any:
        return data

    flow.flow(Map("items", [one]))
    loop = steps_of(write(app))["Map1_items"]["parallel"]
    assert "concurrency_limit" not in loop


def test_branches_check_the_run_deadline_they_are_given() -> None:
    source = write(constructs_app(), timeout=30)
    assert source["polyfn_Both_branch1"]["params"] == ["input", "polyfn_trace", "deadline"]
    call = _all_bodies(source["main"])
    assert any(
        b.get("args")
        == {"input": "${data}", "polyfn_trace": "${polyfn_trace}", "deadline": "${deadline}"}
        for b in call
    )


# ---------------------------------------------------------------------- refused


def one_task_app(**task_options: Any) -> App:
    app = App("refused")
    flow = app.workflow("flow")

    @flow.task(**task_options)
    def work(data: Any) -> Any:
        return data

    flow.flow(work)
    return app


@pytest.mark.parametrize(
    ("options", "construct"),
    [
        ({"retry": [Retry("A"), Retry("B")]}, "2 retriers on 'work'"),
        ({"retry": Retry("A", jitter=True)}, "retry jitter on 'work'"),
        ({"timeout": MAX_TASK_TIMEOUT + 1}, "task timeout 1801 s of 'work'"),
    ],
)
def test_what_workflows_cannot_express_is_refused_naming_it(
    options: dict[str, Any], construct: str
) -> None:
    with pytest.raises(WorkflowUnsupported) as raised:
        write(one_task_app(**options))
    assert raised.value.cloud == "gcp"
    assert raised.value.workflow == "flow"
    assert raised.value.construct.startswith(construct)


def test_a_state_may_not_take_a_reserved_step_name() -> None:
    app = App("reserved")
    flow = app.workflow("flow")

    @flow.task
    def work(data: Any) -> Any:
        return data

    flow.flow(work, Wait(1, name="polyfn_done"))
    with pytest.raises(WorkflowUnsupported, match="reserved"):
        write(app)


def test_the_checker_catches_a_jump_to_nowhere_and_an_unbalanced_expression() -> None:
    source = write(one_task_app(retry=Retry("A")))
    steps_of(source)["work"]["next"] = "nowhere"
    with pytest.raises(AssertionError, match="no step 'nowhere'"):
        check_source(source)
    with pytest.raises(AssertionError, match="unbalanced"):
        check_expression('${map.get(data, ["a"]}')
    assert re.fullmatch(r"\$\{.*\}", '${"}"}')
    check_expression('${"}"}')  # a brace inside a string is not a bracket


# ---------------------------------------------------------------------- deploy.sh lines


def test_deploy_lines_fill_in_region_and_project_and_deploy_with_the_account(
    tmp_path: Any,
) -> None:
    """The lines run under bash with a ``gcloud`` that records its arguments and the YAML
    it was given (no Google Cloud here)."""
    import os
    import subprocess

    from polyfn.deploy.workflow_gcp import TASK_URL, deploy_lines

    app = build()
    graph = app.workflows["order"].graph
    (tmp_path / "workflows").mkdir()
    (tmp_path / "workflows" / "order.yaml").write_text(
        to_workflows_yaml(graph, lambda t: TASK_URL.format(f"orders-dev-{t}"), workflow="order")
    )
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "gcloud"
    fake.write_text(
        "#!/usr/bin/env bash\n"
        'echo "$*" >> "$RECORD"\n'
        'for ((i=1; i<=$#; i++)); do if [[ "${!i}" == --source ]]; then j=$((i+1)); '
        'cp "${!j}" "$DEPLOYED"; fi; done\n'
    )
    fake.chmod(0o755)
    lines = deploy_lines("orders-dev-order", "workflows/order.yaml", "SA_ORDER", ["orders-dev-a"])
    script = tmp_path / "deploy.sh"
    script.write_text(
        "set -euo pipefail\n"
        'PROJECT_ID=demo-proj; REGION=europe-west1; SOURCE_DIR="$(dirname "$0")"\n'
        "P=(--project demo-proj); SA_ORDER=wf@demo-proj.iam.gserviceaccount.com\n"
        + "\n".join(lines)
        + "\n"
    )
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "RECORD": str(tmp_path / "record"),
        "DEPLOYED": str(tmp_path / "deployed.yaml"),
    }
    subprocess.run(["bash", str(script)], check=True, env=env, timeout=30)
    calls = (tmp_path / "record").read_text().splitlines()
    assert calls[0].startswith("functions add-invoker-policy-binding orders-dev-a")
    assert "serviceAccount:wf@demo-proj.iam.gserviceaccount.com" in calls[0]
    assert calls[1].startswith("workflows deploy orders-dev-order --project demo-proj")
    assert "--location europe-west1" in calls[1]
    assert "--service-account wf@demo-proj.iam.gserviceaccount.com" in calls[1]
    deployed = yaml.safe_load((tmp_path / "deployed.yaml").read_text())
    check_source(deployed)
    urls = {b["args"]["url"] for b in _all_bodies(deployed) if b.get("call") == "http.post"}
    assert "https://europe-west1-demo-proj.cloudfunctions.net/orders-dev-validate_order" in urls
    assert not any("__" in url for url in urls)


def test_states_are_written_in_the_order_a_run_meets_them() -> None:
    main = [next(iter(step)) for step in write(build(), "order")["main"]["steps"]]
    entries = [
        name
        for name in main
        if name in build().workflows["order"].graph.states  # each state's entry step
    ]
    assert entries == [
        "validate_order",
        "check_inventory",
        "charge_payment",
        "fulfill_order",
        "notify_payment_failed",
        "notify_out_of_stock",
    ]


def test_no_catch_stops_the_runs_own_timeout_raised_in_a_branch() -> None:
    source = write(constructs_app(), timeout=30)
    branch = steps_of(source, "polyfn_Both_branch1")
    assert branch["polyfn_timed_out"]["raise"]["polyfn_deadline"] is True
    # The parallel state catches States.ALL, yet its except first raises the deadline on.
    handling = steps_of(source)["Both_run"]["except"]["steps"]
    [first] = handling[0].values()
    assert first["switch"] == [
        {
            "condition": '${map.get(e, "polyfn_deadline") == true}',
            "steps": [{"Both_timed_out": {"raise": "${e}"}}],
        }
    ]


@pytest.mark.parametrize("name", ["orders-dev-", "1orders", "o" * 65, "orders dev"])
def test_a_deployed_name_the_workflows_api_refuses_is_refused_first(name: str) -> None:
    from polyfn.deploy.workflow_gcp import deploy_lines

    with pytest.raises(WorkflowUnsupported, match="a workflow ID has 1-64 letters"):
        deploy_lines(name, "workflows/order.yaml", "SA", [])
    assert deploy_lines("orders-dev-order", "workflows/order.yaml", "SA", [])
