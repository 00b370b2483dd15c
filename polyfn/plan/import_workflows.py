"""Step Functions state machines of an imported AWS app, read into polyfn workflows.

Two sources: the ``stepFunctions.stateMachines`` block of a serverless.yml (the
serverless-step-functions plugin's format: each machine has a ``definition`` in Amazon
States Language, optionally ``name``, ``type``) and ``AWS::Serverless::StateMachine``
resources of a SAM template (``Definition`` inline, or ``DefinitionUri`` a file next to
the template; ``DefinitionSubstitutions`` filled in).

An ASL definition is a graph of named states; a polyfn flow is a sequence with branches
and no "go to". The translation follows each path from ``StartAt``: a task's ``Next`` is
the step after it, a ``Catch`` target and each ``Choice`` rule's target become the steps
of that catch or branch, run to their end. States reached from two places are written in
each (same behaviour: a flow has no join), a cycle cannot be written at all.

What maps: Task on a Lambda function of the file (a Lambda ARN, ``Fn::GetAtt``/``Ref`` of
it, or ``arn:aws:states:::lambda:invoke`` with its ``FunctionName``), Retry, Catch
(``ResultPath: $.key``), Choice (the comparisons on ``$.path`` against a literal, And,
Or, Not, IsPresent), Wait (``Seconds``, ``TimestampPath``), Parallel, Map (inline,
``MaxConcurrency``), Pass without data changes, Succeed, Fail. What does not (a ``blocked``
note, and a ``Fail("NotPorted", ...)`` step where it was, so the scaffold still runs and
says so): JSONata, ``.waitForTaskToken``, service integrations other than Lambda, Pass
states with ``Parameters``/``Result``, intrinsic functions, comparisons against another
path or a pattern, distributed maps, loops. Data-shaping fields (``InputPath``,
``OutputPath``, ``Parameters``, ``ResultSelector``) are dropped with a ``change`` note:
polyfn gives each task the whole data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from polyfn.core.workflow import EXPRESS_MAX_SECONDS
from polyfn.core.workflow_steps import (
    All,
    AnyOf,
    Choice,
    Condition,
    Fail,
    Map,
    Not,
    Parallel,
    Retry,
    Succeed,
    TaskStep,
    Wait,
    When,
    WorkflowDefinitionError,
)
from polyfn.plan.import_model import ImportedApp, ImportedFunction, logical_name, python_name

__all__ = [
    "NOT_PORTED",
    "ImportedTask",
    "ImportedWorkflow",
    "read_sam_state_machine",
    "read_serverless_state_machines",
    "render_workflow",
]

NOT_PORTED = "NotPorted"
_DATA_FIELDS = ("InputPath", "OutputPath", "Parameters", "ResultSelector", "Arguments", "Output")
_COMPARISONS = {
    "Equals": "equals",
    "GreaterThan": "greater",
    "GreaterThanEquals": "greater_or_equal",
    "LessThan": "less",
    "LessThanEquals": "less_or_equal",
}
_INTRINSIC = re.compile(r"States\.[A-Z][A-Za-z]+\(")


@dataclass
class ImportedTask:
    """A task of an imported workflow: the Lambda function it calls."""

    name: str  # the task's Python name
    function: ImportedFunction | None
    timeout: int | None = None
    handler: Callable[..., Any] = field(default=lambda data: data)  # the stub of its step


@dataclass
class ImportedWorkflow:
    name: str  # polyfn workflow name
    origin: str  # "stepFunctions.stateMachines.orderFlow" / "OrderStateMachine"
    definition: Mapping[str, Any]
    express: bool = False
    timeout: int | None = None
    tasks: dict[str, ImportedTask] = field(default_factory=dict)  # by task name
    mapped: list[str] = field(default_factory=list)  # "State (Type) -> what" lines
    steps: list[Any] = field(default_factory=list)  # the flow, as polyfn steps

    @property
    def variable(self) -> str:
        return python_name(self.name)


def read_serverless_state_machines(
    imported: ImportedApp, document: Mapping[str, Any], short: Callable[[str], str]
) -> None:
    """The ``stepFunctions.stateMachines`` block (``short`` turns a deployed function name
    back into the one in the file)."""
    block = document.get("stepFunctions")
    machines = block.get("stateMachines") if isinstance(block, Mapping) else None
    if block is not None and not isinstance(machines, Mapping):
        imported.note("", "info", "stepFunctions has no stateMachines mapping: nothing read")
        return
    for key, machine in (machines or {}).items():
        origin = f"stepFunctions.stateMachines.{key}"
        if not isinstance(machine, Mapping) or not isinstance(machine.get("definition"), Mapping):
            imported.note("", "blocked", f"{origin} has no inline definition that could be read")
            continue
        name = str(machine.get("name") or key)
        _add(imported, name, origin, machine["definition"], str(machine.get("type", "")), short)


def read_sam_state_machine(
    imported: ImportedApp, logical_id: str, props: Mapping[str, Any], short: Callable[[str], str]
) -> None:
    """One ``AWS::Serverless::StateMachine`` resource."""
    definition: Any = props.get("Definition")
    uri = props.get("DefinitionUri")
    if definition is None and isinstance(uri, str):
        path = imported.root / uri
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            imported.note("", "blocked", f"{logical_id}: cannot read {uri}: {exc.strerror}")
            return
        from polyfn.plan.cfn_yaml import load_yaml

        definition = load_yaml(text, str(path))
    elif definition is None:
        imported.note(
            "", "blocked", f"{logical_id}: DefinitionUri {uri!r} is not a file next to the template"
        )
        return
    if not isinstance(definition, Mapping):
        imported.note("", "blocked", f"{logical_id}: the definition is not a mapping")
        return
    substitutions = props.get("DefinitionSubstitutions") or {}
    if isinstance(substitutions, Mapping) and substitutions:
        definition = _substitute(definition, substitutions)
    name = str(props.get("Name") or logical_name(logical_id, "machine"))
    _add(imported, name, logical_id, definition, str(props.get("Type", "")), short)


def _substitute(node: Any, values: Mapping[str, Any]) -> Any:
    if isinstance(node, Mapping):
        return {k: _substitute(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute(v, values) for v in node]
    if isinstance(node, str):
        whole = re.fullmatch(r"\$\{([A-Za-z0-9_]+)\}", node)
        if whole and whole.group(1) in values:
            return values[whole.group(1)]  # may be a {"Fn::GetAtt": ...} mapping
        return re.sub(
            r"\$\{([A-Za-z0-9_]+)\}",
            lambda m: (
                str(values[m.group(1)]) if isinstance(values.get(m.group(1)), str) else m.group(0)
            ),
            node,
        )
    return node


def _add(
    imported: ImportedApp,
    name: str,
    origin: str,
    definition: Mapping[str, Any],
    kind: str,
    short: Callable[[str], str],
) -> None:
    workflow = ImportedWorkflow(logical_name(name), origin, definition)
    workflow.express = kind.upper() == "EXPRESS"
    timeout = definition.get("TimeoutSeconds")
    workflow.timeout = timeout if isinstance(timeout, int) and timeout > 0 else None
    if workflow.express:
        imported.note(
            "",
            "info",
            f"workflow {workflow.name!r} ({origin}) is an EXPRESS state machine: scaffolded "
            "with express=True (five minutes at most, no execution names, no history); on "
            "Azure and Google Cloud it runs as any workflow under the same limits",
        )
    imported.workflows.append(workflow)
    reader = _Reader(imported, workflow, short)
    # Read once here, so an unreadable definition is a note, not a crash of the plan.
    try:
        workflow.steps = reader.flow(definition, [])
    except _Unreadable as exc:
        imported.note("", "blocked", f"workflow {workflow.name!r} ({origin}): {exc}")
        imported.workflows.remove(workflow)
        return
    mapped = [line for line in workflow.mapped if " (?) " not in line]
    imported.note(
        "",
        "info",
        f"workflow {workflow.name!r} ({origin}) maps {len(mapped)} of its states: "
        + "; ".join(mapped),
    )


class _Unreadable(Exception):
    """The definition as a whole cannot be read (no StartAt, a cycle...)."""


class _Reader:
    """Translates ASL into polyfn steps for one workflow; notes what does not map."""

    def __init__(
        self, imported: ImportedApp, workflow: ImportedWorkflow, short: Callable[[str], str]
    ) -> None:
        self.imported = imported
        self.workflow = workflow
        self.short = short
        self.functions = {fn.original: fn for fn in imported.functions}
        self.taken: set[str] = set()  # names of the app's functions: tasks share their namespace
        from polyfn.plan.import_model import trigger_groups

        for fn in imported.functions:
            self.taken.update(name for _, name in trigger_groups(fn))
        for other in imported.workflows:  # task names are unique in an app
            self.taken.update(other.tasks)
        self.task_steps: dict[str, TaskStep] = {}
        self.noted: set[str] = set()
        self.names: set[str] = set()  # step names taken in the graph being written

    # ------------------------------------------------------------------ notes

    def note(self, impact: str, state: str, text: str) -> None:
        line = f"workflow {self.workflow.name!r}, state {state!r}: {text}"
        if line not in self.noted:
            self.noted.add(line)
            self.imported.note("", impact, line)  # type: ignore[arg-type]

    def mapped(self, state: str, kind: str, to: str) -> None:
        line = f"{state} ({kind}) -> {to}"
        if line not in self.workflow.mapped:
            self.workflow.mapped.append(line)

    def not_ported(self, state: str, why: str) -> Fail:
        self.note("blocked", state, why)
        self.mapped(state, "?", f"Fail({NOT_PORTED!r})")
        return Fail(NOT_PORTED, f"{state}: {why}", name=self.step_name(state))

    # ------------------------------------------------------------------ graph

    def flow(self, machine: Mapping[str, Any], path: list[str]) -> list[Any]:
        """The steps of a (sub)machine: ``States`` from ``StartAt``."""
        if machine.get("QueryLanguage") == "JSONata":
            raise _Unreadable("it is written in JSONata (QueryLanguage: JSONata)")
        states = machine.get("States")
        start = machine.get("StartAt")
        if not isinstance(states, Mapping) or start not in states:
            raise _Unreadable("no States with its StartAt state")
        return self.sequence(states, str(start), path)

    def sequence(self, states: Mapping[str, Any], name: str, path: list[str]) -> list[Any]:
        steps: list[Any] = []
        current: str | None = name
        while current is not None:
            if current in path:
                raise _Unreadable(
                    f"the states loop ({' -> '.join([*path[path.index(current) :], current])}); "
                    "a polyfn flow has no loops (write the repetition inside a task, or a Map)"
                )
            state = states.get(current)
            if not isinstance(state, Mapping):
                raise _Unreadable(f"state {current!r} is named but not defined")
            path = [*path, current]
            step, following, ends = self.state(states, current, state, path)
            if isinstance(step, list):
                steps.extend(step)
            elif step is not None:
                steps.append(step)
            if ends:
                break
            current = following
        return steps

    def state(
        self, states: Mapping[str, Any], name: str, state: Mapping[str, Any], path: list[str]
    ) -> tuple[Any, str | None, bool]:
        """The step, the next state's name, and whether this path ends here."""
        kind = str(state.get("Type"))
        if state.get("QueryLanguage") == "JSONata":
            return self.not_ported(name, "JSONata is not read"), None, True
        following = None if state.get("End") else state.get("Next")
        following = str(following) if following is not None else None
        understood = _understood_fields(state)
        for data_field in _DATA_FIELDS:
            if data_field in state and kind not in ("Pass", "Map") and data_field not in understood:
                if _INTRINSIC.search(json.dumps(state[data_field])):
                    return (
                        self.not_ported(name, f"{data_field} uses intrinsic functions"),
                        None,
                        True,
                    )
                self.note(
                    "change",
                    name,
                    f"{data_field} is dropped: a polyfn task gets the whole data "
                    "(reshape it in the task)",
                )
        if kind == "Task":
            return self.task(states, name, state, path), None, True
        if kind == "Choice":
            return self.choice(states, name, state, path), None, True
        if kind == "Wait":
            return self.wait(name, state), following, False
        if kind == "Pass":
            if any(k in state for k in ("Parameters", "Result", "ResultPath", "Assign")):
                return self.not_ported(name, "a Pass state that changes the data"), None, True
            self.mapped(name, kind, "nothing (passes the data on)")
            return None, following, False
        if kind == "Succeed":
            self.mapped(name, kind, "Succeed()")
            return Succeed(name=self.step_name(name)), None, True
        if kind == "Fail":
            if "ErrorPath" in state or "CausePath" in state:
                return self.not_ported(name, "ErrorPath/CausePath are not read"), None, True
            self.mapped(name, kind, "Fail()")
            error = str(state.get("Error") or "States.Fail")
            cause = str(state.get("Cause") or "")
            return Fail(error, cause, name=self.step_name(name)), None, True
        if kind == "Parallel":
            return self.parallel(states, name, state, path), None, True
        if kind == "Map":
            return self.map(states, name, state, path), None, True
        return self.not_ported(name, f"state type {kind!r} is not read"), None, True

    def rest(self, states: Mapping[str, Any], state: Mapping[str, Any], path: list[str]) -> Any:
        """The steps after a state that continues (its Next), to the end of that path."""
        if state.get("End") or state.get("Next") is None:
            return []
        return self.sequence(states, str(state["Next"]), path)

    def step_name(self, name: str) -> str:
        base = re.sub(r"\W", "_", name) or "step"
        candidate, count = base, 2
        while candidate in self.names:
            candidate, count = f"{base}_{count}", count + 1
        self.names.add(candidate)
        return candidate

    # ------------------------------------------------------------------ states

    def task(
        self, states: Mapping[str, Any], name: str, state: Mapping[str, Any], path: list[str]
    ) -> Any:
        function, problem = self.lambda_of(name, state)
        if problem is not None:
            return self.not_ported(name, problem)
        assert function is not None
        task = self.task_for(function, state, name)
        step: TaskStep = self.task_steps[task.name]
        mapped = [f"task {task.name}"]
        result_path = state.get("ResultPath", "$")
        key = _top_key(result_path)
        if result_path is None or (result_path != "$" and key is None):
            self.note("change", name, f"ResultPath {result_path!r}: polyfn replaces the data")
        elif key is not None:
            step = step.into(key)
            mapped.append(f"into({key!r})")
        if "HeartbeatSeconds" in state:
            self.note("change", name, "HeartbeatSeconds has no polyfn equivalent")
        for retrier in state.get("Retry") or []:
            retry = self.retry(name, retrier)
            if retry is not None:
                step = step._with(retries=(*step.retries, retry))
                mapped.append(f"retry({list(retry.on)})")
        catches = []
        for catcher in state.get("Catch") or []:
            caught = self.catch(states, name, catcher, path)
            if caught is not None:
                catches.append(caught)
                mapped.append(f"catch({list(caught[0])})")
        for on, then, result in catches:
            step = step.catch(on, then, result_path=result)
        self.mapped(name, "Task", ".".join(mapped))
        return [step, *self.rest(states, state, path)]

    def task_for(
        self, function: ImportedFunction, state: Mapping[str, Any], name: str
    ) -> ImportedTask:
        for task in self.workflow.tasks.values():
            if task.function is function:
                break
        else:
            task_name, count = function.name, 1
            while task_name in self.taken:
                count += 1
                suffix = f"_{count}" if count > 2 else ""
                task_name = f"{function.name}_{self.workflow.variable}{suffix}"
            self.taken.add(task_name)
            timeout = state.get("TimeoutSeconds")
            task = ImportedTask(
                task_name, function, timeout if isinstance(timeout, int) and timeout > 0 else None
            )
            task.handler = _not_ported_task(task_name)
            self.workflow.tasks[task_name] = task
            self.task_steps[task_name] = TaskStep(task_name, task.handler, timeout=task.timeout)
            return task
        timeout = state.get("TimeoutSeconds")
        if isinstance(timeout, int) and timeout > 0 and timeout != task.timeout:
            self.note("change", name, f"TimeoutSeconds {timeout}: the task keeps {task.timeout}")
        return task

    def lambda_of(
        self, name: str, state: Mapping[str, Any]
    ) -> tuple[ImportedFunction | None, str | None]:
        resource = state.get("Resource")
        if isinstance(resource, str) and resource.startswith("arn:aws:states:::"):
            service = resource.removeprefix("arn:aws:states:::")
            if service.endswith(".waitForTaskToken"):
                return None, f"{service}: .waitForTaskToken (callbacks) has no polyfn equivalent"
            if not service.startswith("lambda:invoke"):
                return None, (
                    f"the service integration {service!r}: call the service from a task's code"
                )
            if service != "lambda:invoke":
                return None, f"{service}: only the request-response lambda:invoke is read"
            parameters = state.get("Parameters") or state.get("Arguments") or {}
            target = parameters.get("FunctionName") or parameters.get("FunctionName.$")
            payload = parameters.get("Payload.$", "$")
            if payload != "$" or "Payload" in parameters:
                return None, "a Payload other than the whole data ($)"
            if state.get("OutputPath") != "$.Payload" and "ResultSelector" not in state:
                self.note(
                    "change",
                    name,
                    "lambda:invoke without OutputPath $.Payload passes on the whole invoke "
                    "response; a polyfn task passes on the function's result itself",
                )
            resource = target
        found = self.function_named(resource)
        if found is None:
            return None, f"Resource {_short_text(resource)} is not a Lambda function of this file"
        return found, None

    def function_named(self, resource: Any) -> ImportedFunction | None:
        if isinstance(resource, Mapping) and len(resource) == 1:
            [(intrinsic, value)] = resource.items()
            if intrinsic == "Fn::GetAtt":
                value = value[0] if isinstance(value, list) else str(value).split(".")[0]
            elif intrinsic != "Ref":
                return None
            return self.by_logical_id(str(value))
        if not isinstance(resource, str):
            return None
        name = resource.split(":function:", 1)[1] if ":function:" in resource else resource
        name = name.split(":")[0]  # an alias or version after the name
        for candidate in (name, self.short(name)):
            if candidate in self.functions:
                return self.functions[candidate]
        for original, fn in self.functions.items():
            # serverless deploys a function as <service>-<stage>-<name>.
            if name.endswith(f"-{original}"):
                return fn
        return self.by_logical_id(name)

    def by_logical_id(self, logical_id: str) -> ImportedFunction | None:
        for fn in self.imported.functions:
            # serverless names a function's resource <Name>LambdaFunction.
            serverless_id = fn.original[:1].upper() + fn.original[1:] + "LambdaFunction"
            if logical_id in (fn.original, serverless_id, fn.name):
                return fn
        return None

    def retry(self, state: str, retrier: Any) -> Retry | None:
        try:
            return Retry(
                list(retrier.get("ErrorEquals") or []),
                attempts=int(retrier.get("MaxAttempts", 3)),
                interval=float(retrier.get("IntervalSeconds", 1)),
                backoff=float(retrier.get("BackoffRate", 2.0)),
                max_delay=(
                    float(retrier["MaxDelaySeconds"]) if "MaxDelaySeconds" in retrier else None
                ),
                jitter=retrier.get("JitterStrategy") == "FULL",
            )
        except (WorkflowDefinitionError, TypeError, ValueError, AttributeError) as exc:
            self.note("change", state, f"a Retry was not read: {exc}")
            return None

    def catch(
        self, states: Mapping[str, Any], state: str, catcher: Any, path: list[str]
    ) -> tuple[list[str], list[Any], str] | None:
        if not isinstance(catcher, Mapping) or not catcher.get("Next"):
            self.note("change", state, "a Catch without Next was not read")
            return None
        on = [str(n) for n in catcher.get("ErrorEquals") or []]
        result_path = catcher.get("ResultPath", "$")
        key = _top_key(result_path)
        if key is None:
            self.note(
                "change",
                state,
                f"Catch ResultPath {result_path!r}: polyfn puts the error under 'error'",
            )
            key = "error"
        then = self.sequence(states, str(catcher["Next"]), path)
        if not then:
            then = [Succeed(name=self.step_name(f"{state}_caught"))]
        return on, then, key

    def choice(
        self, states: Mapping[str, Any], name: str, state: Mapping[str, Any], path: list[str]
    ) -> Any:
        branches = []
        for rule in state.get("Choices") or []:
            condition = self.condition(name, rule)
            if condition is None:
                return self.not_ported(name, f"the rule {_short_text(rule)} is not read")
            branches.append(
                (
                    condition,
                    self.sequence(states, str(rule.get("Next")), path)
                    or [Succeed(name=self.step_name(f"{name}_done"))],
                )
            )
        if not branches:
            return self.not_ported(name, "a Choice without rules")
        default = state.get("Default")
        otherwise = self.sequence(states, str(default), path) if default else None
        if default is None:
            # ASL fails the run with States.NoChoiceMatched when nothing matches.
            otherwise = [Fail("States.NoChoiceMatched", name=self.step_name(f"{name}_no_match"))]
        self.mapped(name, "Choice", f"Choice({len(branches)} branches)")
        return Choice(*branches, otherwise=otherwise, name=self.step_name(name))

    def condition(self, state: str, rule: Any) -> Condition | None:
        if not isinstance(rule, Mapping):
            return None
        if "And" in rule or "Or" in rule:
            parts = [self.condition(state, r) for r in rule.get("And") or rule.get("Or") or []]
            if not parts or any(p is None for p in parts):
                return None
            checked = [p for p in parts if p is not None]
            return All(*checked) if "And" in rule else AnyOf(*checked)
        if "Not" in rule:
            inner = self.condition(state, rule["Not"])
            return Not(inner) if inner is not None else None
        variable = rule.get("Variable")
        path = _data_path(variable)
        if path is None:
            return None
        if "IsPresent" in rule:
            return When(path, present=bool(rule["IsPresent"]))
        for key, value in rule.items():
            if key in ("Variable", "Next", "Comment"):
                continue
            for kind in ("String", "Numeric", "Boolean", "Timestamp"):
                operator = (
                    _COMPARISONS.get(key.removeprefix(kind)) if key.startswith(kind) else None
                )
                if operator is None or key.endswith("Path"):
                    continue
                if kind == "Timestamp":
                    self.note(
                        "change",
                        state,
                        f"{key} compares ISO 8601 texts as strings (same format needed)",
                    )
                if kind == "Boolean" and operator != "equals":
                    return None
                try:
                    return When(path, **{operator: value})
                except WorkflowDefinitionError:
                    return None
        return None

    def wait(self, name: str, state: Mapping[str, Any]) -> Any:
        if isinstance(state.get("Seconds"), int):
            self.mapped(name, "Wait", f"Wait({state['Seconds']})")
            return Wait(state["Seconds"], name=self.step_name(name))
        path = _data_path(state.get("TimestampPath"))
        if path is not None:
            self.mapped(name, "Wait", f"Wait(until_path={path!r})")
            return Wait(until_path=path, name=self.step_name(name))
        return self.not_ported(name, "a Wait on SecondsPath or a fixed Timestamp")

    def parallel(
        self, states: Mapping[str, Any], name: str, state: Mapping[str, Any], path: list[str]
    ) -> Any:
        branches = []
        for branch in state.get("Branches") or []:
            try:
                branches.append(self.branch(branch, name))
            except _Unreadable as exc:
                return self.not_ported(name, f"a branch: {exc}")
        if not branches:
            return self.not_ported(name, "a Parallel state without branches")
        if state.get("Retry"):
            self.note("change", name, "Retry on a Parallel state is dropped (retry its tasks)")
        step = Parallel(*branches, name=self.step_name(name))
        for catcher in state.get("Catch") or []:
            caught = self.catch(states, name, catcher, path)
            if caught is not None:
                step.catch(caught[0], caught[1], result_path=caught[2])
        self.mapped(name, "Parallel", f"Parallel({len(branches)} branches)")
        return [step, *self.rest(states, state, path)]

    def map(
        self, states: Mapping[str, Any], name: str, state: Mapping[str, Any], path: list[str]
    ) -> Any:
        processor = state.get("ItemProcessor") or state.get("Iterator")
        config = (processor or {}).get("ProcessorConfig") or {}
        if config.get("Mode") == "DISTRIBUTED" or "ItemReader" in state:
            return self.not_ported(name, "a distributed Map (ItemReader / DISTRIBUTED)")
        if "ItemSelector" in state or "Parameters" in state:
            return self.not_ported(name, "a Map with ItemSelector/Parameters")
        items = _data_path(state.get("ItemsPath", "$"))
        if items is None or not isinstance(processor, Mapping):
            return self.not_ported(name, "a Map over the whole input or without ItemProcessor")
        try:
            steps = self.branch(processor, name)
        except _Unreadable as exc:
            return self.not_ported(name, f"its item processor: {exc}")
        concurrency = state.get("MaxConcurrency", 0)
        step = Map(
            items,
            steps,
            max_concurrency=concurrency if isinstance(concurrency, int) else 0,
            name=self.step_name(name),
        )
        for catcher in state.get("Catch") or []:
            caught = self.catch(states, name, catcher, path)
            if caught is not None:
                step.catch(caught[0], caught[1], result_path=caught[2])
        self.mapped(name, "Map", f"Map({items!r})")
        return [step, *self.rest(states, state, path)]

    def branch(self, machine: Mapping[str, Any], name: str) -> list[Any]:
        """A branch or item processor: a graph of its own, with names of its own."""
        outer = self.names
        try:
            self.names = set()
            states = machine.get("States")
            start = machine.get("StartAt")
            if not isinstance(states, Mapping) or start not in states:
                raise _Unreadable("no States with its StartAt state")
            return self.sequence(states, str(start), [])
        finally:
            self.names = outer


def _understood_fields(state: Mapping[str, Any]) -> set[str]:
    """The data fields of a ``lambda:invoke`` task that polyfn's task already means: the
    whole data as the payload, and the function's result taken out of the response."""
    if state.get("Resource") != "arn:aws:states:::lambda:invoke":
        return set()
    understood = set()
    parameters = state.get("Parameters")
    if isinstance(parameters, Mapping) and set(parameters) <= {"FunctionName", "Payload.$"}:
        understood.add("Parameters")
    if state.get("OutputPath") == "$.Payload":
        understood.add("OutputPath")
    return understood


def _top_key(path: Any) -> str | None:
    if isinstance(path, str) and re.fullmatch(r"\$\.[A-Za-z_][A-Za-z0-9_]*", path):
        return path[2:]
    return None


def _data_path(variable: Any) -> str | None:
    if isinstance(variable, str) and re.fullmatch(r"\$(\.[A-Za-z_][A-Za-z0-9_]*)+", variable):
        return variable[2:]
    return None


def _short_text(value: Any) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else value
    return text if len(text) <= 60 else text[:57] + "..."


def _not_ported_task(name: str) -> Callable[..., Any]:
    def task(data: Any) -> Any:
        raise NotImplementedError(f"{name}: port the Lambda function this task calls")

    task.__name__ = name
    return task


# ---------------------------------------------------------------------- as source code

# The names a scaffolded workflow may import from polyfn.
STEP_NAMES = ("All", "AnyOf", "Choice", "Fail", "Map", "Not", "Parallel", "Succeed", "Wait", "When")


def render_workflow(workflow: ImportedWorkflow, used: set[str]) -> list[str]:
    """``workflow`` as scaffold source: declaration, task stubs, flow. Adds the polyfn
    names the source uses to ``used``."""
    var = workflow.variable
    timeout = f", timeout={workflow.timeout}" if workflow.timeout else ""
    if workflow.express:
        # An Express state machine runs five minutes at most whatever it declares.
        if workflow.timeout and workflow.timeout > EXPRESS_MAX_SECONDS:
            timeout = f", timeout={EXPRESS_MAX_SECONDS}"
        timeout += ", express=True"
    lines = [
        "",
        "",
        f"{var} = app.workflow({json.dumps(workflow.name)}{timeout})  # {workflow.origin}",
    ]
    lines.extend(f"# {line}" for line in workflow.mapped)
    for task in workflow.tasks.values():
        options = f"(timeout={task.timeout})" if task.timeout else ""
        origin = (
            f"the Lambda function {task.function.original} ({task.function.handler})"
            if task.function is not None
            else "a state of the state machine"
        )
        lines += [
            "",
            "",
            f"@{var}.task{options}",
            f"def {task.name}(data: dict[str, Any]) -> dict[str, Any]:",
            f'    """Replaces {origin}."""',
            "    # TODO(port): its business logic",
            f'    raise NotImplementedError("{task.name}: port it")',
        ]
    writer = _SourceWriter(used)
    lines += ["", "", f"{var}.flow("]
    lines += [f"    {writer.step(step, 1)}," for step in workflow.steps]
    lines.append(")")
    return lines


class _SourceWriter:
    def __init__(self, used: set[str]) -> None:
        self.used = used

    def name(self, label: str) -> str:
        self.used.add(label)
        return label

    def steps(self, steps: Any, depth: int) -> str:
        pad = "    " * (depth + 1)
        inner = "".join(f"{pad}{self.step(step, depth + 1)},\n" for step in steps)
        return "[\n" + inner + "    " * depth + "]"

    def step(self, step: Any, depth: int) -> str:
        if isinstance(step, TaskStep):
            text = step.name
            if step.result_path is not None:
                text += f".into({json.dumps(step.result_path)})"
            for retry in step.retries:
                text += f".retry({self.errors(retry.on)}{self.retry_options(retry)})"
            for catch in step.catches:
                text += self.catch(catch, depth)
            return text
        if isinstance(step, Choice):
            pad = "    " * (depth + 1)
            parts = [
                f"{pad}({self.condition(c)}, {self.steps(b, depth + 1)}),\n"
                for c, b in step.branches
            ]
            if step.otherwise is not None:
                parts.append(f"{pad}otherwise={self.steps(step.otherwise, depth + 1)},\n")
            parts.append(f"{pad}name={json.dumps(step.name)},\n")
            return f"{self.name('Choice')}(\n" + "".join(parts) + "    " * depth + ")"
        if isinstance(step, Wait):
            how = (
                str(step.seconds)
                if step.seconds is not None
                else (f"until_path={json.dumps(step.until_path)}")
            )
            return f"{self.name('Wait')}({how}, name={json.dumps(step.name)})"
        if isinstance(step, Parallel):
            branches = ", ".join(self.steps(b, depth) for b in step.branches)
            text = f"{self.name('Parallel')}({branches}, name={json.dumps(step.name)})"
            return text + "".join(self.catch(c, depth) for c in step.catches)
        if isinstance(step, Map):
            limit = f", max_concurrency={step.max_concurrency}" if step.max_concurrency else ""
            text = (
                f"{self.name('Map')}({json.dumps(step.items_path)}, "
                f"{self.steps(step.steps, depth)}{limit}, name={json.dumps(step.name)})"
            )
            return text + "".join(self.catch(c, depth) for c in step.catches)
        if isinstance(step, Succeed):
            return f"{self.name('Succeed')}(name={json.dumps(step.name)})"
        assert isinstance(step, Fail)
        cause = f", {json.dumps(step.cause)}" if step.cause else ""
        return f"{self.name('Fail')}({json.dumps(step.error)}{cause}, name={json.dumps(step.name)})"

    @staticmethod
    def errors(names: tuple[str, ...]) -> str:
        return json.dumps(names[0]) if len(names) == 1 else json.dumps(list(names))

    @staticmethod
    def retry_options(retry: Retry) -> str:
        text = (
            f", attempts={retry.attempts}, interval={retry.interval:g}, backoff={retry.backoff:g}"
        )
        if retry.max_delay is not None:
            text += f", max_delay={retry.max_delay:g}"
        return text + (", jitter=True" if retry.jitter else "")

    def catch(self, catch: Any, depth: int) -> str:
        key = (
            "" if catch.result_path == "error" else f", result_path={json.dumps(catch.result_path)}"
        )
        return f".catch({self.errors(catch.on)}, {self.steps(catch.then, depth)}{key})"

    def condition(self, condition: Condition) -> str:
        if isinstance(condition, All | AnyOf):
            label = self.name(type(condition).__name__)
            return f"{label}({', '.join(self.condition(c) for c in condition.conditions)})"
        if isinstance(condition, Not):
            return f"{self.name('Not')}({self.condition(condition.condition)})"
        assert isinstance(condition, When)
        operand = json.dumps(condition.operand)
        if isinstance(condition.operand, bool):
            operand = "True" if condition.operand else "False"
        return f"{self.name('When')}({json.dumps(condition.path)}, {condition.operator}={operand})"
