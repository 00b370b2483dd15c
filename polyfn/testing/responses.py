"""Check, in a test, that an answer fits what its route declares (``response=``,
``responses=``): the same models the OpenAPI document shows clients.

``assert_declared_response(app, "GET", "/users/1", result)`` raises ``AssertionError``
listing every problem, in the field-error format of request models with ``location``
starting at ``"response"``. An error answer (4xx, 5xx) must be polyfn's error body. A
route that declares no answers is not checked.
"""

from __future__ import annotations

import json
from typing import Any

from polyfn.core.app import App
from polyfn.core.models import FieldError, compile_body
from polyfn.core.routing import MethodNotAllowed, NotFound
from polyfn.hosts.base import HttpResult

__all__ = ["assert_declared_response", "response_problems"]


def response_problems(
    app: App, method: str, path: str, status: int, body: bytes
) -> list[dict[str, Any]]:
    """What is wrong with an answer of ``status`` and ``body`` to ``method path``."""
    try:
        fn, _ = app.router.match(method.upper(), path.partition("?")[0])
    except (NotFound, MethodNotAllowed):
        fn = None
    problems: list[FieldError] = []
    if status >= 400:
        _error_body(body, problems)
    elif fn is not None and fn.models is not None and fn.models.responses:
        declared = fn.models.responses
        if status not in declared:
            problems.append(
                FieldError(
                    ["response", "status"],
                    "undeclared",
                    f"{status} is not among the declared answers {sorted(declared)}",
                )
            )
        elif declared[status] is not None:
            document = _json(body, problems)
            if document is not _NOT_JSON:
                compile_body(declared[status])(document, ["response", "body"], problems)
    return [problem.to_dict() for problem in problems]


def assert_declared_response(app: App, method: str, path: str, result: HttpResult) -> None:
    """Raise ``AssertionError`` when ``result`` does not fit the route's declaration."""
    problems = response_problems(app, method, path, result.status, result.body)
    if problems:
        lines = "\n".join(
            f"  {'.'.join(map(str, p['location']))}: {p['message']}" for p in problems
        )
        raise AssertionError(
            f"{method} {path} answered {result.status} outside its declaration:\n{lines}"
        )


_NOT_JSON: Any = object()


def _json(body: bytes, problems: list[FieldError]) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        problems.append(FieldError(["response", "body"], "type", "the body is not JSON"))
        return _NOT_JSON


def _error_body(body: bytes, problems: list[FieldError]) -> None:
    document = _json(body, problems)
    if document is _NOT_JSON:
        return
    error = document.get("error") if isinstance(document, dict) else None
    if not isinstance(error, dict):
        problems.append(
            FieldError(["response", "body", "error"], "missing", "not polyfn's error body")
        )
        return
    for name, kind in (("status", int), ("message", str), ("request_id", str)):
        if not isinstance(error.get(name), kind):
            problems.append(
                FieldError(
                    ["response", "body", "error", name], "type", f"expected a {kind.__name__}"
                )
            )
