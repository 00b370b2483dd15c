"""A reading of Cloud Workflows' documented semantics, for the subset polyfn writes.

Not Google's engine (Google ships no emulator): it runs the YAML ``workflow_gcp`` writes
so the tests see its control flow work end to end, the routes, retries, catches, branch
collection and deadline, against the real task endpoints. Each task's ``http.post`` is a
POST to polyfn's own ``http_function(app, function=task)`` (the target deploy pins to the
task) served by functions-framework's Flask app through its test client: a 2xx answer is
the call's result, any other status raises an ``HttpError`` whose ``body`` is the parsed
JSON answer (``{"Error", "Cause"}`` for a task failure, by the endpoint's contract in
``workflow_gcp``'s docstring), as Workflows raises it; a call past its ``timeout`` raises a
``TimeoutError``-tagged error. Sleeps are recorded, not slept.

Semantics read from https://cloud.google.com/workflows/docs/reference/syntax (steps run in
order unless ``next`` jumps; ``switch`` runs the first condition that holds, else goes on;
``try``/``retry`` re-runs the block while the predicate holds and retries are left, then
``except``; ``parallel`` runs branches or ``for`` iterations, only ``shared`` variables
written back; ``return``/``raise`` end the subworkflow) and the expression helpers.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["GcpEngine", "Post", "WorkflowError", "run_workflow", "task_endpoint"]

# A task's endpoint as the interpreter calls it: the JSON body and the call's headers in,
# (status, parsed body) out.
Post = Callable[[Any, dict[str, str]], tuple[int, Any]]


class WorkflowError(Exception):
    """An error raised in the workflow: its value is the error map (or string) raised."""

    def __init__(self, value: Any) -> None:
        super().__init__(value)
        self.value = value


class _Jump(Exception):
    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.target = target


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        super().__init__(value)
        self.value = value


# ---------------------------------------------------------------------- expressions

_TOKEN = re.compile(
    r'\s*(?:(?P<string>"(?:[^"\\]|\\.)*")|(?P<number>\d+(?:\.\d+)?)'
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)"
    r"|(?P<op>==|!=|>=|<=|[-+*/%<>()\[\]{},:.]))"
)
_KEYWORDS = {"and": " and ", "or": " or ", "not": " not ", "in": " in "}
_LITERALS = {"true": "True", "false": "False", "null": "None"}


def _get_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "map"
    raise TypeError(f"no Workflows type for {value!r}")


def _map_get(value: Any, keys: Any) -> Any:
    for key in keys if isinstance(keys, list) else [keys]:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise TypeError(f"string() of {value!r}")


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "get_type": _get_type,
    "map.get": _map_get,
    "default": lambda value, other: other if value is None else value,
    "if": lambda condition, yes, no: yes if condition else no,
    "len": len,
    "string": _string,
    "sys.now": time.time,
    "list.concat": lambda items, value: [*items, value],
}


def _python(expression: str) -> str:
    """The expression as Python source reading variables from ``V`` and functions from
    ``F`` (fields as keys: Workflows maps are JSON objects)."""
    out: list[str] = []
    position = 0
    text = expression.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise SyntaxError(f"cannot read {text[position:]!r} in {expression!r}")
        position = match.end()
        if match.group("string") is not None:
            out.append(match.group("string"))
        elif match.group("number") is not None:
            out.append(match.group("number"))
        elif match.group("op") is not None:
            out.append(match.group("op"))
        else:
            name = match.group("name")
            if name in _KEYWORDS:
                out.append(_KEYWORDS[name])
            elif name in _LITERALS:
                out.append(_LITERALS[name])
            elif text[position:].lstrip().startswith("(") and name in _FUNCTIONS:
                out.append(f"F[{name!r}]")
            else:
                base, *fields = name.split(".")
                out.append(f"V[{base!r}]" + "".join(f"[{f!r}]" for f in fields))
    return "".join(out)


def evaluate(value: Any, variables: dict[str, Any]) -> Any:
    """A value of the source with its ``${...}`` expressions evaluated."""
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        try:
            # Python source translated from the YAML polyfn wrote, names bound to V and F only.
            return eval(_python(value[2:-1]), {"F": _FUNCTIONS, "V": variables})
        except (KeyError, TypeError, IndexError) as error:
            raise WorkflowError({"tags": [type(error).__name__], "message": str(error)}) from None
    if isinstance(value, dict):
        return {evaluate(k, variables): evaluate(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [evaluate(v, variables) for v in value]
    return value


def _assign(target: str, value: Any, variables: dict[str, Any]) -> None:
    match = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)\[(.+)\]", target)
    if match is None:
        variables[target] = value
        return
    key = evaluate("${" + match.group(2) + "}", variables)
    variables[match.group(1)][key] = value


# ---------------------------------------------------------------------- steps


class _Run:
    def __init__(
        self,
        source: dict[str, Any],
        tasks: dict[str, Post],
        states: set[str],
    ) -> None:
        self.source = source
        self.tasks = tasks  # by URL
        self.states = states
        self.path: list[str] = []
        self.sleeps: list[float] = []

    def subworkflow(self, name: str, args: dict[str, Any]) -> Any:
        variables = dict(args)
        try:
            self.steps(self.source[name]["steps"], variables, top=name == "main")
        except _Return as done:
            return done.value
        return None

    def steps(self, steps: list[dict[str, Any]], variables: dict[str, Any], top: bool) -> None:
        names = [next(iter(step)) for step in steps]
        index = 0
        while index < len(steps):
            name = names[index]
            if top and name in self.states:
                self.path.append(name)
            try:
                self.step(steps[index][name], variables, top)
            except _Jump as jump:
                if jump.target not in names:
                    raise
                index = names.index(jump.target)
                continue
            following = steps[index][name].get("next")
            if following is not None:
                if following not in names:
                    raise _Jump(following)
                index = names.index(following)
            else:
                index += 1

    def step(self, body: dict[str, Any], variables: dict[str, Any], top: bool) -> None:
        if "assign" in body:
            for assignment in body["assign"]:
                [(target, value)] = assignment.items()
                _assign(target, evaluate(value, variables), variables)
        elif "call" in body:
            result = self.call(body["call"], evaluate(body.get("args", {}), variables))
            if "result" in body:
                variables[body["result"]] = result
        elif "switch" in body:
            for rule in body["switch"]:
                if evaluate(rule["condition"], variables) is True:
                    if "next" in rule:
                        raise _Jump(rule["next"])
                    self.steps(rule["steps"], variables, top=False)
                    break
        elif "try" in body:
            self.attempt(body, variables)
        elif "parallel" in body:
            self.parallel(body["parallel"], variables)
        elif "for" in body:
            loop = body["for"]
            for value in self.iterations(loop, variables):
                variables[loop["value"]] = value
                self.steps(loop["steps"], variables, top=False)
        elif "return" in body:
            raise _Return(evaluate(body["return"], variables))
        elif "raise" in body:
            raise WorkflowError(evaluate(body["raise"], variables))
        else:
            raise AssertionError(f"a step polyfn does not write: {body}")

    def attempt(self, body: dict[str, Any], variables: dict[str, Any]) -> None:
        retry = body.get("retry")
        retries = 0
        while True:
            try:
                self.steps(body["try"]["steps"], variables, top=False)
                return
            except WorkflowError as error:
                if retry is not None and retries < retry["max_retries"]:
                    predicate = retry["predicate"][2:-1]
                    if self.subworkflow(predicate, {"e": error.value}) is True:
                        backoff = retry["backoff"]
                        delay = backoff["initial_delay"] * backoff["multiplier"] ** retries
                        self.sleeps.append(min(delay, backoff["max_delay"]))
                        retries += 1
                        continue
                if "except" not in body:
                    raise
                variables[body["except"]["as"]] = error.value
                self.steps(body["except"]["steps"], variables, top=False)
                return

    def iterations(self, loop: dict[str, Any], variables: dict[str, Any]) -> list[Any]:
        if "in" in loop:
            return list(evaluate(loop["in"], variables))
        low, high = (evaluate(bound, variables) for bound in loop["range"])
        return list(range(low, high + 1))

    def parallel(self, parallel: dict[str, Any], variables: dict[str, Any]) -> None:
        # Branches run one after another here: each has its own scope, and only the
        # shared variables (maps, written by key) carry their writes out.
        shared = set(parallel.get("shared", []))
        if "branches" in parallel:
            for branch in parallel["branches"]:
                [(_, steps)] = branch.items()
                self.steps(steps["steps"], _scope(variables, shared), top=False)
            return
        loop = parallel["for"]
        for index, value in enumerate(self.iterations(loop, variables)):
            scope = _scope(variables, shared)
            scope[loop["value"]] = value
            if "index" in loop:
                scope[loop["index"]] = index
            self.steps(loop["steps"], scope, top=False)

    def call(self, target: str, args: dict[str, Any]) -> Any:
        if target in self.source:
            return self.subworkflow(target, args)
        if target == "http.post":
            return self.http_post(args)
        if target in ("sys.sleep", "sys.sleep_until"):
            self.sleeps.append(args.get("seconds", 0))
            return None
        raise AssertionError(f"a call polyfn does not write: {target}")

    def http_post(self, args: dict[str, Any]) -> Any:
        assert args["auth"] == {"type": "OIDC"}
        post = self.tasks[args["url"]]
        outcome: dict[str, Any] = {}

        def run() -> None:
            headers = args.get("headers") or {}
            # http.post's headers are a map of strings (Workflows standard library).
            assert all(isinstance(v, str) for v in headers.values()), headers
            outcome["answer"] = post(args["body"], headers)

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        worker.join(args["timeout"])
        if worker.is_alive():
            raise WorkflowError({"tags": ["TimeoutError"], "message": "request timed out"})
        status, body = outcome["answer"]
        if status >= 400:
            # http.post raises an HttpError for a status >= 400; its body is the parsed
            # JSON answer (Workflows standard library, http.post; errors: HttpError).
            raise WorkflowError(
                {
                    "tags": ["HttpError"],
                    "code": status,
                    "message": f"HTTP server responded with error code {status}",
                    "body": body,
                }
            )
        return {"code": status, "body": body}


def _scope(variables: dict[str, Any], shared: set[str]) -> dict[str, Any]:
    scope = {k: (v if k in shared else json.loads(json.dumps(v))) for k, v in variables.items()}
    return scope


def run_workflow(
    source: dict[str, Any],
    tasks: dict[str, Post],
    states: set[str],
    argument: Any,
) -> dict[str, Any]:
    """Run ``source`` with ``argument``: ``{"result": ...}`` or ``{"error": raised}``,
    and the path of states entered."""
    run = _Run(source, tasks, states)
    try:
        result = run.subworkflow("main", {source["main"]["params"][0]: argument})
        outcome: dict[str, Any] = {"result": result}
    except WorkflowError as error:
        outcome = {"error": error.value}
    outcome["path"] = run.path
    outcome["sleeps"] = run.sleeps
    return outcome


class GcpEngine:
    """The ``gcp`` engine of the workflow tests: the YAML deploy writes, run by this
    module, read back as ``polyfn.adapters.gcp.backends.workflow`` reads an execution."""

    name = "gcp"

    def run(
        self, app: Any, workflow: str, data: Any, trace: dict[str, str] | None = None
    ) -> dict[str, Any]:
        from polyfn.adapters.gcp.backends.workflow import read_failure
        from polyfn.core.workflow_trace import wrap
        from polyfn.deploy.workflow_gcp import to_workflows

        declared = app.workflows[workflow]
        url = "https://region-project.cloudfunctions.net/{}".format
        source = to_workflows(declared.graph, url, workflow=workflow, timeout=declared.timeout)
        tasks = {url(name): task_endpoint(app, name) for name in declared.tasks}
        # The argument as WorkflowsExecutions.start sends it.
        outcome = run_workflow(source, tasks, set(declared.graph.states), wrap(data, trace))
        summary: dict[str, Any] = {"path": outcome["path"]}
        if "error" in outcome:
            status, error, cause = read_failure(outcome["error"])
            summary.update(status=status, error=error, cause=cause)
        else:
            summary.update(status="succeeded", output=outcome["result"])
        return summary


def task_endpoint(app: Any, task: str) -> Post:
    """The task's deployed endpoint: ``http_function(app, function=task)`` (what deploy
    pins with ``POLYFN_FUNCTION``) in functions-framework's Flask app, called through Flask's
    test client with the JSON body Workflows' ``http.post`` sends."""
    from polyfn.adapters.gcp.entry import http_function
    from polyfn.adapters.gcp.serving import framework_app

    flask_app = framework_app(http_function(app, backends="keep", function=task), "http")
    client = flask_app.test_client(use_cookies=False)

    def post(body: Any, headers: dict[str, str]) -> tuple[int, Any]:
        answer = client.post(
            "/", data=json.dumps(body), content_type="application/json", headers=headers
        )
        parsed = json.loads(answer.data) if answer.mimetype == "application/json" else None
        return answer.status_code, parsed

    return post
