"""Dispatch of change feeds: which function a table's changes are for, and which of a
batch's changes are not done.

A change feed is ordered per item, unlike a queue: a handler that failed on the second
write to an item must not see the third before the second succeeded. So a batch runs in
order and stops at the first change whose handler raised; that change and every one
after it are reported not done, and the feed delivers them again (DynamoDB Streams
resumes from the lowest sequence number reported, Lambda developer guide, "Configuring
partial batch response with DynamoDB and Lambda", read 2026-12; the local worker keeps
its cursor before the first failed change). The changes before it are acknowledged:
nothing is acknowledged that did not run, and nothing that ran successfully is lost,
though a change after a failure may run twice (at least once, as every feed promises).
"""

from __future__ import annotations

from time import perf_counter as _clock

from polyfn.core.context import _reset_current, _set_current
from polyfn.core.dispatch import (
    _builtin_metric,
    _end_invocation,
    _log_error,
    _log_event,
    _log_exception,
)
from polyfn.core.functions import ChangeTrigger
from polyfn.core.metric_sinks import TIMED
from polyfn.core.spans import TRACER

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from polyfn.core.app import App
    from polyfn.core.changes import Change
    from polyfn.core.context import Context
    from polyfn.core.functions import Function
    from polyfn.core.resources import Table

__all__ = ["change_consumer_of", "handle_changes"]


def change_consumer_of(
    app: App, table_physical: str | None, function: str | None = None
) -> Function | None:
    """The on_change function of a table: the pinned one, else the table's only one
    (None when no function, or several, read it)."""
    if function:
        pinned = app.function(function)
        return pinned if isinstance(pinned.trigger, ChangeTrigger) else None
    consumers = app.functions_of("change")
    if table_physical is not None:
        table = app.table_by_physical(table_physical)
        consumers = [fn for fn in consumers if fn.trigger.table is table]  # type: ignore[union-attr]
    # Several readers of one table each get the feed on their own (deploy pins each to
    # its own stream mapping, trigger or log reader): unpinned, none can be chosen.
    return consumers[0] if len(consumers) == 1 else None


def handle_changes(
    app: App,
    table_physical: str | None,
    changes: Sequence[Change],
    ctx: Context,
    *,
    function: str | None = None,
) -> list[Change]:
    """Run the table's on_change function on each change in order; return the changes
    not done: from the first whose handler raised to the end of the batch.

    Changes of a table nobody handles are all returned, so the feed keeps them (and,
    past its retries, sets them aside) rather than dropping them.
    """
    fn = change_consumer_of(app, table_physical, function)
    if fn is None:
        _log_error(
            ctx,
            f"no on_change handler (or several, none pinned) for table {table_physical!r}; "
            f"failing {len(changes)} change(s) so they are retried, not lost",
        )
        return list(changes)
    trigger = fn.trigger
    assert isinstance(trigger, ChangeTrigger)
    table = trigger.table
    table_name = table.name
    ctx.function_name = fn.name
    started = _clock() if TIMED[0] else 0.0
    token = _set_current(ctx)
    tracer = TRACER[0]
    not_done: list[Change] = []
    try:
        for index, change in enumerate(changes):
            change.table = table_name
            if not change.keys:
                # A feed that names the document, not its key fields (Firestore): the
                # key fields are in the item, as every backend stores them.
                change.keys = _keys_of(table, change)
            if fn.options.log_event:
                _log_event(ctx, change)
            span = tracer.invocation(ctx, "change", change) if tracer is not None else None
            try:
                fn.call(change, ctx)
            except Exception as exc:
                _log_exception(
                    ctx,
                    f"{change.kind} change {change.id} of table {table_name} failed in "
                    f"{fn.name}; it and the {len(changes) - index - 1} after it are retried",
                    exc,
                )
                if span is not None:
                    span.end(exc)
                not_done = list(changes[index:])
                _builtin_metric(ctx, "BatchItemFailures", len(not_done))
                break
            if span is not None:
                span.end()
    finally:
        # Counted and timed as every other trigger's invocation (dispatch._end_invocation).
        if started or ctx._metrics is not None or ctx.cold_start:
            _end_invocation(ctx, started)
        _reset_current(token)
    return not_done


def _keys_of(table: Table, change: Change) -> dict[str, Any]:
    item = change.item or {}
    return {name: item[name] for name in table.schema.key_attributes() if name in item}
