"""A workflow as Google Cloud Workflows source: the YAML ``gcloud workflows deploy`` takes.

Each state of the compiled graph (``polyfn.core.workflow_graph``) becomes a step of
``main`` named after it; the branches of a parallel state and the steps of a map state
become subworkflows of their own (Workflows cannot jump into or out of a parallel
branch, and each branch needs its own ``data``). The run keeps the workflow's data in the
variable ``data`` and ends with ``return: ${data}`` or with ``raise`` of a map
``{"Error": name, "Cause": text}``.

The task endpoint's side of the contract (the GCP HTTP adapter follows it)
-------------------------------------------------------------------------
Each task step is ``call: http.post`` to the task's HTTPS endpoint with ``auth: {type:
OIDC}`` (the workflow's service account signs an ID token the function checks), the
workflow's data as the JSON body, and ``timeout`` in seconds. The endpoint answers:

- success: status 200, ``Content-Type: application/json``, the task's result as the body
  (Workflows parses a JSON body into ``response.body``);
- a task failure: status 500, ``Content-Type: application/json``, body
  ``{"Error": "<the exception's class name>", "Cause": "<its message>"}``. Workflows raises
  an ``HttpError`` for any status >= 400 whose ``body`` is that parsed map, so the error
  name a retry or catch matches is ``e.body.Error``, as Step Functions' ``ErrorEquals``
  matches a Lambda function's ``errorType``.

Any other failure is named by the subworkflow ``polyfn_error``: a ``TimeoutError`` tag
(the ``timeout`` of ``http.post`` ran out) is ``States.Timeout``; an error raised by the
workflow itself as ``{"Error", "Cause"}`` (a Fail state, a branch failure) keeps its name;
anything else (a connection error, a 403 from a token the function refused) is named by
its first tag (``ConnectionError``, ``HttpError``...), which only catch-alls match.

How polyfn's model is carried over
----------------------------------
- retry: ``try``/``retry`` with a ``predicate`` subworkflow that names the error and tests
  it against the retrier's names, ``max_retries`` = attempts, and ``backoff`` with
  ``initial_delay`` = interval, ``multiplier`` = backoff, ``max_delay`` = max_delay (or,
  with none, the largest delay the retries reach, which caps nothing);
- catch: ``except`` names the error, puts ``{"Error", "Cause"}`` under the catch's key of
  the failed step's input, and records the target in ``route``; the step after the ``try``
  jumps there (a step inside ``except`` never jumps out, so no jump crosses a block);
- choice: ``switch``; each comparison reads the value with ``map.get`` (null when a key
  is missing or a parent is not a map) and only compares when ``get_type`` says the kind
  matches; the comparison reads the value through ``if(kind matches, value, a value of
  the operand's kind)`` so no operand raises a TypeError whether or not ``and`` evaluates
  lazily; ``present`` tests ``"key" in`` the parent map;
- wait: ``sys.sleep`` (seconds) or ``sys.sleep_until`` (the time at ``until_path``);
- parallel: a ``parallel`` step with one branch per branch subworkflow, each writing its
  output (or its error) under its index in ``shared`` maps; the first failing branch in
  branch order is the state's failure, the outputs are collected in branch order;
- map: a ``parallel`` ``for`` over the list with ``concurrency_limit`` (none for 0),
  collecting outputs by index, then put back in order;
- succeed / fail: ``return: ${data}`` / ``raise: {"Error", "Cause"}``;
- the execution timeout: Workflows has no per-workflow timeout (an execution may run up
  to a year), so ``main`` records ``deadline`` at start and every state checks
  ``sys.now()`` against it on entry, raising ``States.Timeout`` as polyfn's engine ends a
  run at the first transition after its deadline (branches get the deadline too; their
  timeout error is marked ``polyfn_deadline`` and every ``except`` raises it on, so no
  catch stops the run's own timeout, as none can in the engine);
- a task timeout: ``http.post``'s ``timeout`` (at most 1800 s). A task declared without
  one waits as long as its function is deployed to run, the default timeout (the function
  is registered with the task's own timeout, so the two always agree): waiting the 1800 s
  maximum for a function Cloud Run stops after 30 s would only hide the mismatch. When
  the platform stops the function first it answers 504, which is named ``States.Timeout``
  like the call's own timeout, so whichever fires first the run sees one error.

- the starter's trace (``polyfn.core.workflow_trace``): ``main`` takes an argument
  ``{"polyfnTrace": {...}, "polyfnInput": <data>}`` apart (any other argument is the data,
  with no trace) and keeps the carrier in ``polyfn_trace``; every task's ``http.post``
  sends it as its ``headers`` (``traceparent``, ``tracestate``, ``x-correlation-id``,
  ``polyfn-hops``), which the task endpoint continues; branches get it as a parameter.

What Workflows cannot express is refused with ``WorkflowUnsupported(cloud="gcp")``: more
than one retrier on a task (one ``try`` has one retry policy, and each polyfn retrier
counts its own attempts), retry jitter (the backoff has none), a task timeout above 1800 s.

References (read 2026-12-04): the Workflows syntax reference
(https://cloud.google.com/workflows/docs/reference/syntax): steps, calls, conditions,
jumps, retrying (try/retry, predicate, backoff), catching errors (except, as), raising
errors, parallel steps (branches, for, shared, concurrency_limit), subworkflows; the
standard library (https://cloud.google.com/workflows/docs/reference/stdlib/overview):
http.post (url, auth, body, timeout), sys.sleep, sys.sleep_until, sys.now, map.get and
the expression helpers get_type, default, if, len, string.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from typing import Any

from polyfn.core.defaults import DEFAULT_TIMEOUT_SECONDS
from polyfn.core.workflow_graph import (
    ChoiceState,
    FailState,
    Graph,
    MapState,
    ParallelState,
    SucceedState,
    TaskState,
    WaitState,
)
from polyfn.core.workflow_steps import (
    ALL_ERRORS,
    TASK_FAILED,
    TIMEOUT,
    All,
    AnyOf,
    Condition,
    Not,
    Retry,
    When,
)
from polyfn.core.workflow_trace import INPUT_KEY, TRACE_KEY
from polyfn.deploy.workflow_asl import WorkflowUnsupported
from polyfn.deploy.yaml_text import dump_yaml

__all__ = [
    "DONE_STEP",
    "ERROR_SUBWORKFLOW",
    "MAX_TASK_TIMEOUT",
    "TASK_URL",
    "deploy_lines",
    "to_workflows",
    "to_workflows_yaml",
]

# http.post's timeout is at most 1800 seconds (Workflows standard library, http.post).
MAX_TASK_TIMEOUT = 1800
DONE_STEP = "polyfn_done"
TIMED_OUT_STEP = "polyfn_timed_out"
DEADLINE_MARK = "polyfn_deadline"
ERROR_SUBWORKFLOW = "polyfn_error"
# Step names polyfn writes besides the states' own; a state may not take them.
_RESERVED_PREFIX = "polyfn_"
# The variable (and branch parameter) holding the starter's trace: the task's headers.
TRACE_VARIABLE = "polyfn_trace"
UNWRAP_STEP = "polyfn_unwrap"
_RUNTIME_ERROR = "States.Runtime"


def to_workflows(
    graph: Graph, url: Callable[[str], str], *, workflow: str, timeout: int | None = None
) -> dict[str, Any]:
    """The Workflows source as a mapping; ``url(task)`` gives each task's HTTPS endpoint."""
    writer = _Writer(url, workflow, timeout)
    source: dict[str, Any] = {"main": writer.subworkflow(graph, "input", top=True)}
    source.update(writer.extra)
    source[ERROR_SUBWORKFLOW] = _error_subworkflow()
    return source


def to_workflows_yaml(
    graph: Graph, url: Callable[[str], str], *, workflow: str, timeout: int | None = None
) -> str:
    """The same source as YAML text (what ``workflows/<name>.yaml`` holds)."""
    header = (
        f"# Cloud Workflows source of polyfn workflow {workflow!r}, written by polyfn deploy.\n"
    )
    return header + dump_yaml(to_workflows(graph, url, workflow=workflow, timeout=timeout))


# A task's URL in the written YAML: Cloud Functions (2nd gen) keep the
# https://REGION-PROJECT.cloudfunctions.net/NAME address, and deploy.sh fills in the region
# and project it deploys to (they are not known when the YAML is written).
TASK_URL = "https://__REGION__-__PROJECT_ID__.cloudfunctions.net/{}"
_WORKFLOW_ID = re.compile(r"[A-Za-z](?:[A-Za-z0-9_-]{0,62}[A-Za-z0-9])?")


def deploy_lines(
    deployed_name: str,
    source_file: str,
    service_account: str,
    task_functions: list[str],
) -> list[str]:
    """The deploy.sh lines for one workflow: let its service account invoke each task
    function (``OIDC`` tokens are signed as that account), fill in the region and project in
    ``workflows/<name>.yaml`` and ``gcloud workflows deploy`` it.

    ``deployed_name`` is the workflow's name on Google Cloud, ``source_file`` the YAML's path
    relative to the script, ``service_account`` the shell variable holding the account's
    email, ``task_functions`` the deployed Cloud Functions names of its tasks. The lines use
    the variables deploy.sh defines (``P``, ``REGION``, ``PROJECT_ID``, ``SOURCE_DIR``).
    Syntax: ``gcloud workflows deploy`` (--source, --location, --service-account) in the
    Cloud SDK reference, read 2026-12-04.
    """
    if not _WORKFLOW_ID.fullmatch(deployed_name):
        # The Workflows API's rule for a workflow ID (CreateWorkflowRequest.workflow_id).
        raise WorkflowUnsupported(
            "gcp",
            deployed_name,
            "a workflow ID has 1-64 letters, digits, '_' and '-', starts with a letter and "
            "ends with a letter or digit",
        )
    quoted = shlex.quote(deployed_name)
    lines = [f"# --- workflow {deployed_name}"]
    lines.extend(
        f'gcloud functions add-invoker-policy-binding {shlex.quote(function)} "${{P[@]}}" '
        f'--region "${{REGION}}" --member "serviceAccount:${{{service_account}}}" >/dev/null'
        for function in task_functions
    )
    lines += [
        'WORKFLOW_SOURCE="$(mktemp)"',
        'sed -e "s/__REGION__/${REGION}/g" -e "s/__PROJECT_ID__/${PROJECT_ID}/g" '
        f'"${{SOURCE_DIR}}/{source_file}" > "${{WORKFLOW_SOURCE}}"',
        f'gcloud workflows deploy {quoted} "${{P[@]}}" --location "${{REGION}}" '
        f'--source "${{WORKFLOW_SOURCE}}" --service-account "${{{service_account}}}"',
        'rm -f "${WORKFLOW_SOURCE}"',
    ]
    return lines


def _expr(text: str) -> str:
    return "${" + text + "}"


def _string(text: str) -> str:
    # A JSON string literal is a valid Workflows string literal (double quotes, backslash
    # escapes).
    return json.dumps(text)


def error_test(names: tuple[str, ...], variable: str) -> str:
    """A Workflows expression: the error name in ``variable`` is one of ``names``
    (the catch-alls as ``polyfn.core.workflow_steps.error_matches`` reads them)."""
    if ALL_ERRORS in names:
        return "true"
    parts = [f"{variable} == {_string(n)}" for n in names if n != TASK_FAILED]
    if TASK_FAILED in names:
        parts.append(f"{variable} != {_string(TIMEOUT)}")
    return " or ".join(parts)


def _error_subworkflow() -> dict[str, Any]:
    """``polyfn_error(e)``: the ``{"Error", "Cause"}`` of any error Workflows raised."""
    cases = [
        # Raised by this workflow as a map (a Fail state, a branch's failure).
        ('get_type(map.get(e, "Error")) == "string"', "e.Error", 'map.get(e, "Cause")'),
        # The task endpoint's answer to a task failure (see the module docstring).
        (
            'get_type(map.get(e, ["body", "Error"])) == "string"',
            "e.body.Error",
            'map.get(e, ["body", "Cause"])',
        ),
        # http.post's timeout ran out, or the platform stopped the function at its own
        # timeout first (Cloud Run answers 504 Gateway Timeout).
        ('"TimeoutError" in default(map.get(e, "tags"), [])', None, 'map.get(e, "message")'),
        ('default(map.get(e, "code"), 0) == 504', None, 'map.get(e, "message")'),
        # Any other error Workflows raised: named by its first tag.
        ('len(default(map.get(e, "tags"), [])) > 0', "e.tags[0]", 'map.get(e, "message")'),
    ]
    switch = []
    for index, (condition, name, cause) in enumerate(cases, start=1):
        answer = {
            "Error": _expr(name) if name else TIMEOUT,
            "Cause": _expr(f'default({cause}, "")'),
        }
        switch.append(
            {"condition": _expr(condition), "steps": [{f"case{index}": {"return": answer}}]}
        )
    return {
        "params": ["e"],
        "steps": [
            {"known": {"switch": switch}},
            {
                "other": {
                    "return": {
                        "Error": TASK_FAILED,
                        "Cause": _expr('default(map.get(e, "message"), "")'),
                    }
                }
            },
        ],
    }


class _Writer:
    def __init__(self, url: Callable[[str], str], workflow: str, timeout: int | None) -> None:
        self.url = url
        self.workflow = workflow
        self.timeout = timeout
        self.extra: dict[str, Any] = {}  # subworkflows: branches and retry predicates

    def unsupported(self, construct: str) -> WorkflowUnsupported:
        return WorkflowUnsupported("gcp", self.workflow, construct)

    # ------------------------------------------------------------------ structure

    def subworkflow(self, graph: Graph, param: str, *, top: bool = False) -> dict[str, Any]:
        """``graph`` as a subworkflow taking its data as ``param`` and returning its output."""
        for name in graph.states:
            if name.startswith(_RESERVED_PREFIX):
                raise self.unsupported(f"a step may not be named {name!r} (prefix reserved)")
        init: list[dict[str, Any]] = [
            {"data": _expr(param)},
            {"route": ""},
            {"error": None},
        ]
        if self.timeout is not None and top:
            init.append({"deadline": _expr(f"sys.now() + {self.timeout}")})
        if top:
            # The starter's trace (core.workflow_trace): taken out of the argument, so the
            # data is the user's input as given, and sent with every task's http.post as
            # headers (branches get it as a parameter). An argument from outside polyfn
            # carries none: the headers are empty and the tasks start their own trace.
            init.append({TRACE_VARIABLE: {}})
            steps: list[dict[str, Any]] = [
                {"polyfn_start": {"assign": init, "next": UNWRAP_STEP}},
                *self.unwrap(param, graph.start),
            ]
        else:
            steps = [{"polyfn_start": {"assign": init, "next": graph.start}}]
        for name in _path_order(graph):
            steps.extend(self.state(name, graph.states[name], timed=self.timeout is not None))
        steps.append({DONE_STEP: {"return": _expr("data")}})
        if self.timeout is not None:
            steps.append(
                {
                    TIMED_OUT_STEP: {
                        "raise": {
                            "Error": TIMEOUT,
                            "Cause": "the execution ran past its timeout",
                            # Marks the run's own timeout, which no catch may stop (a branch
                            # raises it into its parallel or map state's except).
                            DEADLINE_MARK: True,
                        }
                    }
                }
            )
        params: list[Any] = [param] if top else [param, TRACE_VARIABLE]
        if self.timeout is not None and not top:
            # A branch checks the deadline of the run it belongs to.
            params.append("deadline")
        return {"params": params, "steps": steps}

    @staticmethod
    def unwrap(param: str, first: str) -> list[dict[str, Any]]:
        """The steps that take ``wrap``'s ``{"polyfnTrace", "polyfnInput"}`` apart."""
        wrapped = (
            f'"{TRACE_KEY}" in {param} and "{INPUT_KEY}" in {param}'
            f' and get_type(map.get({param}, "{TRACE_KEY}")) == "map"'
        )
        return [
            {
                UNWRAP_STEP: {
                    # ``in`` on a value that is not a map would fail: test the type first.
                    "switch": [
                        {
                            "condition": _expr(f'get_type({param}) == "map"'),
                            "next": f"{UNWRAP_STEP}_map",
                        }
                    ],
                    "next": first,
                }
            },
            {
                f"{UNWRAP_STEP}_map": {
                    "switch": [{"condition": _expr(wrapped), "next": f"{UNWRAP_STEP}_take"}],
                    "next": first,
                }
            },
            {
                f"{UNWRAP_STEP}_take": {
                    "assign": [
                        {"data": _expr(f'map.get({param}, "{INPUT_KEY}")')},
                        {TRACE_VARIABLE: _expr(f'map.get({param}, "{TRACE_KEY}")')},
                    ],
                    "next": first,
                }
            },
        ]

    def new_subworkflow(self, base: str, graph: Graph) -> str:
        name = f"polyfn_{base}"
        count = 1
        while name in self.extra:
            count += 1
            name = f"polyfn_{base}_{count}"
        self.extra[name] = {}  # reserve the name before nested branches take theirs
        self.extra[name] = self.subworkflow(graph, "input")
        return name

    def branch_call(self, subworkflow: str, argument: str) -> dict[str, Any]:
        args: dict[str, Any] = {"input": _expr(argument), TRACE_VARIABLE: _expr(TRACE_VARIABLE)}
        if self.timeout is not None:
            args["deadline"] = _expr("deadline")
        return {"call": subworkflow, "args": args}

    @staticmethod
    def after(next: str | None) -> str:
        return next if next is not None else DONE_STEP

    # ------------------------------------------------------------------ states

    def state(self, name: str, state: Any, *, timed: bool) -> list[dict[str, Any]]:
        """The steps of one state; the first is named after the state (jumps go there)."""
        body = self.body(name, state)
        if not timed:
            return body
        # The deadline check is the state's entry; the body follows under its own names.
        [(first, _)] = body[0].items()
        guard = {
            name: {
                "switch": [{"condition": _expr("sys.now() >= deadline"), "next": TIMED_OUT_STEP}],
                "next": first,
            }
        }
        return [guard, *body]

    def body(self, name: str, state: Any) -> list[dict[str, Any]]:
        entry = name if self.timeout is None else f"{name}_run"
        if isinstance(state, TaskState):
            return self.task(entry, name, state)
        if isinstance(state, ChoiceState):
            switch = [
                {"condition": _expr(self.condition(condition)), "next": self.after(target)}
                for condition, target in state.rules
            ]
            return [{entry: {"switch": switch, "next": self.after(state.default)}}]
        if isinstance(state, WaitState):
            if state.seconds is not None:
                call = {"call": "sys.sleep", "args": {"seconds": state.seconds}}
            else:
                path = json.dumps(state.until_path.split(".") if state.until_path else [])
                call = {
                    "call": "sys.sleep_until",
                    "args": {"time": _expr(f"map.get(data, {path})")},
                }
            return [{entry: {**call, "next": self.after(state.next)}}]
        if isinstance(state, ParallelState):
            return self.guarded(entry, name, self.parallel(name, state), state.catches, state.next)
        if isinstance(state, MapState):
            return self.guarded(entry, name, self.mapped(name, state), state.catches, state.next)
        if isinstance(state, SucceedState):
            return [{entry: {"return": _expr("data")}}]
        assert isinstance(state, FailState)
        return [{entry: {"raise": {"Error": state.error, "Cause": state.cause}}}]

    def task(self, entry: str, name: str, state: TaskState) -> list[dict[str, Any]]:
        timeout = DEFAULT_TIMEOUT_SECONDS if state.timeout is None else state.timeout
        if timeout > MAX_TASK_TIMEOUT:
            raise self.unsupported(
                f"task timeout {timeout} s of {name!r} "
                f"(http.post waits {MAX_TASK_TIMEOUT} s at most)"
            )
        call = {
            f"{name}_call": {
                "call": "http.post",
                "args": {
                    "url": self.url(state.task),
                    "auth": {"type": "OIDC"},
                    "headers": _expr(TRACE_VARIABLE),
                    "body": _expr("data"),
                    "timeout": timeout,
                },
                "result": "response",
            }
        }
        body = [call, *self.store(name, "response.body", state.result_path)]
        return self.guarded(entry, name, body, state.catches, state.next, state.retries)

    def store(self, name: str, value: str, result_path: str | None) -> list[dict[str, Any]]:
        """Steps putting ``value`` in the data: in place of it, or under ``result_path``."""
        if result_path is None:
            return [{f"{name}_result": {"assign": [{"data": _expr(value)}]}}]
        return [
            *self.as_object(f"{name}_object"),
            {f"{name}_result": {"assign": [{f"data[{_string(result_path)}]": _expr(value)}]}},
        ]

    @staticmethod
    def as_object(step: str) -> list[dict[str, Any]]:
        # Data that is not a map is kept under "input" so a key can be added (as the
        # engine's _as_object does).
        return [
            {
                step: {
                    "switch": [
                        {
                            "condition": _expr('get_type(data) != "map"'),
                            "steps": [
                                {f"{step}_wrap": {"assign": [{"data": {"input": _expr("data")}}]}}
                            ],
                        }
                    ]
                }
            }
        ]

    def guarded(
        self,
        entry: str,
        name: str,
        body: list[dict[str, Any]],
        catches: Any,
        next: str | None,
        retries: tuple[Retry, ...] = (),
    ) -> list[dict[str, Any]]:
        """``body`` in a try with the state's retry and catches, then the jump to the
        caught error's target or the next state."""
        if len(retries) > 1:
            raise self.unsupported(
                f"{len(retries)} retriers on {name!r} (one Workflows try has one retry policy)"
            )
        retry = retries[0] if retries and retries[0].attempts > 0 else None
        if not catches and retry is None:
            body = [*body]
            [(_, step)] = body[0].items()
            body[0] = {entry: step}
            [(last, step)] = body[-1].items()
            body[-1] = {last: {**step, "next": self.after(next)}}
            return body
        block: dict[str, Any] = {"try": {"steps": body}}
        if retry is not None:
            block["retry"] = self.retry(name, retry)
        if catches:
            # Without catches, a try with only a retry lets the error through (no except).
            block["except"] = {"as": "e", "steps": self.catch_steps(name, catches)}
        routes = [
            {"condition": _expr(f"route == {_string(c.next)}"), "next": c.next} for c in catches
        ]
        steps = [{entry: block}]
        if routes:
            steps.append({f"{name}_route": {"switch": routes, "next": self.after(next)}})
        else:
            block["next"] = self.after(next)
        return steps

    def catch_steps(self, name: str, catches: Any) -> list[dict[str, Any]]:
        rules: list[dict[str, Any]] = []
        for catch in catches:
            rules.append(
                {
                    "condition": _expr(error_test(catch.on, "error.Error")),
                    "steps": [
                        *self.as_object(f"{name}_catch_object_{len(rules) + 1}"),
                        {
                            f"{name}_catch_{len(rules) + 1}": {
                                "assign": [
                                    {f"data[{_string(catch.result_path)}]": _expr("error")},
                                    {"route": catch.next},
                                ]
                            }
                        },
                    ],
                }
            )
        return [
            {
                f"{name}_deadline": {
                    "switch": [
                        {
                            "condition": _expr(f'map.get(e, "{DEADLINE_MARK}") == true'),
                            "steps": [{f"{name}_timed_out": {"raise": _expr("e")}}],
                        }
                    ]
                }
            },
            {
                f"{name}_error": {
                    "call": ERROR_SUBWORKFLOW,
                    "args": {"e": _expr("e")},
                    "result": "error",
                }
            },
            {f"{name}_catch": {"assign": [{"route": ""}]}},
            {f"{name}_match": {"switch": rules}},
            {
                f"{name}_uncaught": {
                    "switch": [
                        {
                            "condition": _expr('route == ""'),
                            "steps": [{f"{name}_reraise": {"raise": _expr("e")}}],
                        }
                    ]
                }
            },
        ]

    def retry(self, name: str, retry: Retry) -> dict[str, Any]:
        if retry.jitter:
            raise self.unsupported(f"retry jitter on {name!r} (Workflows' backoff has no jitter)")
        predicate = f"polyfn_retry_{name}"
        self.extra[predicate] = {
            "params": ["e"],
            "steps": [
                {
                    "name_error": {
                        "call": ERROR_SUBWORKFLOW,
                        "args": {"e": _expr("e")},
                        "result": "error",
                    }
                },
                {"decide": {"return": _expr(error_test(retry.on, "error.Error"))}},
            ],
        }
        largest = retry.interval * retry.backoff ** max(retry.attempts - 1, 0)
        return {
            "predicate": _expr(predicate),
            "max_retries": retry.attempts,
            "backoff": {
                "initial_delay": _number(retry.interval),
                "max_delay": _number(retry.max_delay if retry.max_delay is not None else largest),
                "multiplier": _number(retry.backoff),
            },
        }

    # ------------------------------------------------------------------ branches

    def parallel(self, name: str, state: ParallelState) -> list[dict[str, Any]]:
        count = len(state.branches)
        branches = []
        for index, branch in enumerate(state.branches):
            subworkflow = self.new_subworkflow(f"{name}_branch{index + 1}", branch)
            key = _string(str(index))
            branches.append(
                {
                    f"{name}_branch{index + 1}": {
                        "steps": [
                            {
                                f"{name}_branch{index + 1}_run": {
                                    "try": {
                                        "steps": [
                                            {
                                                f"{name}_branch{index + 1}_call": {
                                                    **self.branch_call(subworkflow, "data"),
                                                    "result": "output",
                                                }
                                            },
                                            {
                                                f"{name}_branch{index + 1}_store": {
                                                    "assign": [{f"outputs[{key}]": _expr("output")}]
                                                }
                                            },
                                        ]
                                    },
                                    "except": {
                                        "as": "e",
                                        "steps": [
                                            {
                                                f"{name}_branch{index + 1}_failed": {
                                                    "assign": [{f"failures[{key}]": _expr("e")}]
                                                }
                                            }
                                        ],
                                    },
                                }
                            }
                        ]
                    }
                }
            )
        return [
            {f"{name}_begin": {"assign": [{"outputs": {}}, {"failures": {}}]}},
            {
                f"{name}_branches": {
                    "parallel": {"shared": ["outputs", "failures"], "branches": branches}
                }
            },
            *self.collect(name, f"{count}"),
        ]

    def mapped(self, name: str, state: MapState) -> list[dict[str, Any]]:
        subworkflow = self.new_subworkflow(f"{name}_item", state.iterator)
        path = json.dumps(state.items_path.split("."))
        cause = f"the map state {state.name!r} needs a list at {state.items_path!r}"
        loop: dict[str, Any] = {
            "shared": ["outputs", "failures"],
            "for": {
                "value": "item",
                "index": "index",
                "in": _expr("items"),
                "steps": [
                    {
                        f"{name}_item_run": {
                            "try": {
                                "steps": [
                                    {
                                        f"{name}_item_call": {
                                            **self.branch_call(subworkflow, "item"),
                                            "result": "output",
                                        }
                                    },
                                    {
                                        f"{name}_item_store": {
                                            "assign": [{"outputs[string(index)]": _expr("output")}]
                                        }
                                    },
                                ]
                            },
                            "except": {
                                "as": "e",
                                "steps": [
                                    {
                                        f"{name}_item_failed": {
                                            "assign": [{"failures[string(index)]": _expr("e")}]
                                        }
                                    }
                                ],
                            },
                        }
                    }
                ],
            },
        }
        if state.max_concurrency:
            loop["concurrency_limit"] = state.max_concurrency
        return [
            {
                f"{name}_begin": {
                    "assign": [
                        {"items": _expr(f"map.get(data, {path})")},
                        {"outputs": {}},
                        {"failures": {}},
                    ]
                }
            },
            {
                f"{name}_check": {
                    "switch": [
                        {
                            "condition": _expr('get_type(items) != "list"'),
                            "steps": [
                                {
                                    f"{name}_not_list": {
                                        "raise": {"Error": _RUNTIME_ERROR, "Cause": cause}
                                    }
                                }
                            ],
                        }
                    ]
                }
            },
            {f"{name}_items": {"parallel": loop}},
            *self.collect(name, "len(items)"),
        ]

    @staticmethod
    def collect(name: str, count: str) -> list[dict[str, Any]]:
        """Raise the first failure in branch order, else the outputs as a list in order.

        Each iteration of a ``for`` has its own scope; ``collected`` is declared before
        the loop so assigning it there updates the outer variable."""
        return [
            {f"{name}_collect": {"assign": [{"collected": []}]}},
            {
                f"{name}_order": {
                    "for": {
                        "value": "position",
                        "range": [0, _expr(f"{count} - 1")],
                        "steps": [
                            {
                                f"{name}_first_failure": {
                                    "switch": [
                                        {
                                            "condition": _expr("string(position) in failures"),
                                            "steps": [
                                                {
                                                    f"{name}_fail": {
                                                        "raise": _expr("failures[string(position)]")
                                                    }
                                                }
                                            ],
                                        }
                                    ]
                                }
                            },
                            {
                                f"{name}_append": {
                                    "assign": [
                                        {
                                            "collected": _expr(
                                                "list.concat(collected, outputs[string(position)])"
                                            )
                                        }
                                    ]
                                }
                            },
                        ],
                    }
                }
            },
            {f"{name}_output": {"assign": [{"data": _expr("collected")}]}},
        ]

    # ------------------------------------------------------------------ conditions

    def condition(self, condition: Condition) -> str:
        if isinstance(condition, All):
            return " and ".join(f"({self.condition(c)})" for c in condition.conditions)
        if isinstance(condition, AnyOf):
            return " or ".join(f"({self.condition(c)})" for c in condition.conditions)
        if isinstance(condition, Not):
            return f"not ({self.condition(condition.condition)})"
        assert isinstance(condition, When)
        parts = condition.path.split(".")
        parent = "data" if len(parts) == 1 else f"map.get(data, {json.dumps(parts[:-1])})"
        if condition.operator == "present":
            # "key" in a map tests the key, even when its value is null (as polyfn's present).
            container = f'if(get_type({parent}) == "map", {parent}, {{}})'
            test = f"{_string(parts[-1])} in {container}"
            return test if condition.operand else f"not ({test})"
        value = f"map.get(data, {json.dumps(parts)})"
        operand = condition.operand
        if isinstance(operand, bool):
            kinds, neutral = ["boolean"], "false"
        elif isinstance(operand, str):
            kinds, neutral = ["string"], '""'
        else:
            kinds, neutral = ["integer", "double"], "0"
        kind = " or ".join(f"get_type({value}) == {_string(k)}" for k in kinds)
        operator = {
            "equals": "==",
            "greater": ">",
            "greater_or_equal": ">=",
            "less": "<",
            "less_or_equal": "<=",
        }[condition.operator]
        literal = json.dumps(operand)
        # The comparison reads the value only when its kind matches, else a neutral value of
        # the operand's kind, so it never raises a TypeError (missing or mismatched: false).
        return f"({kind}) and (if({kind}, {value}, {neutral}) {operator} {literal})"


def _path_order(graph: Graph) -> list[str]:
    """The states in the order a run meets them: each one's success next right after it,
    then the targets of its catches and choices. The YAML reads like the run, and a step
    that ends without a jump is followed by the state it goes to anyway."""
    order: list[str] = []
    pending = [graph.start]
    while pending:
        name: str | None = pending.pop()
        while name is not None and name not in order:
            order.append(name)
            state = graph.states[name]
            later: list[str | None] = []
            if isinstance(state, ChoiceState):
                later = [target for _, target in state.rules]
                following = state.default
            else:
                following = getattr(state, "next", None)
            later += [c.next for c in getattr(state, "catches", ())]
            pending.extend(t for t in reversed(later) if t is not None)
            name = following
    order += [n for n in graph.states if n not in order]  # unreachable: none in practice
    return order


def _number(value: float) -> int | float:
    return int(value) if value == int(value) else value
