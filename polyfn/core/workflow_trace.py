"""How the starter's trace rides with a workflow execution to each of its tasks.

``Workflow.start`` hands the engine the starting invocation's ``TraceContext.outgoing()``
(trace as parent, correlation id, hop count plus one). No engine has a place for it
outside the execution's input, so polyfn sends the input wrapped with it::

    {"polyfnTrace": {"traceparent": ..., "x-correlation-id": ..., "polyfn-hops": ...},
     "polyfnInput": <the user's input>}

and the definition polyfn deploys (ASL, Cloud Workflows YAML, the Durable orchestrator)
takes it apart on the first step: the user's data is the input as given, and the carrier
goes beside it to every task (the Lambda envelope, an HTTP header set, the activity's
input), which continues it (``Context.trace``) and is not run past its hop limit
(``core.dispatch.handle_task``). An execution started outside polyfn (the console, a
scheduler) has no wrapper: its input is the data as it is, and its tasks start a trace.
"""

from __future__ import annotations

from polyfn.core.trace_context import CORRELATION_HEADER, HOPS_ATTRIBUTE

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

__all__ = ["INPUT_KEY", "TRACE_KEY", "carrier", "unwrap", "wrap"]

TRACE_KEY = "polyfnTrace"
INPUT_KEY = "polyfnInput"
# What a carrier may hold (TraceContext.outgoing's names); anything else is dropped.
_CARRIED = frozenset(("traceparent", "tracestate", CORRELATION_HEADER, HOPS_ATTRIBUTE))
# A carried value longer than this was not written by polyfn (a traceparent is 55
# characters, a tracestate at most 512, a correlation id 128).
_MAX_VALUE_CHARS = 512


def wrap(input: Any, trace: Mapping[str, str] | None) -> Any:
    """The execution input that carries ``trace`` beside ``input``; ``input`` itself when
    there is no trace to carry (a start outside any invocation)."""
    if not trace:
        return input
    return {TRACE_KEY: dict(trace), INPUT_KEY: input}


def unwrap(value: Any) -> tuple[Any, dict[str, str]]:
    """(the user's input, the carrier) of an execution input: the wrapper ``wrap`` makes,
    or an input started outside polyfn (no carrier)."""
    if (
        isinstance(value, dict)
        and len(value) == 2
        and TRACE_KEY in value
        and INPUT_KEY in value
        and isinstance(value[TRACE_KEY], dict)
    ):
        return value[INPUT_KEY], carrier(value[TRACE_KEY])
    return value, {}


def carrier(value: object) -> dict[str, str]:
    """The trace attributes among what an engine handed a task (any JSON: it came through
    the cloud), under the names ``trace_from`` reads; anything else is left out, so a
    malformed carrier starts a new trace rather than failing the task."""
    if not isinstance(value, dict):
        return {}
    return {
        name: found
        for name, found in value.items()
        if name in _CARRIED and isinstance(found, str) and len(found) <= _MAX_VALUE_CHARS
    }
