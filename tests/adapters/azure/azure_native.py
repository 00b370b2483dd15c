"""What the Azure worker sees of ``function_app(app)``: its indexed functions, their
bindings, and a worker-style call of one function's user code.

No app lives here any more: the tests run the shared ``behaviour.behaviour_app``, or a
small app of their own for a platform-only case.
"""

from __future__ import annotations

import json
import weakref
from typing import Any

import azure.functions as func

from polyfn.hosts.events import azure as events

_INDEXES: weakref.WeakKeyDictionary[func.FunctionApp, dict[str, Any]] = weakref.WeakKeyDictionary()


def functions_of(native: func.FunctionApp) -> dict[str, Any]:
    """The indexed functions by name, as the worker sees them.

    ``get_functions()`` may run once per FunctionApp (a second call reports every name
    as a duplicate), as in the worker, so the index is kept.
    """
    index = _INDEXES.get(native)
    if index is None:
        index = _INDEXES[native] = {fn.get_function_name(): fn for fn in native.get_functions()}
    return index


def bindings_of(native: func.FunctionApp, name: str) -> list[dict[str, Any]]:
    """The function's bindings as the worker reports them to the host (function.json)."""
    bindings: list[dict[str, Any]] = json.loads(functions_of(native)[name].get_function_json())[
        "bindings"
    ]
    return bindings


def trigger_of(native: func.FunctionApp, name: str) -> dict[str, Any]:
    return bindings_of(native, name)[0]


def invoke(native: func.FunctionApp, name: str, arg: str, value: Any, **context: Any) -> Any:
    """Call one indexed function's user code with a worker-style context."""
    user_function = functions_of(native)[name].get_user_function()
    ctx = events.invocation_context(name, **context)
    return user_function(**{arg: value, "context": ctx})
